using RocksDbSharp;

namespace Mero.Store;

/// <summary>
/// The store frozen at one moment: reads through it never see later writes, so a long reader
/// (a snapshot sent page by page to a peer) stays consistent while the node keeps writing.
/// Holds RocksDB's snapshot until disposed; dispose only when no range opened from it is in use.
/// </summary>
public sealed class StoreSnapshot : IDisposable
{
    private readonly MeroStore _store;
    private readonly RocksDb _db;
    private readonly Snapshot _snapshot;
    private readonly ReadOptions _read;
    private bool _disposed;

    internal StoreSnapshot(MeroStore store, RocksDb db)
    {
        _store = store;
        _db = db;
        _snapshot = db.CreateSnapshot();
        _read = new ReadOptions().SetSnapshot(_snapshot).SetFillCache(false);
    }

    /// <summary>Keys of <paramref name="column"/> in <c>[from, to)</c> as of the snapshot.</summary>
    public StoreRange Range(Column column, ReadOnlySpan<byte> from, byte[]? to)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new StoreRange(_db.NewIterator(_store.Handle(column), _read), from, to);
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _snapshot.Dispose();
        }
    }
}
