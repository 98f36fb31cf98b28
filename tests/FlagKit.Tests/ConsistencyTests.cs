using System.Reflection;

namespace FlagKit.Tests;

/// <summary>Rules the public API keeps, checked by reflection so that new types keep them too.</summary>
public sealed class ConsistencyTests
{
    private static readonly Type[] PublicTypes = [.. typeof(FlagClient).Assembly.GetExportedTypes()];

    [Test]
    public void PublicClasses_AreSealedStaticOrAbstractByDesign()
    {
        // FlagSource is abstract on purpose (the seam every source implements, built-in or the user's own).
        var open = PublicTypes
            .Where(t => t.IsClass && !t.IsSealed && !t.IsAbstract && !typeof(Delegate).IsAssignableFrom(t))
            .Select(t => t.FullName);

        Assert.That(open, Is.Empty);
    }

    [Test]
    public void PublicAbstractClasses_CannotBeDerivedOutsideTheSdk_ExceptFlagSource()
    {
        // FlagSource is the one documented extension point: a user writes a source of their own (docs/sdk.md).
        var derivable = PublicTypes
            .Where(t => t.IsClass && t.IsAbstract && !t.IsSealed && t != typeof(global::FlagKit.Sources.FlagSource))
            .Where(t => t.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance).Any(c => c.IsPublic || c.IsFamily))
            .Select(t => t.FullName);

        Assert.That(derivable, Is.Empty);
    }

    [Test]
    public void FlagSource_IsDerivableThroughItsPublicContract()
    {
        var source = typeof(global::FlagKit.Sources.FlagSource);
        var start = source.GetMethod(nameof(global::FlagKit.Sources.FlagSource.StartAsync))!;

        Assert.That(source.GetConstructors(BindingFlags.NonPublic | BindingFlags.Instance).Single().IsFamily, Is.True, "protected constructor");
        Assert.That(start.IsPublic && start.IsAbstract, Is.True);
        Assert.That(start.GetParameters()[0].ParameterType.IsPublic, Is.True, "the sink a source writes to is public");
    }

    [Test]
    public void EvaluationResults_AreReadonlyStructs()
    {
        var details = typeof(EvaluationDetails<>);

        Assert.That(details.IsValueType, Is.True);
        Assert.That(details.GetCustomAttributes().Any(a => a.GetType().Name == "IsReadOnlyAttribute"), Is.True);
    }
}
