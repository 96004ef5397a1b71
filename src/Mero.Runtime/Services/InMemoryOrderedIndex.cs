namespace Mero.Runtime;

/// <summary>An <see cref="IRuntimeOrderedIndex"/> in a sorted dictionary; for tests and embedders without a database.</summary>
public sealed class InMemoryOrderedIndex : IRuntimeOrderedIndex
{
    private static readonly Comparer<byte[]> Bytes = Comparer<byte[]>.Create(static (a, b) => a.AsSpan().SequenceCompareTo(b));

    private readonly SortedDictionary<byte[], byte[]> _entries = new(Bytes);
    private readonly SortedDictionary<byte[], byte[]> _meta = new(Bytes);

    public IReadOnlyDictionary<byte[], byte[]> Entries => _entries;

    public bool Set(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        _entries[key.ToArray()] = value.ToArray();
        return true;
    }

    public bool Remove(ReadOnlySpan<byte> key)
    {
        _entries.Remove(key.ToArray());
        return true;
    }

    public bool RemovePrefix(ReadOnlySpan<byte> prefix)
    {
        var doomed = new List<byte[]>();
        foreach (var key in _entries.Keys)
        {
            if (key.AsSpan().StartsWith(prefix))
            {
                doomed.Add(key);
            }
        }

        doomed.ForEach(key => _entries.Remove(key));
        return true;
    }

    public IReadOnlyList<KeyValuePair<byte[], byte[]>> Scan(ReadOnlySpan<byte> lo, ReadOnlySpan<byte> hi, ulong offset, ulong limit)
    {
        var found = new List<KeyValuePair<byte[], byte[]>>();
        ulong skipped = 0;
        foreach (var entry in _entries)
        {
            if ((ulong)found.Count >= limit || entry.Key.AsSpan().SequenceCompareTo(hi) >= 0)
            {
                break;
            }

            if (entry.Key.AsSpan().SequenceCompareTo(lo) < 0 || skipped++ < offset)
            {
                continue;
            }

            found.Add(entry);
        }

        return found;
    }

    public KeyValuePair<byte[], byte[]>? Last(ReadOnlySpan<byte> lo, ReadOnlySpan<byte> hi)
    {
        KeyValuePair<byte[], byte[]>? last = null;
        foreach (var entry in _entries)
        {
            if (entry.Key.AsSpan().SequenceCompareTo(hi) >= 0)
            {
                break;
            }

            if (entry.Key.AsSpan().SequenceCompareTo(lo) >= 0)
            {
                last = entry;
            }
        }

        return last;
    }

    public bool SetMeta(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        _meta[key.ToArray()] = value.ToArray();
        return true;
    }

    public byte[]? GetMeta(ReadOnlySpan<byte> key) => _meta.TryGetValue(key.ToArray(), out var value) ? value : null;

    public bool RemoveMeta(ReadOnlySpan<byte> key)
    {
        _meta.Remove(key.ToArray());
        return true;
    }
}
