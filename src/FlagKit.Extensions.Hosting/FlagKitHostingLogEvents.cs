namespace FlagKit.DependencyInjection;

/// <summary>
/// Every log event of FlagKit.Extensions.Hosting, with its id, in one place: the range 2000-2999 (FlagKit itself
/// has 1000-1999), each id one event, never reused. The event name is the constant's name. A test checks that ids
/// and names are unique.
/// </summary>
internal static class FlagKitHostingLogEvents
{
    public const int ClientStartFailed = 2000;
    public const int NotReadyOnStart = 2001;
}
