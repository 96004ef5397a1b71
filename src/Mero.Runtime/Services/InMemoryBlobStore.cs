using System.Collections.Concurrent;

namespace Mero.Runtime;

/// <summary>A thread-safe in-memory <see cref="IRuntimeBlobStore"/> for tests and tools.</summary>
public sealed class InMemoryBlobStore : IRuntimeBlobStore
{
    private readonly ConcurrentDictionary<string, byte[]> _blobs = new(StringComparer.Ordinal);

    public int Count => _blobs.Count;

    public void Put(ReadOnlySpan<byte> id, byte[] data) => _blobs.TryAdd(Convert.ToHexStringLower(id), data);

    public byte[]? Get(ReadOnlySpan<byte> id) => _blobs.GetValueOrDefault(Convert.ToHexStringLower(id));
}
