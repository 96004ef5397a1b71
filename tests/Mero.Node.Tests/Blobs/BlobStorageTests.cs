using System.Security.Cryptography;
using Mero.Node.Blobs;
using Mero.Primitives;
using Mero.Store;
using Xunit;

namespace Mero.Node.Tests.Blobs;

public sealed class BlobStorageTests
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public void A_blob_is_cut_into_1_MiB_chunks_and_named_by_the_hash_of_its_chunk_ids()
    {
        using var temp = new TempBlobStore();
        var content = TempBlobStore.Random((2 * MiB) + 12345, 1);

        var id = temp.Blobs.Put(content);

        // Upstream's rule, computed independently: SHA-256(SHA-256(c0) ‖ SHA-256(c1) ‖ SHA-256(c2)).
        byte[] expected = SHA256.HashData([
            .. SHA256.HashData(content.AsSpan(0, MiB)),
            .. SHA256.HashData(content.AsSpan(MiB, MiB)),
            .. SHA256.HashData(content.AsSpan(2 * MiB)),
        ]);
        Assert.Equal(expected, id.ToArray());
        Assert.Equal(expected, BlobChunking.ComputeId(content));

        var manifest = temp.Blobs.GetManifest(id)!;
        Assert.Equal(content.Length, manifest.Size);
        Assert.Equal(SHA256.HashData(content), manifest.ContentHash);
        Assert.Equal([MiB, MiB, 12345], temp.Blobs.ReadChunks(manifest).Select(c => c.Length));
        Assert.Equal(content, temp.Blobs.ReadAll(id));
        Assert.Equal((id, (long)content.Length), temp.Blobs.List().Select(b => (b.Id, b.Manifest.Size)).Single());
    }

    [Fact]
    public void An_empty_blob_has_no_chunks_and_the_hash_of_nothing_as_id()
    {
        using var temp = new TempBlobStore();
        var id = temp.Blobs.Put([]);
        Assert.Equal(SHA256.HashData([]), id.ToArray());
        var manifest = temp.Blobs.GetManifest(id)!;
        Assert.Equal(0, manifest.Size);
        Assert.Empty(manifest.ChunkIds);
        Assert.Equal([], temp.Blobs.ReadAll(id)!);
    }

    [Fact]
    public async Task A_streamed_upload_with_ragged_reads_gives_the_same_id_as_the_whole_content()
    {
        using var temp = new TempBlobStore();
        var content = TempBlobStore.Random((3 * MiB) + 7, 2);
        using var writer = temp.Blobs.CreateWriter();
        await writer.WriteFromAsync(new RaggedStream(content, 4093), CancellationToken.None);
        var (id, manifest) = writer.Complete();

        Assert.Equal(BlobChunking.ComputeId(content), id.ToArray());
        Assert.Equal(4, manifest.ChunkIds.Count);
        Assert.Equal(content, temp.Blobs.ReadAll(id));
    }

    [Fact]
    public void Identical_chunks_are_stored_once_and_delete_keeps_the_ones_another_blob_still_uses()
    {
        using var temp = new TempBlobStore();
        var shared = TempBlobStore.Random(MiB, 3);
        byte[] a = [.. shared, .. TempBlobStore.Random(100, 4)];
        byte[] b = [.. shared, .. TempBlobStore.Random(200, 5)];
        var idA = temp.Blobs.Put(a);
        var idB = temp.Blobs.Put(b);
        Assert.Equal(3, ChunkKeys(temp.Store).Count);

        Assert.True(temp.Blobs.Delete(idA));
        Assert.Null(temp.Blobs.GetManifest(idA));
        Assert.Null(temp.Blobs.ReadAll(idA));
        Assert.Equal(b, temp.Blobs.ReadAll(idB));
        Assert.Equal(2, ChunkKeys(temp.Store).Count);

        Assert.False(temp.Blobs.Delete(idA));
        Assert.True(temp.Blobs.Delete(idB));
        Assert.Empty(temp.Store.Scan(Column.Blob, []));
    }

    [Fact]
    public async Task Going_over_the_size_cap_fails_and_leaves_no_blob()
    {
        using var temp = new TempBlobStore();
        using var writer = temp.Blobs.CreateWriter(maxSize: MiB + 10);
        var ex = await Assert.ThrowsAsync<BlobTooLargeException>(() => writer.WriteFromAsync(new MemoryStream(new byte[MiB + 11]), CancellationToken.None));
        Assert.Equal(MiB + 10, ex.Limit);
        Assert.Empty(temp.Blobs.List());
    }

    [Fact]
    public void Content_that_does_not_hash_to_the_expected_id_writes_no_manifest()
    {
        using var temp = new TempBlobStore();
        using var writer = temp.Blobs.CreateWriter();
        writer.Write("not what was asked for"u8);
        var wanted = BlobId.FromBytes(SHA256.HashData("something else"u8));
        var ex = Assert.Throws<InvalidDataException>(() => writer.Complete(wanted));
        Assert.Contains(wanted.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.Empty(temp.Blobs.List());
        Assert.Null(temp.Blobs.GetManifest(wanted));
    }

    [Fact]
    public void The_runtime_store_adapter_reads_and_writes_the_same_chunked_blobs()
    {
        using var temp = new TempBlobStore();
        var adapter = new Mero.Node.Contexts.StoreBlobStore(temp.Store);
        var content = TempBlobStore.Random(MiB + 1, 6);
        var id = BlobChunking.ComputeId(content);
        adapter.Put(id, content);
        Assert.Equal(content, adapter.Get(id));
        Assert.Equal(content, temp.Blobs.ReadAll(BlobId.FromBytes(id)));
        Assert.Null(adapter.Get(new byte[32]));
        Assert.Throws<InvalidOperationException>(() => adapter.Put(SHA256.HashData(content), content));
    }

    private static List<byte[]> ChunkKeys(MeroStore store) => [.. store.Scan(Column.Blob, [(byte)'C']).Select(kv => kv.Key)];

    /// <summary>Returns at most <c>step</c> bytes per read, as a network body does.</summary>
    private sealed class RaggedStream(byte[] data, int step) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, step)], cancellationToken);
    }
}
