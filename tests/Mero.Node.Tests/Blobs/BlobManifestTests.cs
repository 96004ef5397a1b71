using System.Buffers.Binary;
using System.Security.Cryptography;
using Mero.Node.Blobs;
using Mero.Primitives;
using Xunit;

namespace Mero.Node.Tests.Blobs;

public sealed class BlobManifestTests
{
    private static readonly byte[][] TwoChunks = [SHA256.HashData("a"u8), SHA256.HashData("b"u8)];

    [Fact]
    public void A_manifest_round_trips()
    {
        var manifest = new BlobManifest(BlobChunking.ChunkSize + 5, SHA256.HashData("x"u8), TwoChunks);
        var decoded = BlobManifest.Decode(manifest.Encode());
        Assert.Equal(manifest.Size, decoded.Size);
        Assert.Equal(manifest.ContentHash, decoded.ContentHash);
        Assert.Equal(TwoChunks, decoded.ChunkIds);
        Assert.Equal(manifest.ComputeId(), decoded.ComputeId());
        Assert.Equal(5, decoded.ChunkLength(1));
        Assert.Equal(BlobChunking.ChunkSize, decoded.ChunkLength(0));
    }

    public static TheoryData<string, byte[], string> Malformed()
    {
        var good = new BlobManifest(BlobChunking.ChunkSize + 5, new byte[32], TwoChunks).Encode();
        byte[] WithSize(long size)
        {
            var copy = good.ToArray();
            BinaryPrimitives.WriteInt64LittleEndian(copy, size);
            return copy;
        }

        byte[] WithCount(uint count)
        {
            var copy = good.ToArray();
            BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(40), count);
            return copy;
        }

        return new()
        {
            { "empty", [], "shorter than its 44-byte header" },
            { "short header", good[..43], "shorter than its 44-byte header" },
            { "negative size", WithSize(-1), "outside 0.." },
            { "over 1 GiB", WithSize(BlobManifest.MaxBlobSize + 1), "outside 0.." },
            { "too few chunks for the size", WithSize(5), "lists 2 chunks for 5 bytes" },
            { "huge chunk count", WithCount(uint.MaxValue), "lists 4294967295 chunks" },
            { "truncated ids", good[..^1], "expected 108 for 2 chunks" },
            { "trailing bytes", [.. good, 0], "expected 108 for 2 chunks" },
        };
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_manifests_are_rejected_with_a_reason(string name, byte[] bytes, string reason)
    {
        var ex = Assert.Throws<InvalidDataException>(() => BlobManifest.Decode(bytes));
        Assert.True(ex.Message.Contains(reason, StringComparison.Ordinal), $"{name}: {ex.Message}");
    }

    [Fact]
    public void A_chunk_list_from_a_peer_must_hash_to_the_requested_id_and_fit_the_size()
    {
        var id = new BlobManifest(BlobChunking.ChunkSize + 5, new byte[32], TwoChunks).ComputeId();
        Assert.Same(TwoChunks, BlobManifest.CheckChunkIds(id, BlobChunking.ChunkSize + 5, TwoChunks));

        var swapped = Assert.Throws<InvalidDataException>(() => BlobManifest.CheckChunkIds(id, BlobChunking.ChunkSize + 5, [TwoChunks[1], TwoChunks[0]]));
        Assert.Contains("not to the requested blob", swapped.Message, StringComparison.Ordinal);
        var wrongSize = Assert.Throws<InvalidDataException>(() => BlobManifest.CheckChunkIds(id, 10, TwoChunks));
        Assert.Contains("2 chunk ids for 10 bytes", wrongSize.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => BlobManifest.CheckChunkIds(id, BlobManifest.MaxBlobSize + 1, TwoChunks));
        Assert.Throws<InvalidDataException>(() => BlobManifest.CheckChunkIds(id, BlobChunking.ChunkSize + 5, [TwoChunks[0], new byte[31]]));
    }

    [Fact]
    public void Wire_frames_are_checked()
    {
        Assert.Equal("abc"u8.ToArray(), BlobWire.DecodeChunk(BlobWire.EncodeChunk("abc"u8)).ToArray());
        Assert.True(BlobWire.DecodeChunk(BlobWire.EncodeChunk([])).IsEmpty);
        Assert.Contains("declares 4 bytes", Assert.Throws<InvalidDataException>(() => BlobWire.DecodeChunk([4, 0, 0, 0, 1, 2, 3])).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => BlobWire.DecodeChunk([1, 0]));
        Assert.Contains("blob_id", Assert.Throws<InvalidDataException>(() => BlobWire.DecodeRequest("{\"blob_id\":\"0OIl\"}"u8)).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => BlobWire.DecodeRequest("not json"u8));
        Assert.Throws<InvalidDataException>(() => BlobWire.DecodeResponse("{\"found\":true,\"size\":1,\"chunks\":[\"zz\"]}"u8));

        var id = BlobId.FromBytes(SHA256.HashData("x"u8));
        var (decodedId, request) = BlobWire.DecodeRequest(BlobWire.EncodeRequest(new BlobRequest(id.ToString(), "ctx")));
        Assert.Equal(id, decodedId);
        Assert.Equal("ctx", request.ContextId);
        var (response, chunks) = BlobWire.DecodeResponse(BlobWire.EncodeResponse(new BlobResponse(true, 3, [Convert.ToHexStringLower(TwoChunks[0])])));
        Assert.Equal((true, 3L), (response.Found, response.Size!.Value));
        Assert.Equal(TwoChunks[0], Assert.Single(chunks!));
        Assert.Null(BlobWire.DecodeResponse("{\"found\":false}"u8).ChunkIds);
    }
}
