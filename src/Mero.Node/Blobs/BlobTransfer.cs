using System.Security.Cryptography;
using Mero.Network.Framing;
using Mero.Network.Host;
using Mero.Network.Multiformats;
using Mero.Network.Node;
using Mero.Primitives;

namespace Mero.Node.Blobs;

/// <summary>Bounds on a transfer so a stalled peer cannot pin resources (upstream's values).</summary>
public sealed record BlobTransferTimeouts
{
    public TimeSpan RequesterWhole { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan RequesterPerChunk { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan ProviderWhole { get; init; } = TimeSpan.FromSeconds(300);

    public TimeSpan ProviderPerChunk { get; init; } = TimeSpan.FromSeconds(30);

    public static BlobTransferTimeouts Default { get; } = new();
}

/// <summary>
/// Both ends of one <c>/calimero/blob/0.0.2</c> stream: the provider streams its stored chunks,
/// the requester checks the chunk list against the blob id, each chunk against its listed hash and
/// length, and the whole against the id before the manifest is written. Nothing a peer sends is
/// visible locally until all of it has checked out.
/// </summary>
public static class BlobTransfer
{
    // A context-less request (an operator's blob) names the all-zero context, as before.
    private static readonly string NoContext = Base58.Encode(new byte[32]);

    /// <summary>
    /// Answers one inbound request from <paramref name="storage"/>. A blob <paramref name="access"/>
    /// refuses is answered "not found", as upstream does, so a refusal reveals nothing.
    /// </summary>
    public static async Task ServeAsync(BlobStorage storage, Libp2pStream stream, BlobTransferTimeouts timeouts, CancellationToken ct, IBlobAccess? access = null)
    {
        using var whole = CancellationTokenSource.CreateLinkedTokenSource(ct);
        whole.CancelAfter(timeouts.ProviderWhole);
        var frame = await LengthPrefixed.ReadU32Async(stream, BlobWire.MaxRequestSize, whole.Token).ConfigureAwait(false)
            ?? throw new EndOfStreamException("the requester closed the stream before its request");
        var (id, request) = BlobWire.DecodeRequest(frame);
        ContextId? context = ContextId.TryParse(request.ContextId, out var c) && c.AsSpan().ContainsAnyExcept((byte)0) ? c : null;
        if (storage.GetManifest(id) is not { } manifest
            || (access is not null && !await access.MayServeAsync(id, context, request.Auth, whole.Token).ConfigureAwait(false)))
        {
            await LengthPrefixed.WriteU32Async(stream, BlobWire.EncodeResponse(new BlobResponse(false)), whole.Token).ConfigureAwait(false);
            await stream.CloseWriteAsync(whole.Token).ConfigureAwait(false);
            return;
        }

        var chunks = manifest.ChunkIds.Select(Convert.ToHexStringLower).ToList();
        await LengthPrefixed.WriteU32Async(stream, BlobWire.EncodeResponse(new BlobResponse(true, manifest.Size, chunks)), whole.Token).ConfigureAwait(false);
        foreach (var chunk in storage.ReadChunks(manifest))
        {
            using var perChunk = CancellationTokenSource.CreateLinkedTokenSource(whole.Token);
            perChunk.CancelAfter(timeouts.ProviderPerChunk);
            await LengthPrefixed.WriteU32Async(stream, BlobWire.EncodeChunk(chunk), perChunk.Token).ConfigureAwait(false);
        }

        await LengthPrefixed.WriteU32Async(stream, BlobWire.EncodeChunk([]), whole.Token).ConfigureAwait(false);
        await stream.CloseWriteAsync(whole.Token).ConfigureAwait(false);
    }

    /// <summary>Fetches <paramref name="id"/> from <paramref name="peer"/> into <paramref name="storage"/>; null if the peer does not have it.</summary>
    /// <exception cref="InvalidDataException">the peer sent something that does not match the id (nothing is stored as the blob)</exception>
    /// <exception cref="TimeoutException">the transfer or one chunk took too long</exception>
    public static async Task<BlobManifest?> FetchAsync(Libp2pHost host, PeerId peer, BlobId id, BlobStorage storage, BlobTransferTimeouts timeouts, CancellationToken ct, ContextId? context = null, BlobAuth? auth = null)
    {
        using var whole = CancellationTokenSource.CreateLinkedTokenSource(ct);
        whole.CancelAfter(timeouts.RequesterWhole);
        try
        {
            await using var stream = await host.OpenStreamAsync(peer, Libp2pNode.BlobProtocol, whole.Token).ConfigureAwait(false);
            await LengthPrefixed.WriteU32Async(stream, BlobWire.EncodeRequest(new BlobRequest(id.ToString(), context?.ToString() ?? NoContext, auth)), whole.Token).ConfigureAwait(false);
            var header = await ReadFrameAsync(stream, timeouts.RequesterPerChunk, whole.Token).ConfigureAwait(false)
                ?? throw new EndOfStreamException($"{peer} closed the blob stream without a response");
            var (response, chunkIds) = BlobWire.DecodeResponse(header);
            if (!response.Found)
            {
                return null;
            }

            var size = response.Size ?? throw new InvalidDataException($"{peer} reported blob {id} found without a size");
            if (size is < 0 or > BlobManifest.MaxBlobSize)
            {
                throw new InvalidDataException($"{peer} reported blob {id} as {size} bytes, outside 0..{BlobManifest.MaxBlobSize}");
            }

            // The chunk list is authenticated by the id itself, so each chunk can be checked on arrival.
            var listed = chunkIds is null ? null : new BlobManifest(size, new byte[32], BlobManifest.CheckChunkIds(id, size, chunkIds));
            using var writer = storage.CreateWriter(size);
            var index = 0;
            while (true)
            {
                var frame = await ReadFrameAsync(stream, timeouts.RequesterPerChunk, whole.Token).ConfigureAwait(false)
                    ?? throw new EndOfStreamException($"{peer} closed the blob stream after {writer.Size} of {size} bytes, before the end chunk");
                var data = BlobWire.DecodeChunk(frame);
                if (data.IsEmpty)
                {
                    break;
                }

                if (listed is not null)
                {
                    if (index >= listed.ChunkIds.Count)
                    {
                        throw new InvalidDataException($"{peer} sent more than the {listed.ChunkIds.Count} chunks it listed");
                    }

                    if (data.Length != listed.ChunkLength(index))
                    {
                        throw new InvalidDataException($"chunk {index} from {peer} is {data.Length} bytes, expected {listed.ChunkLength(index)}");
                    }

                    if (!SHA256.HashData(data.Span).AsSpan().SequenceEqual(listed.ChunkIds[index]))
                    {
                        throw new InvalidDataException($"chunk {index} from {peer} does not match its hash in blob {id}");
                    }
                }

                writer.Write(data.Span);
                index++;
            }

            if (writer.Size != size)
            {
                throw new InvalidDataException($"{peer} sent {writer.Size} bytes for blob {id}, which it said is {size}");
            }

            return writer.Complete(id).Manifest;
        }
        catch (BlobTooLargeException)
        {
            throw new InvalidDataException($"{peer} sent more bytes for blob {id} than the size it announced");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"fetching blob {id} from {peer} timed out");
        }
    }

    private static async Task<byte[]?> ReadFrameAsync(Stream stream, TimeSpan timeout, CancellationToken ct)
    {
        using var perChunk = CancellationTokenSource.CreateLinkedTokenSource(ct);
        perChunk.CancelAfter(timeout);
        return await LengthPrefixed.ReadU32Async(stream, BlobWire.MaxFrameSize, perChunk.Token).ConfigureAwait(false);
    }
}
