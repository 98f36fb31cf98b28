using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Reports;

namespace FlagKit.Benchmarks;

/// <summary>The one configuration every benchmark in this assembly runs with: memory always measured.</summary>
internal static class BenchmarkConfig
{
    // A shared, busy machine can take more than BenchmarkDotNet's default two minutes to build the generated project.
    // Min and median next to the mean: on the shared development VM iterations of the same process alternate between
    // a fast and a slow speed (e.g. 62 and 90 ns for the same call), which the mean blurs; min is the code's own cost
    // at full speed, median says which speed dominated.
    public static IConfig Create() => ManualConfig.Create(DefaultConfig.Instance)
        .WithBuildTimeout(TimeSpan.FromMinutes(10))
        .AddDiagnoser(MemoryDiagnoser.Default)
        .AddColumn(CategoriesColumn.Default)
        .AddColumn(StatisticColumn.Min, StatisticColumn.Median)
        .AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory)
        .WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared))
        .WithSummaryStyle(SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend));
}
