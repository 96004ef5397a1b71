using RocksDbSharp;

namespace Mero.Store;

/// <summary>
/// Forward iteration over the keys of one column in <c>[from, to)</c>, without copying: the
/// <see cref="Key"/> and <see cref="Value"/> spans are valid only until the next <see cref="MoveNext"/>.
/// Not thread-safe. Keeps the store open until disposed.
/// </summary>
public sealed class StoreRange : IDisposable
{
    private readonly Iterator _iterator;
    private readonly byte[]? _to;
    private readonly StoreLifetime.Lease _lease;
    private bool _started;
    private bool _done;
    private int _disposed;

    internal StoreRange(Iterator iterator, ReadOnlySpan<byte> from, byte[]? to, StoreLifetime.Lease lease)
    {
        _iterator = iterator;
        _to = to;
        _lease = lease;
        _iterator.Seek(from);
    }

    public ReadOnlySpan<byte> Key => _iterator.GetKeySpan();

    public ReadOnlySpan<byte> Value => _iterator.GetValueSpan();

    public bool MoveNext()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_done)
        {
            return false;
        }

        if (_started)
        {
            _iterator.Next();
        }

        _started = true;
        _done = !_iterator.Valid() || (_to is not null && _iterator.GetKeySpan().SequenceCompareTo(_to) >= 0);
        return !_done;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _iterator.Dispose();
            _lease.Release();
        }
    }

    /// <summary>The least key above every key that starts with <paramref name="prefix"/>; null (unbounded) when the prefix is all 0xFF.</summary>
    public static byte[]? EndOfPrefix(ReadOnlySpan<byte> prefix)
    {
        var end = prefix.ToArray();
        for (var i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] != 0xFF)
            {
                end[i]++;
                return end[..(i + 1)];
            }
        }

        return null;
    }
}
