using FlagKit.Server.Store;

namespace FlagKit.Server.Tests.Store;

/// <summary>
/// The frame every store contract suite shares: the stores a test opened are closed after it and its location (a temp
/// file, a throwaway database) deleted. Each suite's SQLite and PostgreSQL subclasses say how to open and delete.
/// </summary>
public abstract class StoreContractFixture
{
    private readonly List<IFlagStore> _open = [];

    /// <summary>Closes every store the test opened, then deletes the test's location.</summary>
    [TearDown]
    public void CloseStores()
    {
        foreach (var s in _open)
        {
            s.Dispose();
        }

        _open.Clear();
        DeleteLocation();
    }

    /// <summary>Opens (and migrates) a store on this test's location; closed after the test.</summary>
    /// <returns>The store.</returns>
    private protected IFlagStore Open()
    {
        var store = OpenStore();
        _open.Add(store);
        return store;
    }

    /// <summary>Closes a store before the test ends (a restart: the next <see cref="Open"/> reads what it left).</summary>
    /// <param name="store">A store from <see cref="Open"/>.</param>
    private protected void Close(IFlagStore store)
    {
        store.Dispose();
        _open.Remove(store);
    }

    /// <summary>Opens (and migrates) a store on this test's location.</summary>
    /// <returns>The store.</returns>
    private protected abstract IFlagStore OpenStore();

    /// <summary>Deletes this test's location; the next test gets a new one.</summary>
    protected abstract void DeleteLocation();
}
