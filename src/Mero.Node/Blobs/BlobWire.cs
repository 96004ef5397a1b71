using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;
using Mero.Primitives;

namespace Mero.Node.Blobs;

/// <summary>
/// The messages of <c>/calimero/blob/0.0.2</c> (upstream's blob_types.rs), each in its own frame
/// with a 4-byte big-endian length: a JSON <see cref="BlobRequest"/>, a JSON
/// <see cref="BlobResponse"/>, then borsh <c>BlobChunk { data: Vec&lt;u8&gt; }</c> frames ending
/// with an empty one. Our response adds <c>chunks</c> (hex chunk ids) so the requester can check
/// every chunk as it arrives; upstream ignores the extra field and we accept its absence.
/// </summary>
public static class BlobWire
{
    /// <summary>Upstream's MAX_MESSAGE_SIZE: no frame may be longer.</summary>
    public const int MaxFrameSize = 8 * 1024 * 1024;

    public const int MaxRequestSize = 64 * 1024;

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static byte[] EncodeRequest(BlobRequest request) => JsonSerializer.SerializeToUtf8Bytes(request, Json);

    /// <exception cref="InvalidDataException">not a request or not a valid blob id</exception>
    public static (BlobId Id, BlobRequest Request) DecodeRequest(ReadOnlySpan<byte> frame)
    {
        BlobRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<BlobRequest>(frame, Json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"blob request is not valid JSON: {ex.Message}", ex);
        }

        if (request is null || !BlobId.TryParse(request.BlobId, out var id))
        {
            throw new InvalidDataException("blob request has no valid blob_id");
        }

        return (id, request);
    }

    public static byte[] EncodeResponse(BlobResponse response) => JsonSerializer.SerializeToUtf8Bytes(response, Json);

    /// <exception cref="InvalidDataException">not a response, or chunk ids that are not 32-byte hex</exception>
    public static (BlobResponse Response, IReadOnlyList<byte[]>? ChunkIds) DecodeResponse(ReadOnlySpan<byte> frame)
    {
        BlobResponse? response;
        try
        {
            response = JsonSerializer.Deserialize<BlobResponse>(frame, Json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"blob response is not valid JSON: {ex.Message}", ex);
        }

        if (response is null)
        {
            throw new InvalidDataException("blob response is null");
        }

        if (response.Chunks is not { } hex)
        {
            return (response, null);
        }

        var ids = new List<byte[]>(hex.Count);
        foreach (var h in hex)
        {
            if (h is not { Length: 64 })
            {
                throw new InvalidDataException("blob response lists a chunk id that is not 64 hex digits");
            }

            try
            {
                ids.Add(Convert.FromHexString(h));
            }
            catch (FormatException ex)
            {
                throw new InvalidDataException("blob response lists a chunk id that is not hex", ex);
            }
        }

        return (response, ids);
    }

    /// <summary>Borsh <c>BlobChunk { data: Vec&lt;u8&gt; }</c>: u32 little-endian length, then the bytes.</summary>
    public static byte[] EncodeChunk(ReadOnlySpan<byte> data)
    {
        var frame = new byte[4 + data.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, data.Length);
        data.CopyTo(frame.AsSpan(4));
        return frame;
    }

    /// <exception cref="InvalidDataException">the borsh length does not match the frame</exception>
    public static ReadOnlyMemory<byte> DecodeChunk(byte[] frame)
    {
        if (frame.Length < 4)
        {
            throw new InvalidDataException($"blob chunk frame of {frame.Length} bytes is shorter than its length prefix");
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(frame);
        if (length != (uint)(frame.Length - 4))
        {
            throw new InvalidDataException($"blob chunk declares {length} bytes but the frame carries {frame.Length - 4}");
        }

        return frame.AsMemory(4);
    }
}

public sealed record BlobRequest(
    [property: JsonPropertyName("blob_id")] string BlobId,
    [property: JsonPropertyName("context_id")] string? ContextId = null,
    [property: JsonPropertyName("auth")] BlobAuth? Auth = null);

public sealed record BlobResponse(
    [property: JsonPropertyName("found")] bool Found,
    [property: JsonPropertyName("size")] long? Size = null,
    [property: JsonPropertyName("chunks")] IReadOnlyList<string>? Chunks = null);
