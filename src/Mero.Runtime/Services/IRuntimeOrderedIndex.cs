namespace Mero.Runtime;

/// <summary>
/// A node-local, ordered secondary index (upstream's SortedIndex column): keys compare as unsigned
/// bytes, so lexicographic order is iteration order. Index entries and validity markers live in
/// separate key spaces, so a scan never returns a marker. Writes return whether they were persisted.
/// </summary>
public interface IRuntimeOrderedIndex
{
    bool Set(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    bool Remove(ReadOnlySpan<byte> key);

    /// <summary>Removes every key that starts with <paramref name="prefix"/>.</summary>
    bool RemovePrefix(ReadOnlySpan<byte> prefix);

    /// <summary>Entries with lo &lt;= key &lt; hi in ascending order, after skipping <paramref name="offset"/>, at most <paramref name="limit"/>.</summary>
    IReadOnlyList<KeyValuePair<byte[], byte[]>> Scan(ReadOnlySpan<byte> lo, ReadOnlySpan<byte> hi, ulong offset, ulong limit);

    /// <summary>The largest entry with lo &lt;= key &lt; hi, or null.</summary>
    KeyValuePair<byte[], byte[]>? Last(ReadOnlySpan<byte> lo, ReadOnlySpan<byte> hi);

    bool SetMeta(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    byte[]? GetMeta(ReadOnlySpan<byte> key);

    bool RemoveMeta(ReadOnlySpan<byte> key);
}
