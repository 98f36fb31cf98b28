namespace FlagKit.Server.Releases;

/// <summary>What a release does to its flag when it finds harm.</summary>
internal enum RollbackAction
{
    /// <summary>Serve the treatment to 0 % (everyone gets the control); the flag stays on.</summary>
    ToZero,

    /// <summary>Kill the flag (its kill state serves).</summary>
    Kill,
}
