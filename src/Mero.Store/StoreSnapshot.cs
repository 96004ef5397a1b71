using RocksDbSharp;

namespace Mero.Store;

/// <summary>
/// The store frozen at one moment: reads through it never see later writes, so a long reader
/// (a snapshot sent page by page to a peer) stays consistent while the node keeps writing.
/// Holds RocksDB's snapshot (and keeps the store open) until disposed; dispose only when no range
/// opened from it is in use.
/// </summary>
public sealed class StoreSnapshot : IDisposable
{
    private readonly MeroStore _store;
    private readonly Snapshot _snapshot;
    private readonly ReadOptions _read;
    private readonly StoreLifetime.Lease _lease;
    private int _disposed;

    internal StoreSnapshot(MeroStore store, RocksDb db, StoreLifetime.Lease lease)
    {
        _store = store;
        _lease = lease;
        _snapshot = db.CreateSnapshot();
        _read = new ReadOptions().SetSnapshot(_snapshot).SetFillCache(false);
    }

    /// <summary>Keys of <paramref name="column"/> in <c>[from, to)</c> as of the snapshot.</summary>
    public StoreRange Range(Column column, ReadOnlySpan<byte> from, byte[]? to)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return _store.OpenRange(column, from, to, _read, within: _lease);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _snapshot.Dispose();
            _lease.Release();
        }
    }
}
