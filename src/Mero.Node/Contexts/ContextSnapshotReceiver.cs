using Mero.Node.Replication;
using Mero.Primitives;
using Mero.State.Crdt;
using Mero.Store;

namespace Mero.Node.Contexts;

/// <summary>
/// A snapshot being received, written to sorted files beside the store as its pages open: state
/// records into one, and for every op the snapshot already contains a checkpoint key and a
/// known-id key into two more. Installing it is then three renames, and no part of the snapshot
/// is held in memory. Items must arrive in the order a <see cref="SnapshotPager"/> sends them
/// (records in key order, all inside the context, then op ids in id order); anything else throws
/// <see cref="InvalidDataException"/>. Records also stream through a <see cref="CrdtStateVerifier"/>,
/// so the install can refuse state that does not hash to the root the sender claimed.
/// Not thread-safe. Disposing deletes whatever was not installed.
/// </summary>
public sealed class ContextSnapshotReceiver : ISnapshotSink, IDisposable
{
    private readonly StoreSortedFile _records;
    private readonly StoreSortedFile _checkpoints;
    private readonly StoreSortedFile _index;
    private readonly CrdtStateVerifier _verifier;
    private readonly StoreSortedFile[] _files;
    private bool _disposed;
    private string? _refusal;

    internal ContextSnapshotReceiver(ContextId contextId, Func<StoreSortedFile> createFile)
    {
        ContextId = contextId;
        _records = createFile();
        _checkpoints = createFile();
        _index = createFile();
        _verifier = new CrdtStateVerifier(contextId);
        _files = [_records, _checkpoints, _index];
    }

    public ContextId ContextId { get; }

    public long RecordCount => _records.Count;

    public long KnownOpCount => _checkpoints.Count;

    public void AddRecord(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (KnownOpCount > 0 || !key.StartsWith(ContextId.AsSpan()))
        {
            throw new InvalidDataException("snapshot record outside the context, or after its op ids");
        }

        // The first reason to refuse is kept for the install; later records are no longer checked.
        if (_refusal is null)
        {
            try
            {
                _verifier.Add(key, value);
            }
            catch (InvalidDataException ex)
            {
                _refusal = ex.Message;
            }
        }

        _records.Add(key, value);
    }

    /// <summary>
    /// Null if the records hash to <paramref name="claimedRoot"/>, otherwise why not. Call once, after
    /// the last record.
    /// </summary>
    internal string? Verify(Hash claimedRoot)
    {
        if (_refusal is not null)
        {
            return _refusal;
        }

        try
        {
            var root = _verifier.Finish();
            return root == claimedRoot ? null : $"snapshot state hashes to root {root}, not the claimed {claimedRoot}";
        }
        catch (InvalidDataException ex)
        {
            return ex.Message;
        }
    }

    public void AddKnownOp(Hash id) => ContextOpLog.AddCheckpoint(_checkpoints, _index, ContextId, id);

    /// <summary>Moves the files into the store: records, then checkpoints and index together.</summary>
    internal void IngestInto(MeroStore store)
    {
        // The fetch that owns this receiver may give up (node stopping) while the context loop
        // installs it: the files' native writers must never be used and released at once.
        lock (_files)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _records.Finish();
            _checkpoints.Finish();
            _index.Finish();
            store.Ingest(Column.State, _records);
            store.Ingest(Column.Delta, _checkpoints, _index);
        }
    }

    public void Dispose()
    {
        lock (_files)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var file in _files)
            {
                file.Dispose();
                File.Delete(file.Path);
            }
        }
    }
}
