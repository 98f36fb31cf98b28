using System.Diagnostics;
using System.Globalization;
using System.Text;
using FlagKit.Compilation;
using FlagKit.Documents;
using FlagKit.Evaluation;
using FlagKit.Sources;
using FsCheck;
using FsCheck.Fluent;

namespace FlagKit.Reliability.Tests.BadInput;

/// <summary>
/// Property tests over random and mutated flag documents and contexts, through the parser (<see cref="FlagJson"/>),
/// the validator and compiler (<see cref="SnapshotBuilder"/>: strict, lenient, delta) and the evaluator
/// (<see cref="FlagSnapshot"/> and <see cref="FlagClient"/>'s typed getters).
/// </summary>
/// <remarks>
/// Properties: nothing escapes the parser or the strict build but <see cref="FlagValidationException"/>; the lenient
/// build and the delta never throw; evaluation never throws; a snapshot that passed the strict build never faults
/// (reason ERROR) unless a regex timed out; and every run ends (regexes have a match timeout; the whole run has a deadline).
/// Cases per property: <see cref="CasesPerProperty"/> (300 by default; set <c>FLAGKIT_FUZZ_CASES</c> for longer runs).
/// </remarks>
[TestFixture]
public sealed class FlagDocumentFuzzTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(10);

    /// <summary>Cases per property: <c>FLAGKIT_FUZZ_CASES</c>, else 300.</summary>
    private static int CasesPerProperty =>
        int.TryParse(Environment.GetEnvironmentVariable("FLAGKIT_FUZZ_CASES"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 300;

    [Test]
    public Task GeneratedFiles_StrictLenientAndEvaluation_OnlyValidationErrorsNeverThrow() =>
        RunProperty(nameof(GeneratedFiles_StrictLenientAndEvaluation_OnlyValidationErrorsNeverThrow), Gen.Zip(FlagDocumentGenerators.File, Gen.ListOf(FlagDocumentGenerators.Context, 3)), input =>
        {
            (FlagFile file, IEnumerable<EvaluationContext> contexts) = input;
            // Through the bytes first: what is generated must survive its own JSON round trip.
            byte[] json = FlagJson.SerializeFile(file);
            FlagFile parsed = FlagJson.ParseFile(json, "generated.json");
            Exercise(parsed, json, [.. contexts]);
        });

    [Test]
    public Task MutatedFileBytes_ParseBuildEvaluate_OnlyValidationErrorsNeverThrow() =>
        RunProperty(nameof(MutatedFileBytes_ParseBuildEvaluate_OnlyValidationErrorsNeverThrow), Gen.Zip(FlagDocumentGenerators.MutatedFileBytes, FlagDocumentGenerators.Context), input =>
        {
            (byte[] bytes, EvaluationContext context) = input;
            FlagFile file;
            try
            {
                file = FlagJson.ParseFile(bytes, "mutated.json");
            }
            catch (FlagValidationException e)
            {
                AssertNamed(e);
                return;
            }

            Exercise(file, bytes, [context]);
        });

    [Test]
    public Task MutatedFlagDocument_AsDeltaOnAGoodSnapshot_NeverThrowsAndKeepsTheRest() =>
        RunProperty(nameof(MutatedFlagDocument_AsDeltaOnAGoodSnapshot_NeverThrowsAndKeepsTheRest), Gen.Zip(FlagDocumentGenerators.MutatedFlagBytes, FlagDocumentGenerators.Context), input =>
        {
            (byte[] bytes, EvaluationContext context) = input;
            FlagSnapshot previous = GoodSnapshot.Value;
            FlagDocument flag;
            try
            {
                flag = FlagJson.ParseFlag(bytes);
            }
            catch (FlagValidationException e)
            {
                AssertNamed(e);
                return;
            }

            var failures = new List<DocumentFailure>();
            FlagSnapshot next = SnapshotBuilder.ApplyDelta(previous, previous.Revision + 1, [flag], [], [], [], failures);
            Assert.That(next.Revision, Is.EqualTo(previous.Revision + 1));
            foreach (string key in previous.FlagKeys)
            {
                Assert.That(next.ContainsFlag(key), Is.True, $"flag '{key}' was lost by a delta that only touched '{flag.Key}'");
            }

            foreach (string key in next.FlagKeys.Append(flag.Key ?? "").Append("missing"))
            {
                _ = next.Evaluate(key!, context);
            }
        });

    [Test]
    public Task RandomContexts_OnAGoodSnapshot_EvaluationNeverThrowsNorFaults() =>
        RunProperty(nameof(RandomContexts_OnAGoodSnapshot_EvaluationNeverThrowsNorFaults), FlagDocumentGenerators.Context, context =>
        {
            FlagSnapshot snapshot = GoodSnapshot.Value;
            foreach (string key in snapshot.FlagKeys)
            {
                FlagEvaluation evaluation = snapshot.Evaluate(key, context);
                // ERROR is a documented answer for a split without its bucketing key; a General fault is a bug. Regex
                // matching is linear-time, so even regex-gate's (a+)+$ against long a's has no timeout to excuse.
                Assert.That(evaluation.ErrorCode, Is.Not.EqualTo(EvaluationErrorCode.General), $"flag '{key}' faulted for {Describe(context)}");
            }
        });

    [Test]
    public void RegexThatWouldBacktrack_Evaluate_AnswersInLinearTimeWithoutError()
    {
        FlagSnapshot snapshot = GoodSnapshot.Value;
        EvaluationContext context = new EvaluationContext().WithAttribute("custom", new string('a', 40) + "!");

        long start = Stopwatch.GetTimestamp();
        FlagEvaluation evaluation = snapshot.Evaluate("regex-gate", context);
        TimeSpan took = Stopwatch.GetElapsedTime(start);

        Assert.That(evaluation.Reason, Is.EqualTo(EvaluationReason.Default), "linear-time matching: no match, no timeout");
        TestContext.Out.WriteLine($"(a+)+$ against 40 a's and '!': answered the default rule after {took.TotalMilliseconds:F1} ms (match timeout {RegexCondition.MatchTimeout.TotalMilliseconds} ms never reached)");
    }

    /// <summary>Parses, builds strictly and leniently, and evaluates every flag through the snapshot and the client.</summary>
    private static void Exercise(FlagFile file, byte[] json, IReadOnlyList<EvaluationContext> contexts)
    {
        FlagSnapshot? strict = null;
        try
        {
            strict = SnapshotBuilder.Build(file, 7);
        }
        catch (FlagValidationException e)
        {
            AssertNamed(e);
        }

        // The lenient build (the sync path) never throws, and with or without a previous snapshot.
        var failures = new List<DocumentFailure>();
        FlagSnapshot lenient = SnapshotBuilder.BuildLenient(FlagJson.Clone(file), 8, GoodSnapshot.Value, failures);
        Assert.That(lenient.Revision, Is.EqualTo(8));
        if (strict is not null)
        {
            Assert.That(failures, Is.Empty, "the strict build accepted what the lenient build refused");
        }

        _ = SnapshotBuilder.BuildLenient(FlagJson.Clone(file), 9, null, []);

        foreach (EvaluationContext context in contexts)
        {
            foreach (string key in lenient.FlagKeys.Append("missing"))
            {
                _ = lenient.Evaluate(key, context);
            }

            if (strict is null)
            {
                continue;
            }

            foreach (string key in strict.FlagKeys)
            {
                FlagEvaluation evaluation = strict.Evaluate(key, context);
                Assert.That(evaluation.ErrorCode, Is.Not.EqualTo(EvaluationErrorCode.General), $"a valid flag '{key}' faulted for {Describe(context)}:\n{Encoding.UTF8.GetString(json)}");
            }
        }

        if (strict is not null)
        {
            // Every typed getter, on every flag, for every context: a value, never an exception.
            var source = new InMemoryFlagSource(file);
            var client = new FlagClient(source);
            client.StartAsync().GetAwaiter().GetResult();
            foreach (EvaluationContext context in contexts)
            {
                foreach (string key in strict.FlagKeys)
                {
                    _ = client.IsEnabled(key, context);
                    _ = client.GetString(key, context, "d");
                    _ = client.GetNumber(key, context, 1);
                    _ = client.GetJson(key, context);
                    Assert.That(client.GetStringDetails(key, context).Revision, Is.GreaterThanOrEqualTo(0));
                }
            }

            client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static void AssertNamed(FlagValidationException e)
    {
        Assert.That(e.Errors, Is.Not.Empty, "a validation error must say what is wrong");
        foreach (FlagValidationError error in e.Errors)
        {
            Assert.That(error.Path, Does.StartWith("$"), error.ToString());
            Assert.That(error.Message, Is.Not.Empty, error.ToString());
        }
    }

    private static string Describe(EvaluationContext context) =>
        string.Join(", ", context.GetAttributeNames().Select(n => $"{n}={context.GetAttribute(n)}"));

    /// <summary>
    /// Runs a property for <see cref="CasesPerProperty"/> cases on a worker thread with a deadline; reports the count.
    /// Anything thrown but <see cref="FlagValidationException"/> (handled inside) fails the property with FsCheck's
    /// shrunk counterexample.
    /// </summary>
    private static async Task RunProperty<T>(string name, Gen<T> gen, Action<T> property)
    {
        int cases = CasesPerProperty;
        int ran = 0;
        Config config = Config.QuickThrowOnFailure.WithMaxTest(cases).WithQuietOnSuccess(true);
        long start = Stopwatch.GetTimestamp();
        Task run = Task.Run(() => Check.One(name, config, Prop.ForAll(Arb.From(gen), (T input) =>
        {
            Interlocked.Increment(ref ran);
            property(input);
        })));
        await run.WaitAsync(Deadline);
        TestContext.Out.WriteLine($"{name}: {Volatile.Read(ref ran)} cases (FLAGKIT_FUZZ_CASES={cases}) in {Stopwatch.GetElapsedTime(start).TotalSeconds:F1} s");
        Assert.That(Volatile.Read(ref ran), Is.GreaterThanOrEqualTo(cases));
    }

    /// <summary>A valid snapshot that uses every operator, a segment, a prerequisite, targets and splits.</summary>
    private static readonly Lazy<FlagSnapshot> GoodSnapshot = new(() => SnapshotBuilder.Build(FlagJson.ParseFile(Encoding.UTF8.GetBytes("""
        {
          "schema": 1,
          "segments": [
            { "key": "eu-vip", "included": ["acct-1"], "excluded": ["acct-3"],
              "rules": [ { "conditions": [ { "attribute": "region", "op": "in", "values": ["eu", "uk"] }, { "attribute": "score", "op": "gte", "values": [10] } ] } ] }
          ],
          "flags": [
            { "key": "plain", "kind": "bool", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } },
            { "key": "every-op", "kind": "string", "on": true, "variants": { "a": "a", "b": "b", "off": "off" }, "offVariant": "off",
              "targets": { "a": ["acct-2"] },
              "rules": [
                { "id": "ip", "conditions": [ { "attribute": "ip", "op": "cidr", "values": ["10.0.0.0/8", "::1/128"] } ], "variant": "a" },
                { "id": "ver", "conditions": [ { "attribute": "clientVersion", "op": "semverRange", "values": [">=1.0 <2.0"] } ], "variant": "b" },
                { "id": "ver2", "conditions": [ { "attribute": "clientVersion", "op": "semverGt", "values": ["1.2.3"] }, { "attribute": "clientVersion", "op": "semverLte", "values": ["3.0.0"] } ], "variant": "a" },
                { "id": "num", "conditions": [ { "attribute": "score", "op": "between", "values": [1, 5] } ], "variant": "b" },
                { "id": "num2", "conditions": [ { "attribute": "score", "op": "lt", "values": [0] }, { "attribute": "score", "op": "gt", "values": [-100] } ], "variant": "a" },
                { "id": "text", "conditions": [ { "attribute": "app", "op": "startsWith", "values": ["a"] }, { "attribute": "app", "op": "endsWith", "values": ["b"], "negate": true }, { "attribute": "app", "op": "contains", "values": ["x"] } ], "variant": "a" },
                { "id": "eq", "conditions": [ { "attribute": "region", "op": "equals", "values": ["uk"] }, { "attribute": "game", "op": "notIn", "values": ["g1"] } ], "variant": "b" },
                { "id": "date", "conditions": [ { "attribute": "custom", "op": "after", "values": ["2024-01-01T00:00:00Z"] }, { "attribute": "custom", "op": "before", "values": ["2030-01-01"] } ], "variant": "a" },
                { "id": "seg", "conditions": [ { "attribute": "", "op": "inSegment", "values": ["eu-vip"] } ], "split": { "variants": [ { "variant": "a", "weight": 25 }, { "variant": "b", "weight": 75 } ] } }
              ],
              "defaultRule": { "split": { "bucketBy": "region", "variants": [ { "variant": "a", "weight": 50 }, { "variant": "b", "weight": 50 } ] } } },
            { "key": "needs-plain", "kind": "number", "on": true, "variants": { "one": 1, "two": 2 }, "offVariant": "one",
              "prerequisites": [ { "flag": "plain", "variant": "on" } ], "defaultRule": { "variant": "two" } },
            { "key": "regex-gate", "kind": "json", "on": true, "variants": { "hit": { "x": [1] }, "miss": null }, "offVariant": "miss",
              "rules": [ { "id": "re", "conditions": [ { "attribute": "custom", "op": "regex", "values": ["(a+)+$"] } ], "variant": "hit" } ],
              "defaultRule": { "variant": "miss" } },
            { "key": "calc", "kind": "version", "on": true, "variants": { "old": "1.4.0", "new": "2.0.0-rc.1" }, "offVariant": "old",
              "defaultRule": { "split": { "variants": [ { "variant": "old", "weight": 90 }, { "variant": "new", "weight": 10 } ] } } }
          ]
        }
        """), "good.json"), 100));
}
