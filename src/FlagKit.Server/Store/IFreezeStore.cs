namespace FlagKit.Server.Store;

/// <summary>Freeze windows (<see cref="FreezeRecord"/>) and their audit rows.</summary>
internal interface IFreezeStore
{
    /// <summary>Every freeze window.</summary>
    /// <returns>The windows, by environment and name.</returns>
    IReadOnlyList<FreezeRecord> LoadFreezes();

    /// <summary>Stores a new window and its audit row.</summary>
    /// <param name="freeze">The window.</param>
    /// <param name="audit">The audit row.</param>
    /// <returns>False (nothing written) when the environment has a window of that name.</returns>
    bool AddFreeze(FreezeRecord freeze, AuditRecord audit);

    /// <summary>Removes a window and writes its audit row.</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="name">The window's name.</param>
    /// <param name="audit">The audit row.</param>
    /// <returns>False (nothing written) when there is no such window.</returns>
    bool RemoveFreeze(string environment, string name, AuditRecord audit);
}
