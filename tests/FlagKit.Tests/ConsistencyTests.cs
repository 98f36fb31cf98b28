using System.Reflection;

namespace FlagKit.Tests;

/// <summary>
/// Walks the SDK's public surface by reflection and enforces the API's own rules (after NodaTime's ConsistencyTest).
/// Missing XML docs are already a build error (CS1591 with warnings as errors); these are the rules the compiler
/// does not check.
/// </summary>
public sealed class ConsistencyTests
{
    private static readonly Assembly Sdk = typeof(FlagClient).Assembly;

    // Public types that are deliberately not sealed, with the reason.
    private static readonly Dictionary<Type, string> Unsealed = new()
    {
        [typeof(FlagKit.Sources.FlagSource)] = "the base of every flag source; its constructor is private protected, so only the SDK derives from it",
        [typeof(FlagValidationException)] = "exceptions stay derivable by convention (and it is sealed in practice: nothing derives)",
    };

    private static IEnumerable<Type> PublicTypes() => Sdk.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal);

    [Test]
    public void PublicClasses_AreSealedStaticOrListedWithReason()
    {
        var offenders = PublicTypes()
            .Where(t => t.IsClass && !t.IsSealed && !(t.IsAbstract && t.IsSealed) && !typeof(Delegate).IsAssignableFrom(t))
            .Where(t => !Unsealed.ContainsKey(t))
            .Select(t => t.FullName)
            .ToList();

        Assert.That(offenders, Is.Empty, "public classes must be sealed (or static), or be listed in Unsealed with a reason");
    }

    [Test]
    public void PublicTypes_LiveInTheDocumentedNamespaces()
    {
        string[] allowed = ["FlagKit", "FlagKit.Documents", "FlagKit.Sources", "FlagKit.Versioning", "FlagKit.Versioning.Migrations", "FlagKit.Versioning.Wire", "FlagKit.DependencyInjection", "Microsoft.Extensions.DependencyInjection"];

        var offenders = PublicTypes().Where(t => !allowed.Contains(t.Namespace)).Select(t => t.FullName).ToList();

        Assert.That(offenders, Is.Empty, "a new public namespace is an API decision: add it here and to docs/internals.md");
    }

    [Test]
    public void PublicFields_AreConstOrReadOnly()
    {
        var offenders = PublicTypes()
            .Where(t => !t.IsEnum)
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(f => !f.IsLiteral && !f.IsInitOnly)
            .Select(f => $"{f.DeclaringType!.FullName}.{f.Name}")
            .ToList();

        Assert.That(offenders, Is.Empty, "public mutable fields break thread safety and versioning");
    }

    [Test]
    public void PublicSurface_HasNoTypeNamedForAPattern()
    {
        string[] banned = ["Manager", "Helper", "Util", "Utils", "Processor"];

        var offenders = PublicTypes().Where(t => banned.Any(b => t.Name.EndsWith(b, StringComparison.Ordinal))).Select(t => t.FullName).ToList();

        Assert.That(offenders, Is.Empty, "name types for what they are in the domain (STYLE.md)");
    }

    [Test]
    public void XmlDocumentation_IsShippedNextToTheAssembly()
    {
        var xml = Path.ChangeExtension(Sdk.Location, ".xml");

        Assert.That(File.Exists(xml), Is.True, $"expected {xml}: GenerateDocumentationFile must stay on for the SDK");
        var text = File.ReadAllText(xml);
        Assert.That(text, Does.Contain("T:FlagKit.FlagClient"));
        Assert.That(text, Does.Contain("M:FlagKit.FlagClient.IsEnabled"));
    }
}
