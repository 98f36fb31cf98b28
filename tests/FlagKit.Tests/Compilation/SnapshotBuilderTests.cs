using FlagKit.Compilation;
using FlagKit.Documents;

namespace FlagKit.Tests.Compilation;

public sealed class SnapshotBuilderTests
{
    private static readonly string Rule = """ "rules": [ { "id": "r", "conditions": [ { "attribute": "region", "op": "in", "values": ["eu"] } ], "variant": "on" } ] """;

    // A file with one problem → the one error expected, exactly as ops read it.
    private static readonly object[][] BadFiles =
    [
        ["unknown variant in a rule",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [], "variant": "maybe" } ] """)),
            "flag 'f' at $.flags[0].rules[0].variant: unknown variant 'maybe' in rule; the flag's variants are 'on', 'off'"],
        ["unknown variant in a target",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "targets": { "maybe": ["42"] } """)),
            "flag 'f' at $.flags[0].targets.maybe: unknown variant 'maybe' in target; the flag's variants are 'on', 'off'"],
        ["unknown off variant",
            TestDocuments.FileJson("""{ "key": "f", "on": true, "variants": { "on": true }, "offVariant": "off", "defaultRule": { "variant": "on" } }"""),
            "flag 'f' at $.flags[0].offVariant: unknown variant 'off' in offVariant; the flag's variants are 'on'"],
        ["unknown variant in a split",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [], "split": { "variants": [ { "variant": "on", "weight": 50 }, { "variant": "maybe", "weight": 50 } ] } } ] """)),
            "flag 'f' at $.flags[0].rules[0].split.variants[1].variant: unknown variant 'maybe' in split; the flag's variants are 'on', 'off'"],
        ["split weights not summing to 100",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [], "split": { "variants": [ { "variant": "on", "weight": 5 }, { "variant": "off", "weight": 94.5 } ] } } ] """)),
            "flag 'f' at $.flags[0].rules[0].split.variants: split weights must sum to 100, found 99.5"],
        ["split weight finer than 0.01",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [], "split": { "variants": [ { "variant": "on", "weight": 0.005 }, { "variant": "off", "weight": 100 } ] } } ] """)),
            "flag 'f' at $.flags[0].rules[0].split.variants[0].weight: a weight must be in steps of 0.01 %, found 0.005"],
        ["unknown prerequisite",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "prerequisites": [ { "flag": "ghost", "variant": "on" } ] """)),
            "flag 'f' at $.flags[0].prerequisites[0].flag: unknown prerequisite flag 'ghost'"],
        ["unknown prerequisite variant",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "prerequisites": [ { "flag": "g", "variant": "maybe" } ] """) + "," + TestDocuments.BoolFlag("g")),
            "flag 'f' at $.flags[0].prerequisites[0].variant: unknown variant 'maybe' of prerequisite flag 'g'; its variants are 'on', 'off'"],
        ["bad regex",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [ { "attribute": "app", "op": "regex", "values": ["slots-("] } ], "variant": "on" } ] """)),
            "flag 'f' at $.flags[0].rules[0].conditions[0].values[0]: 'slots-(' is not a valid regular expression: Invalid pattern 'slots-(' at offset 7. Not enough )'s."],
        ["bad CIDR address",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [ { "attribute": "ip", "op": "cidr", "values": ["10.0.0.300/8"] } ], "variant": "on" } ] """)),
            "flag 'f' at $.flags[0].rules[0].conditions[0].values[0]: '10.0.0.300/8' is not a CIDR block: '10.0.0.300' is not an IPv4 or IPv6 address"],
        ["bad CIDR prefix",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [ { "attribute": "ip", "op": "cidr", "values": ["10.0.0.0/33"] } ], "variant": "on" } ] """)),
            "flag 'f' at $.flags[0].rules[0].conditions[0].values[0]: '10.0.0.0/33' is not a CIDR block: the prefix length must be 0 to 32"],
        ["CIDR with host bits",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [ { "attribute": "ip", "op": "cidr", "values": ["10.1.0.0/8"] } ], "variant": "on" } ] """)),
            "flag 'f' at $.flags[0].rules[0].conditions[0].values[0]: '10.1.0.0/8' is not a CIDR block: the address has bits set beyond the /8 prefix"],
        ["value of the wrong kind",
            TestDocuments.FileJson("""{ "key": "f", "kind": "number", "on": true, "variants": { "low": 1, "high": "10" }, "offVariant": "low", "defaultRule": { "variant": "low" } }"""),
            "flag 'f' at $.flags[0].variants.high: a number flag's variant must be a finite number, found the string \"10\""],
        ["duplicate flag key",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f") + "," + TestDocuments.BoolFlag("f")),
            "flag 'f' at $.flags[1].key: duplicate flag key 'f'"],
        ["duplicate segment key",
            TestDocuments.FileJson("", """{ "key": "vip" }, { "key": "vip" }"""),
            "segment 'vip' at $.segments[1].key: duplicate segment key 'vip'"],
        ["unknown operator",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [ { "attribute": "region", "op": "like", "values": ["eu"] } ], "variant": "on" } ] """)),
            "flag 'f' at $.flags[0].rules[0].conditions[0].op: unknown operator 'like'; known operators: " + ConditionCompiler.KnownOperators],
        ["wrong operand count",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [ { "attribute": "uid", "op": "between", "values": [1] } ], "variant": "on" } ] """)),
            "flag 'f' at $.flags[0].rules[0].conditions[0].values: operator 'between' needs exactly 2 values, found 1"],
        ["no operands",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [ { "attribute": "region", "op": "in", "values": [] } ], "variant": "on" } ] """)),
            "flag 'f' at $.flags[0].rules[0].conditions[0].values: operator 'in' needs at least one value"],
        ["wrong operand type",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [ { "attribute": "level", "op": "gt", "values": ["10"] } ], "variant": "on" } ] """)),
            "flag 'f' at $.flags[0].rules[0].conditions[0].values[0]: expected a number, found the string \"10\""],
        ["inverted range",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [ { "attribute": "uid", "op": "between", "values": [10, 1] } ], "variant": "on" } ] """)),
            "flag 'f' at $.flags[0].rules[0].conditions[0].values: 'between' needs [low, high] with low <= high, found [10, 1]"],
        ["bad date",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [ { "attribute": "signup", "op": "before", "values": ["next tuesday"] } ], "variant": "on" } ] """)),
            "flag 'f' at $.flags[0].rules[0].conditions[0].values[0]: 'next tuesday' is not an ISO 8601 date (e.g. 2026-12-01 or 2026-12-01T10:00:00Z)"],
        ["bad key syntax",
            TestDocuments.FileJson(TestDocuments.BoolFlag("new bonus engine")),
            "flag 'new bonus engine' at $.flags[0].key: 'new bonus engine' is not a valid flag key: use 1 to 128 letters, digits, '.', '_' or '-'"],
        ["unsupported schema",
            """{ "schema": 2, "flags": [] }""",
            "file at $.schema: unsupported schema 2: this SDK reads schema 1"],
        ["unknown segment",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [ { "op": "inSegment", "values": ["vip"] } ], "variant": "on" } ] """)),
            "flag 'f' at $.flags[0].rules[0].conditions[0].values[0]: unknown segment 'vip'"],
        ["rule serving both a variant and a split",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [], "variant": "on", "split": { "variants": [ { "variant": "on", "weight": 100 } ] } } ] """)),
            "flag 'f' at $.flags[0].rules[0]: a rule serves exactly one of 'variant' and 'split'"],
        ["account targeted twice",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "targets": { "on": ["42"], "off": ["42"] } """)),
            "flag 'f' at $.flags[0].targets.off[0]: account '42' is already a target of variant 'on'"],
        ["bad semver operand",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [ { "attribute": "clientVersion", "op": "semverGte", "values": ["3.x"] } ], "variant": "on" } ] """)),
            "flag 'f' at $.flags[0].rules[0].conditions[0].values[0]: " + SemverError("3.x")],
        ["bad semver range",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [ { "attribute": "clientVersion", "op": "semverRange", "values": [">=banana"] } ], "variant": "on" } ] """)),
            "flag 'f' at $.flags[0].rules[0].conditions[0].values[0]: " + RangeError(">=banana")],
        ["version flag with a non-version value",
            TestDocuments.FileJson("""{ "key": "calc", "kind": "version", "on": true, "variants": { "v2": "2.0.0", "v3": "three" }, "offVariant": "v2", "defaultRule": { "variant": "v2" } }"""),
            "flag 'calc' at $.flags[0].variants.v3: a version flag's variant must be a semantic version string (e.g. \"2.3.0\"), found the string \"three\""],
        ["duplicate rule id",
            TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "rules": [ { "id": "a", "conditions": [], "variant": "on" }, { "id": "a", "conditions": [], "variant": "off" } ] """)),
            "flag 'f' at $.flags[0].rules[1].id: duplicate rule id 'a'"],
    ];

    private static string SemverError(string text)
    {
        FlagKit.Versioning.SemanticVersion.TryParse(text, out _, out var error);
        return error!;
    }

    private static string RangeError(string text)
    {
        FlagKit.Versioning.VersionRange.TryParse(text, out _, out var error);
        return error!;
    }

    private static IEnumerable<TestCaseData> BadFileCases() => BadFiles.Select(c => new TestCaseData(c[1], c[2]).SetArgDisplayNames((string)c[0]));

    [TestCaseSource(nameof(BadFileCases))]
    public void Build_BadDocument_ReportsTheDocumentedError(string fileJson, string expected)
    {
        Assert.That(TestDocuments.BuildErrors(fileJson), Is.EqualTo(new[] { expected }));
    }

    [Test]
    public void Build_PrerequisiteCycle_ReportsTheCycleOnEveryFlagInIt()
    {
        var file = TestDocuments.FileJson(
            TestDocuments.BoolFlag("a", """ "prerequisites": [ { "flag": "b", "variant": "on" } ] """) + "," +
            TestDocuments.BoolFlag("b", """ "prerequisites": [ { "flag": "c", "variant": "on" } ] """) + "," +
            TestDocuments.BoolFlag("c", """ "prerequisites": [ { "flag": "a", "variant": "on" } ] """));

        Assert.That(TestDocuments.BuildErrors(file), Is.EqualTo(new[]
        {
            "flag 'a' at $.flags[0].prerequisites[0].flag: prerequisite cycle: a → b → c → a",
            "flag 'b' at $.flags[1].prerequisites[0].flag: prerequisite cycle: b → c → a → b",
            "flag 'c' at $.flags[2].prerequisites[0].flag: prerequisite cycle: c → a → b → c",
        }));
    }

    [Test]
    public void Build_SelfPrerequisite_IsRefused()
    {
        var file = TestDocuments.FileJson(TestDocuments.BoolFlag("a", """ "prerequisites": [ { "flag": "a", "variant": "on" } ] """));

        Assert.That(TestDocuments.BuildErrors(file), Is.EqualTo(new[] { "flag 'a' at $.flags[0].prerequisites[0].flag: a flag cannot be its own prerequisite" }));
    }

    [Test]
    public void Build_SegmentCycle_ReportsTheCycle()
    {
        var file = TestDocuments.FileJson("", """
            { "key": "a", "rules": [ { "conditions": [ { "op": "inSegment", "values": ["b"] } ] } ] },
            { "key": "b", "rules": [ { "conditions": [ { "op": "inSegment", "values": ["a"] } ] } ] }
            """);

        Assert.That(TestDocuments.BuildErrors(file), Is.EqualTo(new[]
        {
            "segment 'b' at $.segments[1].rules[0].conditions[0].values[0]: segment cycle: a → b → a",
            "segment 'a' at $.segments[0].rules[0].conditions[0].values[0]: segment 'b' has errors",
        }));
    }

    [Test]
    public void Build_ManyProblems_ReportsEveryOne()
    {
        var file = TestDocuments.FileJson(
            """{ "key": "bad key", "kind": "number", "on": true, "variants": { "a": true }, "offVariant": "zz", "defaultRule": { "variant": "yy" } }""" + "," +
            TestDocuments.BoolFlag("g", """ "rules": [ { "conditions": [ { "attribute": "x", "op": "nope", "values": [1] }, { "attribute": "ip", "op": "cidr", "values": ["bad"] } ], "variant": "on" } ] """));

        var errors = TestDocuments.BuildErrors(file);

        Assert.That(errors, Has.Count.EqualTo(6));
        Assert.That(errors, Has.Some.StartsWith("flag 'bad key' at $.flags[0].key:"));
        Assert.That(errors, Has.Some.StartsWith("flag 'bad key' at $.flags[0].variants.a:"));
        Assert.That(errors, Has.Some.StartsWith("flag 'bad key' at $.flags[0].offVariant:"));
        Assert.That(errors, Has.Some.StartsWith("flag 'bad key' at $.flags[0].defaultRule.variant:"));
        Assert.That(errors, Has.Some.StartsWith("flag 'g' at $.flags[1].rules[0].conditions[0].op:"));
        Assert.That(errors, Has.Some.StartsWith("flag 'g' at $.flags[1].rules[0].conditions[1].values[0]:"));
    }

    [Test]
    public void Build_ValidFile_CompilesEveryFlagAndSegment()
    {
        var snapshot = TestDocuments.Snapshot(TestDocuments.FileJson(TestDocuments.BoolFlag("a", Rule) + "," + TestDocuments.BoolFlag("b"), """{ "key": "vip" }"""), revision: 12);

        Assert.That(snapshot.Revision, Is.EqualTo(12));
        Assert.That(snapshot.FlagCount, Is.EqualTo(2));
        Assert.That(snapshot.SegmentCount, Is.EqualTo(1));
        Assert.That(snapshot.FlagKeys, Is.EquivalentTo(new[] { "a", "b" }));
    }

    // The compiler reuses its working sets from one flag to the next: what one flag declares (rule ids, split variants,
    // variant names) must neither leak into the next flag nor survive a flag that failed half way.
    [Test]
    public void Build_FlagsReusingRuleIdsAndSplitVariants_EachJudgedOnItsOwn()
    {
        const string Split = """ "defaultRule": { "split": { "variants": [ { "variant": "on", "weight": 50 }, { "variant": "off", "weight": 50 } ] } } """;
        const string TwiceR = """ "rules": [ { "id": "r", "conditions": [], "variant": "on" }, { "id": "r", "conditions": [], "variant": "off" } ] """;
        var good = TestDocuments.Snapshot(TestDocuments.FileJson(
            string.Join(",", Enumerable.Range(0, 3).Select(i => $$"""{ "key": "f{{i}}", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off", {{Rule}}, {{Split}} }"""))));
        var failures = new List<DocumentFailure>();

        var mixed = SnapshotBuilder.BuildLenient(
            TestDocuments.File(TestDocuments.FileJson(TestDocuments.BoolFlag("a", TwiceR) + "," + TestDocuments.BoolFlag("b", Rule))), 2, null, failures);

        Assert.That(good.FlagCount, Is.EqualTo(3), "three flags with the same rule id and split variants are all valid");
        Assert.That(failures.Select(f => f.Key), Is.EqualTo(new[] { "a" }));
        Assert.That(failures[0].Reason, Does.Contain("$.flags[0].rules[1].id: duplicate rule id 'r'"));
        Assert.That(mixed.Evaluate("b", new EvaluationContext { Region = "eu" }).RuleId, Is.EqualTo("r"), "b, after a failed flag, compiles its rule 'r'");
    }

    [Test]
    public void ParseFile_MalformedJson_NamesPathAndLine()
    {
        var ex = Assert.Throws<FlagValidationException>(() => TestDocuments.File("{ \"schema\": 1,\n \"flags\": [ { \"key\": \"a\", \"on\": yes } ] }"));

        Assert.That(ex!.Errors.Single().ToString(), Does.StartWith("file 'test.json' at $.flags[0].on: invalid JSON (line 2"));
    }

    [Test]
    public void ParseFile_Utf8ByteOrderMark_IsSkipped()
    {
        var bytes = System.Text.Encoding.UTF8.GetPreamble().Concat(System.Text.Encoding.UTF8.GetBytes(TestDocuments.FileJson(TestDocuments.BoolFlag("a")))).ToArray();

        Assert.That(FlagJson.ParseFile(bytes, "bom.json").Flags.Single().Key, Is.EqualTo("a"));
    }

    [Test]
    public void BuildLenient_BadFlag_KeepsItsLastGoodVersionAndReportsIt()
    {
        var previous = TestDocuments.Snapshot(TestDocuments.FileJson(TestDocuments.BoolFlag("a") + "," + TestDocuments.BoolFlag("b")));
        var next = TestDocuments.File(TestDocuments.FileJson(
            TestDocuments.BoolFlag("a", """ "rules": [ { "conditions": [ { "attribute": "x", "op": "fromTheFuture", "values": [] } ], "variant": "off" } ] """, defaultVariant: "off") + "," +
            TestDocuments.BoolFlag("b", defaultVariant: "off") + "," +
            """{ "key": "c", "on": true, "variants": { "on": true }, "offVariant": "nope", "defaultRule": { "variant": "on" } }"""));
        var failures = new List<DocumentFailure>();

        var snapshot = SnapshotBuilder.BuildLenient(next, 2, previous, failures);

        Assert.That(failures.Select(f => f.Key), Is.EqualTo(new[] { "a", "c" }));
        Assert.That(failures[0].Reason, Does.Contain("unknown operator 'fromTheFuture'"));
        Assert.That(snapshot.Evaluate("a", null).Variant!.Name, Is.EqualTo("on"), "a keeps its last good version");
        Assert.That(snapshot.Evaluate("b", null).Variant!.Name, Is.EqualTo("off"), "b takes its new version");
        var c = snapshot.Evaluate("c", null);
        Assert.That((c.Reason, c.ErrorCode), Is.EqualTo((EvaluationReason.Error, EvaluationErrorCode.InvalidFlag)), "c has no good version");
    }

    [Test]
    public void BuildLenient_UnsupportedSchema_CompilesWhatItUnderstands()
    {
        var file = TestDocuments.File("""{ "schema": 2, "flags": [ """ + TestDocuments.BoolFlag("a") + "] }");
        var failures = new List<DocumentFailure>();

        var snapshot = SnapshotBuilder.BuildLenient(file, 1, null, failures);

        Assert.That(failures.Single().Reason, Does.Contain("unsupported schema 2"));
        Assert.That(snapshot.Evaluate("a", null).Reason, Is.EqualTo(EvaluationReason.Default));
    }

    [Test]
    public void ApplyDelta_OneFlagChanged_ReusesEveryOtherCompiledFlag()
    {
        var previous = TestDocuments.Snapshot(TestDocuments.FileJson(TestDocuments.BoolFlag("a") + "," + TestDocuments.BoolFlag("b") + "," + TestDocuments.BoolFlag("c")));
        var failures = new List<DocumentFailure>();

        var next = SnapshotBuilder.ApplyDelta(previous, 2, [TestDocuments.Flag(TestDocuments.BoolFlag("b", defaultVariant: "off"))], [], ["c"], [], failures);

        Assert.That(failures, Is.Empty);
        Assert.That(next.Revision, Is.EqualTo(2));
        Assert.That(next.FlagKeys, Is.EquivalentTo(new[] { "a", "b" }));
        Assert.That(next.Flags["a"], Is.SameAs(previous.Flags["a"]));
        Assert.That(next.Evaluate("b", null).Variant!.Name, Is.EqualTo("off"));
    }

    // Flags with equal splits share the compiled bounds and variant indexes (one array for every 5 % rollout): ramping
    // one of them must not move the others.
    [Test]
    public void ApplyDelta_RampOneOfSeveralEqualRollouts_TheOthersKeepTheirShare()
    {
        static string Rollout(string key, int percent) => $$"""
            { "key": "{{key}}", "kind": "bool", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off",
              "defaultRule": { "split": { "variants": [ { "variant": "on", "weight": {{percent}} }, { "variant": "off", "weight": {{100 - percent}} } ] } } }
            """;
        var previous = TestDocuments.Snapshot(TestDocuments.FileJson(string.Join(",", Rollout("a", 5), Rollout("b", 5), Rollout("c", 5))));
        var failures = new List<DocumentFailure>();

        var next = SnapshotBuilder.ApplyDelta(previous, 2, [TestDocuments.Flag(Rollout("b", 50))], [], [], [], failures);

        int On(FlagSnapshot snapshot, string key) =>
            Enumerable.Range(0, 10_000).Count(i => snapshot.Evaluate(key, EvaluationContext.ForAccount($"player-{i}")).Variant!.Name == "on");
        Assert.That(failures, Is.Empty);
        Assert.Multiple(() =>
        {
            Assert.That(On(next, "a"), Is.EqualTo(On(previous, "a")).And.InRange(400, 600));
            Assert.That(On(next, "c"), Is.InRange(400, 600));
            Assert.That(On(next, "b"), Is.InRange(4_800, 5_200));
            Assert.That(On(previous, "b"), Is.InRange(400, 600), "the previous snapshot is untouched");
        });
    }

    // Operand texts are shared between flags and found from the JSON bytes; escaped, non-ASCII and long texts must
    // still be the text the document means, whichever flag saw a text first.
    [Test]
    public void Build_OperandsSharedAcrossFlags_EscapedNonAsciiAndLongTexts_MatchWhatTheDocumentSays()
    {
        var longText = new string('x', 200);
        string Rule(string key, string values) => TestDocuments.BoolFlag(key,
            $$""" "rules": [ { "conditions": [ { "attribute": "region", "op": "in", "values": [{{values}}] } ], "variant": "off" } ] """);
        var snapshot = TestDocuments.Snapshot(TestDocuments.FileJson(string.Join(",",
            Rule("literal", """ "caf\\u00e9" """),
            Rule("plain", """ "café", "eu" """),
            Rule("escaped", """ "caf\u00e9", "e\u0075", "quote\"d" """),
            Rule("long", $""" "{longText}", "eu" """))));

        bool Off(string key, string region) => snapshot.Evaluate(key, new EvaluationContext { AccountId = "1", Region = region }).Variant!.Name == "off";
        Assert.Multiple(() =>
        {
            Assert.That(Off("plain", "café") && Off("plain", "eu"), Is.True);
            Assert.That(Off("escaped", "café") && Off("escaped", "eu") && Off("escaped", "quote\"d"), Is.True);
            Assert.That(Off("escaped", "caf\\u00e9"), Is.False, "the escape is decoded, not kept");
            Assert.That(Off("literal", "caf\\u00e9") && !Off("literal", "café"), Is.True, "an escaped backslash is a backslash");
            Assert.That(Off("long", longText) && Off("long", "eu"), Is.True);
            Assert.That(Off("plain", "cafe") || Off("long", longText[..199]), Is.False);
        });
    }

    [Test]
    public void ApplyDelta_SegmentChanged_RecompilesTheFlagsAndSegmentsThatUseIt()
    {
        var previous = TestDocuments.Snapshot(TestDocuments.FileJson(
            TestDocuments.BoolFlag("uses-whales", """ "rules": [ { "conditions": [ { "op": "inSegment", "values": ["whales"] } ], "variant": "off" } ] """) + "," + TestDocuments.BoolFlag("plain"),
            """{ "key": "vip", "included": ["1"] }, { "key": "whales", "rules": [ { "conditions": [ { "op": "inSegment", "values": ["vip"] } ] } ] }"""));
        var failures = new List<DocumentFailure>();

        var next = SnapshotBuilder.ApplyDelta(previous, 2, [], [TestDocuments.Segment("""{ "key": "vip", "included": ["2"] }""")], [], [], failures);

        Assert.That(failures, Is.Empty);
        Assert.That(next.Flags["plain"], Is.SameAs(previous.Flags["plain"]));
        Assert.That(next.Flags["uses-whales"], Is.Not.SameAs(previous.Flags["uses-whales"]));
        Assert.That(next.Evaluate("uses-whales", EvaluationContext.ForAccount("2")).Reason, Is.EqualTo(EvaluationReason.RuleMatch));
        Assert.That(next.Evaluate("uses-whales", EvaluationContext.ForAccount("1")).Reason, Is.EqualTo(EvaluationReason.Default));
    }

    [Test]
    public void ApplyDelta_PrerequisiteCycle_RefusesTheFlagAndKeepsItsLastGoodVersion()
    {
        var previous = TestDocuments.Snapshot(TestDocuments.FileJson(
            TestDocuments.BoolFlag("a", """ "prerequisites": [ { "flag": "b", "variant": "on" } ] """) + "," + TestDocuments.BoolFlag("b")));
        var failures = new List<DocumentFailure>();

        var next = SnapshotBuilder.ApplyDelta(previous, 2, [TestDocuments.Flag(TestDocuments.BoolFlag("b", """ "prerequisites": [ { "flag": "a", "variant": "on" } ] """))], [], [], [], failures);

        Assert.That(failures.Single().Reason, Is.EqualTo("flag 'b' at $.prerequisites[0].flag: prerequisite cycle: b → a → b"));
        Assert.That(next.Flags["b"], Is.SameAs(previous.Flags["b"]));
        Assert.That(next.Evaluate("a", null).Reason, Is.EqualTo(EvaluationReason.Default));
    }

    [Test]
    public void ApplyDelta_SegmentRemovedWhileUsed_KeepsTheFlagsLastGoodVersion()
    {
        var previous = TestDocuments.Snapshot(TestDocuments.FileJson(
            TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [ { "op": "inSegment", "values": ["vip"] } ], "variant": "off" } ] """),
            """{ "key": "vip", "included": ["1"] }"""));
        var failures = new List<DocumentFailure>();

        var next = SnapshotBuilder.ApplyDelta(previous, 2, [], [], [], ["vip"], failures);

        Assert.That(failures.Single().Reason, Is.EqualTo("flag 'f' at $.rules[0].conditions[0].values[0]: unknown segment 'vip'"));
        Assert.That(next.SegmentCount, Is.Zero);
        Assert.That(next.Evaluate("f", EvaluationContext.ForAccount("1")).Reason, Is.EqualTo(EvaluationReason.RuleMatch));
    }
}
