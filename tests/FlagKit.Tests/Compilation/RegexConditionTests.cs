using System.Diagnostics;
using FlagKit.Evaluation;

namespace FlagKit.Tests.Compilation;

/// <summary>
/// Regex conditions run in linear time (<c>RegexOptions.NonBacktracking</c>): a pattern that would backtrack
/// catastrophically answers correctly instead of timing out as ERROR, and a construct that needs backtracking is
/// refused at validation, the error naming the construct and its JSON path.
/// </summary>
public sealed class RegexConditionTests
{
    private static string RegexFlag(params string[] patterns) =>
        TestDocuments.FileJson(TestDocuments.BoolFlag("f", $$"""
            "rules": [ { "id": "re", "conditions": [ { "attribute": "name", "op": "regex", "values": [{{string.Join(", ", patterns.Select(p => System.Text.Json.JsonSerializer.Serialize(p)))}}] } ], "variant": "off" } ]
            """));

    [TestCase("(a)\\1", "backreference")]
    [TestCase("slots-(?=web)", "lookahead")]
    [TestCase("(?<=slots-)web", "lookbehind")]
    [TestCase("(?!slots)x", "negative lookahead")]
    [TestCase("(?>a+)b", "atomic")]
    [TestCase("(?(a)b|c)", "conditional")]
    public void Build_PatternThatNeedsBacktracking_IsRefusedNamingTheConstructAndPath(string pattern, string construct)
    {
        IReadOnlyList<string> errors = TestDocuments.BuildErrors(RegexFlag("^ok$", pattern));

        Assert.That(errors, Has.Count.EqualTo(1));
        Assert.That(errors[0], Does.StartWith("flag 'f' at $.flags[0].rules[0].conditions[0].values[1]: "));
        Assert.That(errors[0], Does.Contain($"'{pattern}' uses the construct").And.Contain(construct).And.Contain("linear-time"));
    }

    [Test]
    public void Evaluate_TwentyBacktrackingPatterns_AnswersTheRuleNotAnError()
    {
        // Each of these backtracks exponentially on a's followed by '!'; with the old matcher each one ran into its
        // 100 ms timeout and the evaluation answered the default with reason ERROR (~2 s for 20 of them).
        string[] patterns = [.. Enumerable.Range(0, 20).Select(i => $"^(a+)+{i}$")];
        FlagSnapshot snapshot = TestDocuments.Snapshot(RegexFlag(patterns));
        var evil = new EvaluationContext { AccountId = "1" }.WithAttribute("name", new string('a', 40) + "!");
        var hit = new EvaluationContext { AccountId = "1" }.WithAttribute("name", new string('a', 40) + "7");

        long start = Stopwatch.GetTimestamp();
        FlagEvaluation miss = snapshot.Evaluate("f", evil);
        TimeSpan took = Stopwatch.GetElapsedTime(start);
        FlagEvaluation match = snapshot.Evaluate("f", hit);

        Assert.That(miss.Reason, Is.EqualTo(EvaluationReason.Default), "no pattern matches: the default rule, not ERROR");
        Assert.That(miss.ErrorCode, Is.EqualTo(EvaluationErrorCode.None));
        Assert.That(match.Reason, Is.EqualTo(EvaluationReason.RuleMatch));
        Assert.That(match.Variant!.Name, Is.EqualTo("off"));
        TestContext.Out.WriteLine($"20 backtracking patterns against 40 a's and '!': {took.TotalMilliseconds:F1} ms");
    }
}
