namespace Mero.Runtime;

/// <summary>
/// Content-addressed blob storage for blob_*. Ids follow <see cref="Mero.Primitives.BlobChunking"/> and are computed
/// by the runtime, so a store only has to keep bytes under the id it is given.
/// </summary>
public interface IRuntimeBlobStore
{
    /// <summary>Stores <paramref name="data"/> under <paramref name="id"/>; storing the same id twice is a no-op.</summary>
    void Put(ReadOnlySpan<byte> id, byte[] data);

    /// <summary>The blob's bytes, or null if this node does not have it.</summary>
    byte[]? Get(ReadOnlySpan<byte> id);
}
