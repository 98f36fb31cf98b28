using System.Text;
using FlagKit.Evaluation;

namespace FlagKit.Tests.Evaluation;

public sealed class MurmurHash3Tests
{
    // Reference vectors of MurmurHash3_x86_32 (SMHasher / Wikipedia), including the seeds the algorithm allows.
    [TestCase("", 0u, 0x00000000u)]
    [TestCase("", 1u, 0x514E28B7u)]
    [TestCase("", 0xFFFFFFFFu, 0x81F16F39u)]
    [TestCase("\0\0\0\0", 0u, 0x2362F9DEu)]
    [TestCase("!Ce\u0087", 0u, 0xF55B516Bu)]
    [TestCase("a", 0x9747B28Cu, 0x7FA09EA6u)]
    [TestCase("aaaa", 0x9747B28Cu, 0x5A97808Au)]
    [TestCase("Hello, world!", 0x9747B28Cu, 0x24884CBAu)]
    [TestCase("The quick brown fox jumps over the lazy dog", 0x9747B28Cu, 0x2FA826CDu)]
    [TestCase("hello", 0u, 0x248BFA47u)]
    public void Hash32_ReferenceVectors_Match(string latin1, uint seed, uint expected)
    {
        Assert.That(MurmurHash3.Hash32(Encoding.Latin1.GetBytes(latin1), seed), Is.EqualTo(expected));
    }

    // The published bucketing vectors (docs/bucketing.md): salt, key, hash of UTF-8 "salt/key", bucket.
    [TestCase("new-bonus-engine", "42", 2674466083u, 6083)]
    [TestCase("new-bonus-engine", "900000001", 4234640945u, 945)]
    [TestCase("new-bonus-engine", "player-7", 3883576670u, 6670)]
    [TestCase("wallet-v2", "42", 3603536227u, 6227)]
    [TestCase("wallet-v2", "alice@example.com", 3128124112u, 4112)]
    [TestCase("spin-speed", "Zoë", 3960196985u, 6985)]
    [TestCase("spin-speed", "", 2560263981u, 3981)]
    [TestCase("checkout.experiment", "1234567890", 1224156130u, 6130)]
    [TestCase("a", "b", 2494077863u, 7863)]
    [TestCase("new-bonus-engine", "ünïcødé-🎰", 3521083010u, 3010)]
    public void Bucket_PublishedVectors_Match(string salt, string key, uint hash, int bucket)
    {
        Assert.That(MurmurHash3.Hash32(Encoding.UTF8.GetBytes($"{salt}/{key}")), Is.EqualTo(hash));
        Assert.That(MurmurHash3.Bucket(salt, key), Is.EqualTo(bucket));
        Assert.That(MurmurHash3.Bucket(MurmurHash3.Prefix(salt), salt, key), Is.EqualTo(bucket), "from the pre-hashed salt");
    }

    // The evaluation path hashes the salt once and then the key's characters; every alignment of salt and key, ASCII
    // or not, must give what hashing the whole UTF-8 text gives.
    [Test]
    public void Bucket_FromPrehashedSalt_SameAsHashingTheWholeText_ForEveryLengthAndAlignment()
    {
        var random = new Random(20261127);
        string[][] alphabets =
        [
            [.. "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-_.@/\u007f".Select(c => c.ToString())],
            ["a", "7", "é", "ü", "€", "🎰", "\u0080", "\u07ff", "\u0800", "-"],
        ];
        var mismatches = new List<string>();
        for (var saltLength = 0; saltLength <= 9; saltLength++)
        {
            for (var keyLength = 0; keyLength <= 33; keyLength++)
            {
                foreach (var alphabet in alphabets)
                {
                    for (var repeat = 0; repeat < 4; repeat++)
                    {
                        var salt = Text(alphabets[repeat % 2], saltLength, random);
                        var key = Text(alphabet, keyLength, random);
                        var expected = (int)(MurmurHash3.Hash32(Encoding.UTF8.GetBytes($"{salt}/{key}")) % MurmurHash3.BucketCount);
                        var actual = MurmurHash3.Bucket(MurmurHash3.Prefix(salt), salt, key);
                        if (actual != expected)
                        {
                            mismatches.Add($"salt '{salt}', key '{key}': {actual} instead of {expected}");
                        }
                    }
                }
            }
        }

        Assert.That(mismatches, Is.Empty);

        static string Text(string[] alphabet, int length, Random random) =>
            string.Concat(Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)]));
    }

    // One character outside ASCII at each position of an otherwise ASCII key: whichever step (eight characters,
    // four, or the tail) meets it must hand the key to the encoding path. U+0141 and U+0800 have a low byte that
    // would pass for ASCII ('A', NUL) if a step truncated instead of checking.
    [TestCase('\u0141')]
    [TestCase('\u0800')]
    [TestCase('é')]
    public void Bucket_OneNonAsciiCharacterAnywhere_SameAsHashingTheWholeText(char other)
    {
        foreach (var salt in new[] { "", "s", "sa", "sal", "salt" })
        {
            for (var position = 0; position < 21; position++)
            {
                var key = "player-0123456789abcd".Remove(position, 1).Insert(position, other.ToString());
                var expected = (int)(MurmurHash3.Hash32(Encoding.UTF8.GetBytes($"{salt}/{key}")) % MurmurHash3.BucketCount);

                Assert.That(MurmurHash3.Bucket(MurmurHash3.Prefix(salt), salt, key), Is.EqualTo(expected), $"salt '{salt}', key '{key}'");
            }
        }
    }

    [Test]
    public void Bucket_LongKey_SameAsShortPathWouldGive()
    {
        var key = new string('x', 5000);

        var bucket = MurmurHash3.Bucket("salt", key);

        Assert.That(bucket, Is.EqualTo((int)(MurmurHash3.Hash32(Encoding.UTF8.GetBytes("salt/" + key)) % 10_000)));
    }

    [Test]
    public void Bucket_SameKeyManyTimes_AlwaysTheSameBucket()
    {
        var buckets = Enumerable.Range(0, 100).Select(_ => MurmurHash3.Bucket("new-bonus-engine", "42")).Distinct();

        Assert.That(buckets, Is.EqualTo(new[] { 6083 }));
    }
}
