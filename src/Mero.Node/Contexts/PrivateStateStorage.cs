using Mero.Runtime;
using Mero.Store;

namespace Mero.Node.Contexts;

/// <summary>
/// A context's node-local private storage (Column.PrivateState, keyed ContextId ‖ key) as an
/// overlay: the call's writes are buffered and land in the commit batch only if the call
/// succeeded. Never part of the state root and never replicated.
/// </summary>
internal sealed class PrivateStateStorage(MeroStore store, ContextId context) : IRuntimeStorage
{
    private readonly Dictionary<string, (byte[] Key, byte[]? Value)> _pending = new(StringComparer.Ordinal);

    public bool HasChanges => _pending.Count > 0;

    public byte[]? Read(ReadOnlySpan<byte> key) =>
        _pending.TryGetValue(Convert.ToHexString(key), out var entry)
            ? entry.Value
            : store.Get(Column.PrivateState, StoreKeys.Compose(context.AsSpan(), key));

    public byte[]? Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var previous = Read(key);
        _pending[Convert.ToHexString(key)] = (key.ToArray(), value.ToArray());
        return previous;
    }

    public byte[]? Remove(ReadOnlySpan<byte> key)
    {
        var previous = Read(key);
        _pending[Convert.ToHexString(key)] = (key.ToArray(), null);
        return previous;
    }

    public void WriteTo(StoreBatch batch)
    {
        foreach (var (key, value) in _pending.Values)
        {
            var storeKey = StoreKeys.Compose(context.AsSpan(), key);
            if (value is null)
            {
                batch.Delete(Column.PrivateState, storeKey);
            }
            else
            {
                batch.Put(Column.PrivateState, storeKey, value);
            }
        }
    }
}
