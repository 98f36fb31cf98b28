using System.Text;
using System.Text.Json;
using FlagKit.Compilation;
using FlagKit.Documents;
using FsCheck;
using FsCheck.Fluent;

namespace FlagKit.Reliability.Tests.BadInput;

/// <summary>
/// FsCheck generators of flag documents and evaluation contexts, biased towards the edges: keys that are invalid or
/// collide, unknown operators, operands of the wrong type, regexes that do not parse or backtrack, weights that do not
/// sum, prerequisite and segment cycles, unknown schemas; and byte-level mutations of their JSON.
/// </summary>
internal static class FlagDocumentGenerators
{
    /// <summary>Keys drawn from a small pool so that prerequisites, segment references and duplicates hit each other.</summary>
    private static readonly string[] Keys = ["a", "b", "c", "flag-1", "seg.x", "seg_y", "", "bad key", new string('k', 129), "ünï", "../x"];

    private static readonly string[] VariantNames = ["on", "off", "a", "b", "v1", "", "missing"];

    private static readonly string[] Attributes = ["accountId", "segment", "region", "game", "app", "ip", "clientVersion", "score", "custom", ""];

    private static readonly string[] Operators =
    [
        "in", "notIn", "equals", "startsWith", "endsWith", "contains", "regex", "lt", "lte", "gt", "gte", "between",
        "semverEq", "semverLt", "semverLte", "semverGt", "semverGte", "semverRange", "cidr", "before", "after", "inSegment",
        "nope", "", "REGEX",
    ];

    /// <summary>The operand pool: every operator meets valid and invalid operands for it, including a backtracking regex.</summary>
    private static readonly string[] OperandJson =
    [
        "\"eu\"", "\"uk\"", "\"a\"", "\"\"", "1", "0", "-1.5", "10", "1e308", "true", "null", "{}", "[1]",
        "\"10.0.0.0/8\"", "\"::1/128\"", "\"300.1.1.1/99\"", "\"192.168.1.0/24\"", "\"10.0.0.0/33\"",
        "\"1.2.3\"", "\"2.0.0-rc.1\"", "\">=1.0 <2.0\"", "\"^1.2\"", "\"~1.4\"", "\"not a version\"", "\"1.2.3.4.5\"",
        "\"2024-01-01\"", "\"2024-01-01T00:00:00Z\"", "\"2024-13-45T99\"",
        "\"^a.*b$\"", "\"[\"", "\"(a+)+$\"", "\"(?<n>x)\\\\k<n>\"",
        "\"seg.x\"", "\"seg_y\"", "\"b\"",
    ];

    private static readonly string[] ValueJson =
    [
        "true", "false", "1", "-2.5", "0", "\"s\"", "\"\"", "\"1.2.3\"", "\"2.0.0-rc.1\"", "\"x.y\"", "{}", "[]", "null",
        "{\"a\":[1,2,{\"b\":null}]}", "1e308", "\"ünïcode 😀\"",
    ];

    /// <summary>Context attribute values: IPs valid and not, versions valid and not, a string that makes <c>(a+)+$</c> backtrack.</summary>
    private static readonly string?[] ContextText =
    [
        null, "", "eu", "uk", "a", "b", "acct-1", "10.1.2.3", "192.168.1.7", "::1", "::ffff:10.0.0.1", "999.1.1.1", "not-an-ip",
        "1.2.3", "1.5.0", "2.0.0-rc.1", "v1", "1.2", "2024-06-01T00:00:00Z", "42", "NaN", "😀", "seg.x",
        new string('a', 28) + "!",
    ];

    private static readonly double[] ContextNumbers = [0, 1, -1, 10, 1e308, double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon];

    /// <summary>A whole flags file.</summary>
    public static Gen<FlagFile> File =>
        from schema in Gen.Frequency((8, Gen.Constant(FlagFile.CurrentSchema)), (1, Gen.Elements(0, 2, 99, -1)))
        from flags in Gen.Choose(0, 6).SelectMany(n => Gen.ListOf(Flag, n))
        from segments in Gen.Choose(0, 3).SelectMany(n => Gen.ListOf(Segment, n))
        select new FlagFile { Schema = schema, Flags = [.. flags], Segments = [.. segments] };

    /// <summary>One flag document.</summary>
    public static Gen<FlagDocument> Flag =>
        from key in Gen.Elements(Keys)
        from kind in Gen.Elements(Enum.GetValues<FlagKind>())
        from isOn in Gen.Elements(true, true, false)
        from isKilled in Gen.Frequency((5, Gen.Constant(false)), (1, Gen.Constant(true)))
        from tags in Gen.Choose(0, 2).SelectMany(n => Gen.ListOf(Gen.Elements("wallet", "ui", "", "a b"), n))
        from salt in Gen.Elements<string?>(null, "s", "")
        from variants in Gen.Choose(0, 4).SelectMany(n => Gen.ListOf(Gen.Zip(Gen.Elements(VariantNames), Gen.Elements(ValueJson)), n))
        from offVariant in Gen.Elements(VariantNames)
        from prerequisites in Gen.Choose(0, 2).SelectMany(n => Gen.ListOf(Gen.Zip(Gen.Elements(Keys), Gen.Elements(VariantNames)), n))
        from targets in Gen.Choose(0, 2).SelectMany(n => Gen.ListOf(Gen.Zip(Gen.Elements(VariantNames), Gen.Elements("acct-1", "acct-2", "")), n))
        from rules in Gen.Choose(0, 3).SelectMany(n => Gen.ListOf(Rule, n))
        from defaultRule in Serve
        select BuildFlag(key, kind, isOn, isKilled, tags, salt, variants, offVariant, prerequisites, targets, rules, defaultRule);

    /// <summary>One segment document.</summary>
    public static Gen<SegmentDocument> Segment =>
        from key in Gen.Elements(Keys)
        from included in Gen.Choose(0, 2).SelectMany(n => Gen.ListOf(Gen.Elements("acct-1", "acct-2", ""), n))
        from excluded in Gen.Choose(0, 1).SelectMany(n => Gen.ListOf(Gen.Elements("acct-1", "acct-3"), n))
        from rules in Gen.Choose(0, 2).SelectMany(n => Gen.ListOf(Gen.Choose(0, 3).SelectMany(m => Gen.ListOf(Condition, m)), n))
        select new SegmentDocument
        {
            Key = key,
            Included = [.. included],
            Excluded = [.. excluded],
            Rules = [.. rules.Select(c => new SegmentRuleDocument { Conditions = [.. c] })],
        };

    /// <summary>An evaluation context with well-known and custom attributes, text and numbers.</summary>
    public static Gen<EvaluationContext> Context =>
        from account in Gen.Elements(ContextText)
        from region in Gen.Elements(ContextText)
        from segment in Gen.Elements(ContextText)
        from ip in Gen.Elements(ContextText)
        from version in Gen.Elements(ContextText)
        from app in Gen.Elements(ContextText)
        from customText in Gen.Elements(ContextText)
        from score in Gen.Elements(ContextNumbers)
        select new EvaluationContext
        {
            AccountId = account,
            Region = region,
            Segment = segment,
            ClientIp = ip,
            ClientVersion = version,
            App = app,
            Game = customText,
        }.WithAttribute("custom", customText).WithAttribute("score", score);

    /// <summary>A flags file serialized, then damaged at the byte level one to four times.</summary>
    public static Gen<byte[]> MutatedFileBytes =>
        from file in File
        from mutations in Gen.Choose(1, 4).SelectMany(n => Gen.ListOf(Mutation, n))
        select Apply(FlagJson.SerializeFile(file), mutations);

    /// <summary>A single flag document serialized, then damaged.</summary>
    public static Gen<byte[]> MutatedFlagBytes =>
        from flag in Flag
        from mutations in Gen.Choose(1, 3).SelectMany(n => Gen.ListOf(Mutation, n))
        select Apply(FlagJson.SerializeFlag(flag), mutations);

    private static Gen<RuleDocument> Rule =>
        from id in Gen.Elements<string?>(null, "r1", "r2", "r1", "")
        from conditions in Gen.Choose(0, 3).SelectMany(n => Gen.ListOf(Condition, n))
        from serve in Serve
        select new RuleDocument { Id = id, Conditions = [.. conditions], Variant = serve.Variant, Split = serve.Split };

    private static Gen<ServeDocument> Serve =>
        Gen.Frequency(
            (3, Gen.Elements(VariantNames).Select(v => new ServeDocument { Variant = v })),
            (2, Split.Select(s => new ServeDocument { Split = s })),
            (1, Gen.Constant(new ServeDocument())),
            (1, Gen.Zip(Gen.Elements(VariantNames), Split).Select(p => new ServeDocument { Variant = p.Item1, Split = p.Item2 })));

    private static Gen<SplitDocument> Split =>
        from bucketBy in Gen.Elements<string?>(null, "accountId", "region", "custom", "nothing")
        from salt in Gen.Elements<string?>(null, "x")
        from weights in Gen.OneOf(
            Gen.Constant(new[] { 100.0 }),
            Gen.Constant(new[] { 50.0, 50.0 }),
            Gen.Constant(new[] { 33.33, 33.33, 33.34 }),
            Gen.Constant(new[] { 5.0, 95.0 }),
            Gen.Choose(1, 3).SelectMany(n => Gen.ArrayOf(Gen.Elements(-1.0, 0, 0.001, 12.5, 50, 100, 150), n)))
        from names in Gen.ArrayOf(Gen.Elements(VariantNames), weights.Length)
        select new SplitDocument
        {
            BucketBy = bucketBy,
            Salt = salt,
            Variants = [.. weights.Select((w, i) => new WeightedVariant { Variant = names[i], Weight = w })],
        };

    private static Gen<ConditionDocument> Condition =>
        from attribute in Gen.Elements(Attributes)
        from op in Gen.Elements(Operators)
        from values in Gen.Choose(0, 3).SelectMany(n => Gen.ListOf(Gen.Elements(OperandJson), n))
        from negate in Gen.Elements(false, false, true)
        select new ConditionDocument { Attribute = attribute, Op = op, Values = [.. values.Select(Json)], Negate = negate };

    /// <summary>One byte-level change: what a bad disk, a bad proxy or a bad hand edit does to a document.</summary>
    private static Gen<Func<byte[], byte[]>> Mutation =>
        Gen.OneOf(
            Gen.Choose(0, int.MaxValue).Select<int, Func<byte[], byte[]>>(seed => b => FlipBit(b, seed)),
            Gen.Choose(0, int.MaxValue).Select<int, Func<byte[], byte[]>>(seed => b => Truncate(b, seed)),
            Gen.Choose(0, int.MaxValue).Select<int, Func<byte[], byte[]>>(seed => b => DeleteRange(b, seed)),
            Gen.Choose(0, int.MaxValue).Select<int, Func<byte[], byte[]>>(seed => b => DuplicateRange(b, seed)),
            Gen.Zip(Gen.Choose(0, int.MaxValue), Gen.Elements(Tokens)).Select<(int, string), Func<byte[], byte[]>>(p => b => Insert(b, p.Item1, p.Item2)),
            Gen.Zip(Gen.Elements(Tokens), Gen.Elements(Tokens)).Select<(string, string), Func<byte[], byte[]>>(p => b => ReplaceFirst(b, p.Item1, p.Item2)));

    /// <summary>Fragments inserted or swapped in: other JSON types, deep nesting, huge numbers, invalid UTF-8, a second key.</summary>
    private static readonly string[] Tokens =
    [
        "true", "false", "null", "0", "-1", "1e400", "\"\"", "{}", "[]", "\"on\"", "\"off\"", "\"regex\"", "\"inSegment\"",
        "\"key\"", "\"variants\"", "\"weight\"", "\"split\"", ",", ":", "{", "}", "[", "]", "\"", "\\u0000", "\\ud800",
        new string('[', 200), "\"key\":\"dup\",", "\xC3\x28", "\"schema\":2,", "9999999999999999999999",
    ];

    private static FlagDocument BuildFlag(
        string key,
        FlagKind kind,
        bool on,
        bool killed,
        IEnumerable<string> tags,
        string? salt,
        IEnumerable<(string Name, string Json)> variants,
        string offVariant,
        IEnumerable<(string Flag, string Variant)> prerequisites,
        IEnumerable<(string Variant, string Account)> targets,
        IEnumerable<RuleDocument> rules,
        ServeDocument defaultRule)
    {
        var flag = new FlagDocument
        {
            Key = key,
            Kind = kind,
            On = on,
            Killed = killed,
            Tags = [.. tags],
            Salt = salt,
            OffVariant = offVariant,
            Prerequisites = [.. prerequisites.Select(p => new PrerequisiteDocument { Flag = p.Flag, Variant = p.Variant })],
            Rules = [.. rules],
            DefaultRule = defaultRule,
        };
        foreach ((string name, string json) in variants)
        {
            flag.Variants[name] = Json(json);
        }

        foreach ((string variant, string account) in targets)
        {
            if (!flag.Targets.TryGetValue(variant, out List<string>? accounts))
            {
                flag.Targets[variant] = accounts = [];
            }

            accounts.Add(account);
        }

        return flag;
    }

    private static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static byte[] Apply(byte[] bytes, IEnumerable<Func<byte[], byte[]>> mutations)
    {
        foreach (Func<byte[], byte[]> mutate in mutations)
        {
            bytes = mutate(bytes);
        }

        return bytes;
    }

    private static byte[] FlipBit(byte[] b, int seed)
    {
        if (b.Length == 0)
        {
            return b;
        }

        byte[] copy = [.. b];
        copy[seed % copy.Length] ^= (byte)(1 << (seed / 7 % 8));
        return copy;
    }

    private static byte[] Truncate(byte[] b, int seed) => b.Length == 0 ? b : b[..(seed % b.Length)];

    private static byte[] DeleteRange(byte[] b, int seed)
    {
        if (b.Length < 2)
        {
            return b;
        }

        int start = seed % b.Length;
        int length = Math.Min(1 + (seed / 13 % 16), b.Length - start);
        return [.. b[..start], .. b[(start + length)..]];
    }

    private static byte[] DuplicateRange(byte[] b, int seed)
    {
        if (b.Length < 2)
        {
            return b;
        }

        int start = seed % b.Length;
        int length = Math.Min(1 + (seed / 17 % 64), b.Length - start);
        return [.. b[..(start + length)], .. b[start..(start + length)], .. b[(start + length)..]];
    }

    private static byte[] Insert(byte[] b, int seed, string token)
    {
        int at = b.Length == 0 ? 0 : seed % b.Length;
        byte[] bytes = token.Any(c => c > 0x7F && c <= 0xFF) ? Encoding.Latin1.GetBytes(token) : Encoding.UTF8.GetBytes(token);
        return [.. b[..at], .. bytes, .. b[at..]];
    }

    private static byte[] ReplaceFirst(byte[] b, string find, string replace)
    {
        byte[] needle = Encoding.UTF8.GetBytes(find);
        int at = b.AsSpan().IndexOf(needle);
        return at < 0 ? b : [.. b[..at], .. Encoding.UTF8.GetBytes(replace), .. b[(at + needle.Length)..]];
    }
}
