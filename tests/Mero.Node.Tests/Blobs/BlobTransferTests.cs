using System.Security.Cryptography;
using Mero.Crypto;
using Mero.Network.Framing;
using Mero.Network.Host;
using Mero.Network.Node;
using Mero.Node.Blobs;
using Mero.Primitives;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Mero.Node.Tests.Blobs;

/// <summary>Blob transfer between two real libp2p nodes on loopback, with an honest and a lying provider.</summary>
public sealed class BlobTransferTests : IAsyncLifetime
{
    private const int MiB = 1024 * 1024;
    private readonly CancellationTokenSource _cts = new(TimeSpan.FromSeconds(90));
    private readonly Ed25519KeyPair _keyA = Ed25519KeyPair.Generate();
    private readonly Ed25519KeyPair _keyB = Ed25519KeyPair.Generate();
    private readonly TempBlobStore _storeA = new();
    private readonly TempBlobStore _storeB = new();
    private Libp2pNode _a = null!;
    private Libp2pNode _b = null!;

    private CancellationToken Ct => _cts.Token;

    public async Task InitializeAsync()
    {
        var options = Libp2pNodeOptions.Calimero(new Libp2pHostOptions { PingInterval = null }, []);
        _a = await Libp2pNode.StartAsync(_keyA, options, ct: Ct);
        _b = await Libp2pNode.StartAsync(_keyB, options, ct: Ct);
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        _keyA.Dispose();
        _keyB.Dispose();
        _storeA.Dispose();
        _storeB.Dispose();
        _cts.Dispose();
    }

    [Fact]
    public async Task A_node_fetches_a_blob_it_lacks_from_a_provider_byte_identical()
    {
        await using var serviceA = Service(_storeA, _a);
        await using var serviceB = Service(_storeB, _b);
        await serviceA.StartAsync(Ct);
        await serviceB.StartAsync(Ct);
        var content = TempBlobStore.Random((3 * MiB) + 999, 10);
        var (id, _) = await serviceA.UploadAsync(new MemoryStream(content), BlobManifest.MaxBlobSize, Ct);
        await _b.Host.DialAsync(_a.Host.ListenAddresses[0].WithPeerId(_a.PeerId), Ct);

        // Two readers at once share one fetch.
        var fetches = await Task.WhenAll(serviceB.GetOrFetchAsync(id, Ct), serviceB.GetOrFetchAsync(id, Ct));
        Assert.All(fetches, m => Assert.Equal(content.Length, m!.Size));
        Assert.Equal(content, _storeB.Blobs.ReadAll(id));
        Assert.Equal(SHA256.HashData(content), _storeB.Blobs.GetManifest(id)!.ContentHash);

        // A holds no such blob: B's direct request gets "not found", not an error.
        var unknown = BlobId.FromBytes(SHA256.HashData("nobody has this"u8));
        Assert.Null(await BlobTransfer.FetchAsync(_b.Host, _a.PeerId, unknown, _storeB.Blobs, BlobTransferTimeouts.Default, Ct));
    }

    [Fact]
    public async Task A_tampered_chunk_from_a_lying_peer_is_rejected_and_nothing_is_stored()
    {
        var content = TempBlobStore.Random((2 * MiB) + 10, 11);
        var id = _storeA.Blobs.Put(content);
        var manifest = _storeA.Blobs.GetManifest(id)!;
        // A claims the right chunk list but flips one byte of chunk 1.
        _a.Host.SetHandler(Libp2pNode.BlobProtocol, async (stream, ct) =>
        {
            await LengthPrefixed.ReadU32Async(stream, BlobWire.MaxRequestSize, ct);
            var chunks = manifest.ChunkIds.Select(Convert.ToHexStringLower).ToList();
            await LengthPrefixed.WriteU32Async(stream, BlobWire.EncodeResponse(new BlobResponse(true, manifest.Size, chunks)), ct);
            var index = 0;
            foreach (var chunk in _storeA.Blobs.ReadChunks(manifest))
            {
                if (index++ == 1)
                {
                    chunk[100] ^= 0xFF;
                }

                await LengthPrefixed.WriteU32Async(stream, BlobWire.EncodeChunk(chunk), ct);
            }

            await LengthPrefixed.WriteU32Async(stream, BlobWire.EncodeChunk([]), ct);
            await stream.CloseWriteAsync(ct);
        });
        await _b.Host.DialAsync(_a.Host.ListenAddresses[0].WithPeerId(_a.PeerId), Ct);

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => BlobTransfer.FetchAsync(_b.Host, _a.PeerId, id, _storeB.Blobs, BlobTransferTimeouts.Default, Ct));
        Assert.Contains("chunk 1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("does not match its hash", ex.Message, StringComparison.Ordinal);
        Assert.Null(_storeB.Blobs.GetManifest(id));
        Assert.Empty(_storeB.Blobs.List());

        // Through the service the bad provider is skipped and the read reports "not found".
        await using var serviceB = Service(_storeB, _b);
        await serviceB.StartAsync(Ct);
        Assert.Null(await serviceB.GetOrFetchAsync(id, Ct));
        Assert.Null(_storeB.Blobs.GetManifest(id));
    }

    [Fact]
    public async Task A_chunk_list_that_does_not_hash_to_the_id_is_rejected_before_any_chunk()
    {
        var content = TempBlobStore.Random(MiB + 10, 12);
        var id = _storeA.Blobs.Put(content);
        _a.Host.SetHandler(Libp2pNode.BlobProtocol, async (stream, ct) =>
        {
            await LengthPrefixed.ReadU32Async(stream, BlobWire.MaxRequestSize, ct);
            var forged = new[] { new byte[32], new byte[32] }.Select(Convert.ToHexStringLower).ToList();
            await LengthPrefixed.WriteU32Async(stream, BlobWire.EncodeResponse(new BlobResponse(true, MiB + 10, forged)), ct);
            await stream.CloseWriteAsync(ct);
        });
        await _b.Host.DialAsync(_a.Host.ListenAddresses[0].WithPeerId(_a.PeerId), Ct);

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => BlobTransfer.FetchAsync(_b.Host, _a.PeerId, id, _storeB.Blobs, BlobTransferTimeouts.Default, Ct));
        Assert.Contains("not to the requested blob", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_storeB.Blobs.List());
    }

    [Fact]
    public async Task Without_a_chunk_list_the_whole_blob_is_still_checked_against_its_id()
    {
        var content = TempBlobStore.Random(MiB + 10, 13);
        var id = _storeA.Blobs.Put(content);
        // An upstream-style provider (no chunk list) that sends other bytes of the announced size.
        _a.Host.SetHandler(Libp2pNode.BlobProtocol, async (stream, ct) =>
        {
            await LengthPrefixed.ReadU32Async(stream, BlobWire.MaxRequestSize, ct);
            await LengthPrefixed.WriteU32Async(stream, BlobWire.EncodeResponse(new BlobResponse(true, MiB + 10)), ct);
            await LengthPrefixed.WriteU32Async(stream, BlobWire.EncodeChunk(new byte[MiB + 10]), ct);
            await LengthPrefixed.WriteU32Async(stream, BlobWire.EncodeChunk([]), ct);
            await stream.CloseWriteAsync(ct);
        });
        await _b.Host.DialAsync(_a.Host.ListenAddresses[0].WithPeerId(_a.PeerId), Ct);

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => BlobTransfer.FetchAsync(_b.Host, _a.PeerId, id, _storeB.Blobs, BlobTransferTimeouts.Default, Ct));
        Assert.Contains("not to the requested", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_storeB.Blobs.List());
    }

    private static BlobService Service(TempBlobStore store, Libp2pNode node) =>
        new(store.Blobs, () => node, TimeProvider.System, NullLogger<BlobService>.Instance, BlobTransferTimeouts.Default);
}
