using System.Reflection;
using FlagKit.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlagKit.Tests.Diagnostics;

/// <summary>
/// Every [LoggerMessage] of FlagKit and FlagKit.Extensions.Hosting has an event id and a name of its own, inside its
/// assembly's range (FlagKit 1000-1999, hosting 2000-2999), so a log query by id or name finds exactly one event.
/// </summary>
public sealed class LogEventIdTests
{
    private static readonly (Assembly Assembly, int Low, int High)[] Ranges =
    [
        (typeof(FlagClient).Assembly, 1000, 1999),
        (typeof(FlagKitOptions).Assembly, 2000, 2999),
    ];

    // SDK assemblies without a range of their own yet: their events must still not reuse another's id or name.
    private static readonly Assembly[] AlsoUnique = [typeof(FlagKit.AspNetCore.RequestOutcomeOptions).Assembly];

    [Test]
    public void LoggerMessages_BothAssemblies_HaveUniqueEventIds()
    {
        var events = AllEvents();
        var duplicates = events.GroupBy(e => e.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Method))}");

        Assert.That(events, Has.Count.GreaterThanOrEqualTo(20), "the reflection finds the log methods");
        Assert.That(duplicates, Is.Empty);
    }

    [Test]
    public void LoggerMessages_BothAssemblies_HaveUniqueEventNames()
    {
        var events = AllEvents();
        var duplicates = events.GroupBy(e => e.Name).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Method))}");

        Assert.That(events.Select(e => e.Name), Has.None.Null.And.None.Empty);
        Assert.That(duplicates, Is.Empty);
    }

    [Test]
    public void LoggerMessages_EachAssembly_UseIdsInItsOwnRange()
    {
        var outside = Ranges
            .SelectMany(r => Events(r.Assembly).Where(e => e.Id < r.Low || e.Id > r.High).Select(e => $"{e.Method} has id {e.Id}, outside {r.Low}-{r.High}"));

        Assert.That(outside, Is.Empty);
    }

    private static List<(int Id, string Name, string Method)> AllEvents() => [.. Ranges.Select(r => r.Assembly).Concat(AlsoUnique).SelectMany(Events)];

    private static IEnumerable<(int Id, string Name, string Method)> Events(Assembly assembly) =>
        from type in assembly.GetTypes()
        from method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
        let attribute = method.GetCustomAttribute<LoggerMessageAttribute>()
        where attribute is not null
        select (attribute.EventId, attribute.EventName ?? method.Name, $"{type.Name}.{method.Name}");
}
