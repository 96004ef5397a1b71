using Mero.Store;

namespace Mero.State;

/// <summary>
/// One execution's view of a context's replicated state: reads fall through to the store, writes
/// stay in an overlay until <see cref="WriteTo"/> puts them in the caller's batch. A failed
/// execution simply drops the transaction, so the store never sees its writes.
/// </summary>
public sealed class StateTransaction
{
    private readonly MeroStore _store;
    private readonly ContextId _contextId;
    private readonly Dictionary<byte[], byte[]?> _overlay = new(ByteArrayComparer.Instance);
    private StateDigest _digest;

    public StateTransaction(MeroStore store, ContextId contextId, StateDigest digest)
    {
        _store = store;
        _contextId = contextId;
        _digest = digest;
    }

    public ContextId ContextId => _contextId;

    /// <summary>The state summary as it will be after commit.</summary>
    public StateDigest Digest => _digest;

    public bool HasChanges => _overlay.Count > 0;

    public int ChangeCount => _overlay.Count;

    public byte[]? Read(ReadOnlySpan<byte> key)
    {
        var k = key.ToArray();
        return _overlay.TryGetValue(k, out var pending) ? pending : _store.Get(Column.State, StateKey(k));
    }

    /// <summary>Writes a value and returns the previous one, if any.</summary>
    public byte[]? Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var k = key.ToArray();
        var previous = Read(k);
        var v = value.ToArray();
        if (previous is not null)
        {
            _digest = _digest.Remove(k, previous);
        }

        _digest = _digest.Add(k, v);
        _overlay[k] = v;
        return previous;
    }

    /// <summary>Removes a key and returns the value it held, if any.</summary>
    public byte[]? Remove(ReadOnlySpan<byte> key)
    {
        var k = key.ToArray();
        var previous = Read(k);
        if (previous is null)
        {
            return null;
        }

        _digest = _digest.Remove(k, previous);
        _overlay[k] = null;
        return previous;
    }

    /// <summary>Adds every pending write to <paramref name="batch"/>; the caller commits it with the context record.</summary>
    public void WriteTo(StoreBatch batch)
    {
        foreach (var (key, value) in _overlay)
        {
            if (value is null)
            {
                batch.Delete(Column.State, StateKey(key));
            }
            else
            {
                batch.Put(Column.State, StateKey(key), value);
            }
        }
    }

    private byte[] StateKey(byte[] key) => StoreKeys.Compose(_contextId.AsSpan(), key);
}
