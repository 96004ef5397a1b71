using Mero.Runtime;
using Mero.Store;

namespace Mero.Node.Contexts;

/// <summary>
/// The node's blob store for blob_* host functions: Column.Blob keyed by the 32-byte blob id
/// (SHA-256 of the content). Blobs are written when the guest closes them, even if the call later
/// fails: they are content-addressed, so an unreferenced one is harmless.
/// </summary>
public sealed class StoreBlobStore(MeroStore store) : IRuntimeBlobStore
{
    public void Put(ReadOnlySpan<byte> id, byte[] data)
    {
        if (store.Has(Column.Blob, id))
        {
            return;
        }

        using var batch = store.CreateBatch();
        batch.Put(Column.Blob, id, data);
        store.Commit(batch);
    }

    public byte[]? Get(ReadOnlySpan<byte> id) => store.Get(Column.Blob, id);
}
