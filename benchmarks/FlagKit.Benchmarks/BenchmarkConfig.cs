using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Reports;

namespace FlagKit.Benchmarks;

/// <summary>The one configuration every benchmark in this assembly runs with: memory always measured.</summary>
internal static class BenchmarkConfig
{
    // A shared, busy machine can take more than BenchmarkDotNet's default two minutes to build the generated project.
    public static IConfig Create() => ManualConfig.Create(DefaultConfig.Instance)
        .WithBuildTimeout(TimeSpan.FromMinutes(10))
        .AddDiagnoser(MemoryDiagnoser.Default)
        .AddColumn(CategoriesColumn.Default)
        .AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory)
        .WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared))
        .WithSummaryStyle(SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend));
}
