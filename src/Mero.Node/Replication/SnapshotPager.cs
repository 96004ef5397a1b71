using Mero.Node.Contexts;
using Mero.Primitives;
using Mero.Store;

namespace Mero.Node.Replication;

/// <summary>
/// Reads a frozen context page by page: its state records in key order, then the ids of the ops
/// it already contains. Records go from the store's iterator straight into the page body, so a
/// snapshot is never held whole in memory. Not thread-safe: a session serves one page at a time.
/// </summary>
public sealed class SnapshotPager : IDisposable
{
    private readonly ContextSnapshotSource _source;
    private readonly byte[]? _stateEnd;
    private readonly byte[] _idsEnd;
    private byte[]? _stateNext;
    private byte[]? _idsNext;
    private BorshWriter? _body;

    public SnapshotPager(ContextSnapshotSource source)
    {
        _source = source;
        _stateNext = source.ContextId.ToArray();
        _stateEnd = StoreRange.EndOfPrefix(_stateNext);
        (_idsNext, _idsEnd) = ContextOpLog.KnownIdRange(source.ContextId);
    }

    public ContextSnapshotSource Source => _source;

    public bool Done => _stateNext is null && _idsNext is null;

    /// <summary>
    /// The next page, sealed: records (then ids) until <paramref name="byteLimit"/> plain bytes,
    /// but always at least one item so an oversized record still moves.
    /// </summary>
    public (byte[] Payload, uint UncompressedLength) Next(int byteLimit, ContextKey key)
    {
        // One body buffer for every page: pages are megabytes, and fresh ones are large-object allocations.
        var body = _body ??= new BorshWriter(byteLimit + 1024);
        body.Clear();
        var records = 0;
        var ids = new List<Hash>();
        long bytes = 8;
        if (_stateNext is not null)
        {
            using var range = _source.View.Range(Column.State, _stateNext, _stateEnd);
            _stateNext = null;
            while (range.MoveNext())
            {
                var size = 8 + range.Key.Length + range.Value.Length;
                if (bytes + size > byteLimit && records > 0)
                {
                    _stateNext = range.Key.ToArray();
                    break;
                }

                body.WriteBytes(range.Key).WriteBytes(range.Value);
                bytes += size;
                records++;
            }
        }

        if (_stateNext is null && _idsNext is not null)
        {
            using var range = _source.View.Range(Column.Delta, _idsNext, _idsEnd);
            _idsNext = null;
            while (range.MoveNext())
            {
                if (!ContextOpLog.TryReadKnownId(range.Key, out var id))
                {
                    continue;
                }

                if (bytes + 32 > byteLimit && records + ids.Count > 0)
                {
                    _idsNext = range.Key.ToArray();
                    break;
                }

                ids.Add(id);
                bytes += 32;
            }
        }

        return SnapshotCodec.Seal(_source.ContextId, records, body.WrittenSpan, ids, key);
    }

    public void Dispose() => _source.Dispose();
}
