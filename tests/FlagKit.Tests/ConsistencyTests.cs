using System.Reflection;

namespace FlagKit.Tests;

/// <summary>Rules the public API keeps, checked by reflection so that new types keep them too.</summary>
public sealed class ConsistencyTests
{
    private static readonly Type[] PublicTypes = [.. typeof(FlagClient).Assembly.GetExportedTypes()];

    [Test]
    public void PublicClasses_AreSealedStaticOrAbstractByDesign()
    {
        // FlagSource is abstract on purpose (the seam every source implements; its constructor is private protected).
        var open = PublicTypes
            .Where(t => t.IsClass && !t.IsSealed && !t.IsAbstract && !typeof(Delegate).IsAssignableFrom(t))
            .Select(t => t.FullName);

        Assert.That(open, Is.Empty);
    }

    [Test]
    public void PublicAbstractClasses_CannotBeDerivedOutsideTheSdk()
    {
        var derivable = PublicTypes
            .Where(t => t.IsClass && t.IsAbstract && !t.IsSealed)
            .Where(t => t.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance).Any(c => c.IsPublic || c.IsFamily))
            .Select(t => t.FullName);

        Assert.That(derivable, Is.Empty);
    }

    [Test]
    public void EvaluationResults_AreReadonlyStructs()
    {
        var details = typeof(EvaluationDetails<>);

        Assert.That(details.IsValueType, Is.True);
        Assert.That(details.GetCustomAttributes().Any(a => a.GetType().Name == "IsReadOnlyAttribute"), Is.True);
    }
}
