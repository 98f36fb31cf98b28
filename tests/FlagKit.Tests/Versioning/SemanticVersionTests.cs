using FlagKit.Versioning;

namespace FlagKit.Tests.Versioning;

public sealed class SemanticVersionTests
{
    // The precedence example of SemVer 2.0.0, item 11.4, in ascending order.
    private static readonly string[] SpecPrecedenceExample =
    [
        "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0",
    ];

    // More precedence facts, each list ascending.
    private static readonly string[][] AscendingLists =
    [
        ["1.0.0", "2.0.0", "2.1.0", "2.1.1"], // spec item 11.2
        ["0.0.0", "0.0.1", "0.1.0", "1.0.0", "10.0.0"],
        ["1.0.0-0", "1.0.0-1", "1.0.0-2", "1.0.0-10", "1.0.0-A", "1.0.0-Z", "1.0.0-a", "1.0.0-z"],
        ["1.0.0-a.b", "1.0.0-a-b", "1.0.0-ab"], // "a" < "a-b" < "ab" in ASCII order
        ["1.0.0-9", "1.0.0-99999999999999999999", "1.0.0-99999999999999999999.1", "1.0.0--"],
        ["1.2.3-rc.1", "1.2.3", "1.2.4-alpha", "1.2.4"],
    ];

    public static IEnumerable<TestCaseData> ValidVersions()
    {
        yield return new TestCaseData("0.0.0", 0, 0, 0, "", "");
        yield return new TestCaseData("1.2.3", 1, 2, 3, "", "");
        yield return new TestCaseData("10.20.30", 10, 20, 30, "", "");
        yield return new TestCaseData("1.0.0-alpha", 1, 0, 0, "alpha", "");
        yield return new TestCaseData("1.0.0-alpha.1", 1, 0, 0, "alpha.1", "");
        yield return new TestCaseData("1.0.0-0.3.7", 1, 0, 0, "0.3.7", "");
        yield return new TestCaseData("1.0.0-x.7.z.92", 1, 0, 0, "x.7.z.92", "");
        yield return new TestCaseData("1.0.0-x-y-z.--", 1, 0, 0, "x-y-z.--", "");
        yield return new TestCaseData("1.0.0-alpha+001", 1, 0, 0, "alpha", "001");
        yield return new TestCaseData("1.0.0+20130313144700", 1, 0, 0, "", "20130313144700");
        yield return new TestCaseData("1.0.0-beta+exp.sha.5114f85", 1, 0, 0, "beta", "exp.sha.5114f85");
        yield return new TestCaseData("1.0.0+21AF26D3----117B344092BD", 1, 0, 0, "", "21AF26D3----117B344092BD");
        yield return new TestCaseData("1.0.0-0A.is.legal", 1, 0, 0, "0A.is.legal", "");
        yield return new TestCaseData("2147483647.0.0", int.MaxValue, 0, 0, "", "");
    }

    public static IEnumerable<TestCaseData> InvalidVersions()
    {
        yield return new TestCaseData("", "the text is empty", 0);
        yield return new TestCaseData("1", "expected '.' and the minor version after the major version, but the text ended", 1);
        yield return new TestCaseData("1.2", "expected '.' and the patch version after the minor version, but the text ended", 3);
        yield return new TestCaseData("1.2.3.4", "unexpected '.' after the patch version", 5);
        yield return new TestCaseData("01.2.3", "the major version has a leading zero", 0);
        yield return new TestCaseData("1.02.3", "the minor version has a leading zero", 2);
        yield return new TestCaseData("1.2.03", "the patch version has a leading zero", 4);
        yield return new TestCaseData("v1.2.3", "a leading 'v' is not part of a semantic version", 0);
        yield return new TestCaseData(" 1.2.3", "unexpected white space where the major version should be", 0);
        yield return new TestCaseData("1.2.3 ", "unexpected white space", 5);
        yield return new TestCaseData("1.2.x", "expected a digit for the patch version, found 'x'", 4);
        yield return new TestCaseData("1.2.3-", "the pre-release is empty", 6);
        yield return new TestCaseData("1.2.3-alpha..1", "a pre-release identifier is empty", 12);
        yield return new TestCaseData("1.2.3-alpha.01", "a numeric pre-release identifier has a leading zero", 12);
        yield return new TestCaseData("1.2.3-al_pha", "'_' is not allowed in the pre-release", 8);
        yield return new TestCaseData("1.2.3+", "the build metadata is empty", 6);
        yield return new TestCaseData("1.2.3+a..b", "a build metadata identifier is empty", 8);
        yield return new TestCaseData("1.2.3+a+b", "'+' is not allowed in the build metadata", 7);
        yield return new TestCaseData("2147483648.0.0", "the major version is larger than 2147483647", 0);
        yield return new TestCaseData("-1.0.0", "expected a digit for the major version, found '-'", 0);
        yield return new TestCaseData(new string('1', 257), "the text is longer than 256 characters", 0);
    }

    [TestCaseSource(nameof(ValidVersions))]
    public void Parse_ValidText_ReturnsParts(string text, int major, int minor, int patch, string preRelease, string build)
    {
        var version = SemanticVersion.Parse(text);

        Assert.Multiple(() =>
        {
            Assert.That(version.Major, Is.EqualTo(major));
            Assert.That(version.Minor, Is.EqualTo(minor));
            Assert.That(version.Patch, Is.EqualTo(patch));
            Assert.That(version.PreRelease, Is.EqualTo(preRelease));
            Assert.That(version.BuildMetadata, Is.EqualTo(build));
            Assert.That(version.IsPreRelease, Is.EqualTo(preRelease.Length > 0));
            Assert.That(version.ToString(), Is.EqualTo(text));
        });
    }

    [TestCaseSource(nameof(InvalidVersions))]
    public void TryParse_InvalidText_ReturnsFalseAndSaysWhatAndWhere(string text, string problem, int index)
    {
        var ok = SemanticVersion.TryParse(text, out var version, out var error);

        Assert.Multiple(() =>
        {
            Assert.That(ok, Is.False);
            Assert.That(version, Is.EqualTo(default(SemanticVersion)));
            Assert.That(error, Does.Contain(problem));
            Assert.That(error, Does.EndWith($"(at index {index})."));
            Assert.That(SemanticVersion.TryParse(text, out _), Is.False);
            Assert.That(SemanticVersion.TryParse(text.AsSpan(), out _), Is.False);
        });
    }

    [Test]
    public void Parse_InvalidText_ThrowsFormatExceptionWithTheProblem()
    {
        var ex = Assert.Throws<FormatException>(() => SemanticVersion.Parse("1.2.03"));

        Assert.That(ex!.Message, Is.EqualTo("'1.2.03' is not a valid semantic version: the patch version has a leading zero (at index 4)."));
    }

    [Test]
    public void Parse_Null_ThrowsArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>(() => SemanticVersion.Parse(null!));
    }

    [Test]
    public void TryParse_Null_ReturnsFalseWithMessage()
    {
        Assert.That(SemanticVersion.TryParse(null, out _), Is.False);
        Assert.That(SemanticVersion.TryParse(null, out _, out var error), Is.False);
        Assert.That(error, Does.Contain("null"));
    }

    [TestCaseSource(nameof(ValidVersions))]
    public void TryParse_Span_AgreesWithString(string text, int major, int minor, int patch, string preRelease, string build)
    {
        Assert.That(SemanticVersion.TryParse(text.AsSpan(), out var version), Is.True);
        Assert.That(version.ToString(), Is.EqualTo(text));
    }

    [Test]
    public void CompareTo_SpecPrecedenceExample_OrdersEveryPair()
    {
        AssertAscending(SpecPrecedenceExample);
    }

    [Test]
    public void CompareTo_MorePrecedenceLists_OrdersEveryPair()
    {
        foreach (var list in AscendingLists)
        {
            AssertAscending(list);
        }
    }

    [Test]
    public void CompareTo_SortingShuffledSpecExample_RestoresSpecOrder()
    {
        var shuffled = SpecPrecedenceExample.Reverse().Select(SemanticVersion.Parse).ToList();
        (shuffled[2], shuffled[5]) = (shuffled[5], shuffled[2]);

        shuffled.Sort();

        Assert.That(shuffled.Select(v => v.ToString()), Is.EqualTo(SpecPrecedenceExample));
    }

    [TestCase("1.0.0+a", "1.0.0+b")]
    [TestCase("1.0.0", "1.0.0+build.1")]
    [TestCase("1.0.0-rc.1+x", "1.0.0-rc.1+y.z")]
    public void Equals_DifferentBuildMetadata_EqualInPrecedence(string left, string right)
    {
        var a = SemanticVersion.Parse(left);
        var b = SemanticVersion.Parse(right);

        Assert.Multiple(() =>
        {
            Assert.That(a.CompareTo(b), Is.Zero);
            Assert.That(a == b, Is.True);
            Assert.That(a != b, Is.False);
            Assert.That(a.Equals((object)b), Is.True);
            Assert.That(a.GetHashCode(), Is.EqualTo(b.GetHashCode()));
            Assert.That(a.ToString(), Is.EqualTo(left));
            Assert.That(b.ToString(), Is.EqualTo(right));
        });
    }

    [Test]
    public void Default_IsZeroZeroZero()
    {
        Assert.That(default(SemanticVersion), Is.EqualTo(SemanticVersion.Parse("0.0.0")));
        Assert.That(default(SemanticVersion).ToString(), Is.EqualTo("0.0.0"));
    }

    [Test]
    public void Constructor_ValidParts_FormatsAsSemVer()
    {
        var version = new SemanticVersion(3, 1, 0, "beta.2", "sha.1");

        Assert.That(version.ToString(), Is.EqualTo("3.1.0-beta.2+sha.1"));
        Assert.That(version, Is.EqualTo(SemanticVersion.Parse("3.1.0-beta.2")));
    }

    [Test]
    public void Constructor_InvalidParts_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new SemanticVersion(-1, 0, 0));
        var ex = Assert.Throws<ArgumentException>(() => _ = new SemanticVersion(1, 0, 0, "beta.01"));
        Assert.That(ex!.Message, Does.Contain("leading zero"));
        Assert.Throws<ArgumentException>(() => _ = new SemanticVersion(1, 0, 0, null, "a b"));
    }

    [Test]
    public void CompareTo_Object_HandlesNullAndOtherTypes()
    {
        var v = SemanticVersion.Parse("1.0.0");

        Assert.That(v.CompareTo((object?)null), Is.Positive);
        Assert.That(v.CompareTo((object)SemanticVersion.Parse("2.0.0")), Is.Negative);
        Assert.Throws<ArgumentException>(() => v.CompareTo("1.0.0"));
    }

    [Test]
    public void CompareTo_PreReleaseVersions_DoesNotAllocate()
    {
        var a = SemanticVersion.Parse("1.0.0-beta.11.x.7");
        var b = SemanticVersion.Parse("1.0.0-beta.11.x.8");
        var sum = 0;
        sum += a.CompareTo(b); // warm up (JIT)
        _ = a.Equals(b) && a < b && a.GetHashCode() != 0;

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            sum += a.CompareTo(b);
            sum += a == b ? 1 : 0;
            sum += a.GetHashCode() & 1;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.Zero);
        Assert.That(sum, Is.Not.Zero);
    }

    [Test]
    public void TryFormat_SmallBuffer_ReturnsFalse()
    {
        var v = SemanticVersion.Parse("1.2.3-rc.1");
        Span<char> small = stackalloc char[4];
        Span<char> enough = stackalloc char[32];

        Assert.That(v.TryFormat(small, out _, default, null), Is.False);
        Assert.That(v.TryFormat(enough, out var written, default, null), Is.True);
        Assert.That(enough[..written].ToString(), Is.EqualTo("1.2.3-rc.1"));
    }

    private static void AssertAscending(IReadOnlyList<string> ascending)
    {
        var versions = ascending.Select(SemanticVersion.Parse).ToArray();
        Assert.Multiple(() =>
        {
            for (var i = 0; i < versions.Length; i++)
            {
                for (var j = 0; j < versions.Length; j++)
                {
                    var expected = i.CompareTo(j);
                    Assert.That(Math.Sign(versions[i].CompareTo(versions[j])), Is.EqualTo(expected), $"{ascending[i]} vs {ascending[j]}");
                    Assert.That(versions[i] < versions[j], Is.EqualTo(expected < 0), $"{ascending[i]} < {ascending[j]}");
                    Assert.That(versions[i] <= versions[j], Is.EqualTo(expected <= 0), $"{ascending[i]} <= {ascending[j]}");
                    Assert.That(versions[i] > versions[j], Is.EqualTo(expected > 0), $"{ascending[i]} > {ascending[j]}");
                    Assert.That(versions[i] >= versions[j], Is.EqualTo(expected >= 0), $"{ascending[i]} >= {ascending[j]}");
                    Assert.That(versions[i] == versions[j], Is.EqualTo(expected == 0), $"{ascending[i]} == {ascending[j]}");
                }
            }
        });
    }
}
