using Mero.Node.Blobs;
using Mero.Primitives;
using Mero.Runtime;
using Mero.Store;

namespace Mero.Node.Contexts;

/// <summary>
/// The node's blob store for blob_* host functions, over the chunked <see cref="BlobStorage"/>, so
/// blobs a guest writes are the same blobs the admin API lists and peers fetch. Blobs are written
/// when the guest closes them, even if the call later fails: they are content-addressed, so an
/// unreferenced one is harmless.
/// </summary>
public sealed class StoreBlobStore(MeroStore store) : IRuntimeBlobStore
{
    private readonly BlobStorage _storage = new(store);

    public void Put(ReadOnlySpan<byte> id, byte[] data)
    {
        var blobId = BlobId.FromBytes(id);
        if (_storage.Has(blobId))
        {
            return;
        }

        var stored = _storage.Put(data);
        if (stored != blobId)
        {
            // The runtime and the store apply the same rule (BlobChunking); a mismatch is a bug.
            throw new InvalidOperationException($"blob stored as {stored} but the runtime named it {blobId}");
        }
    }

    public byte[]? Get(ReadOnlySpan<byte> id) => id.Length == 32 ? _storage.ReadAll(BlobId.FromBytes(id)) : null;
}
