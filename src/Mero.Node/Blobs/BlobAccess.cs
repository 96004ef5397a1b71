using System.Buffers.Binary;
using System.Text.Json.Serialization;
using Mero.Crypto;
using Mero.Primitives;

namespace Mero.Node.Blobs;

/// <summary>
/// Upstream's <c>BlobAuth</c> on the wire: the requester's key (base58), an Ed25519 signature
/// (JSON array of 64 numbers, serde's bytes form) over <see cref="BlobAuthPayload"/>, and a Unix
/// timestamp in seconds.
/// </summary>
public sealed record BlobAuth(
    [property: JsonPropertyName("public_key")] string Key,
    [property: JsonPropertyName("signature")] IReadOnlyList<int> Signature,
    [property: JsonPropertyName("timestamp")] ulong Timestamp)
{
    /// <summary>The key and signature, or null when either is malformed.</summary>
    public (PublicKey Signer, byte[] Signature)? Parse()
    {
        if (!PublicKey.TryParse(Key, out var key) || Signature is not { Count: Ed25519KeyPair.SignatureLength } || Signature.Any(b => b is < 0 or > 255))
        {
            return null;
        }

        return (key, [.. Signature.Select(b => (byte)b)]);
    }

    public static BlobAuth Create(PublicKey key, byte[] signature, ulong timestamp) =>
        new(key.ToString(), [.. signature.Select(b => (int)b)], timestamp);
}

/// <summary>Upstream's signed payload: borsh <c>{ blob_id: [u8; 32], context_id: [u8; 32], timestamp: u64 }</c>.</summary>
public static class BlobAuthPayload
{
    public static byte[] Encode(BlobId blob, ContextId context, ulong timestamp)
    {
        var bytes = new byte[72];
        blob.AsSpan().CopyTo(bytes);
        context.AsSpan().CopyTo(bytes.AsSpan(32));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(64), timestamp);
        return bytes;
    }
}

/// <summary>Who may be served a stored blob, and how this node proves its own right when it fetches one.</summary>
public interface IBlobAccess
{
    /// <summary>Decides one inbound request for a blob this node holds.</summary>
    ValueTask<bool> MayServeAsync(BlobId blob, ContextId? context, BlobAuth? auth, CancellationToken ct);

    /// <summary>Signs a request for <paramref name="blob"/> in <paramref name="context"/> as this node's member key there; null when it has none.</summary>
    ValueTask<BlobAuth?> SignAsync(BlobId blob, ContextId context, CancellationToken ct);
}

/// <summary>
/// Upstream's rule (protocol/blobs.mdx "Authorization") over this node's blob scopes: a blob that
/// was uploaded or fetched for a context is served only for a request naming one of its contexts
/// and carrying a <see cref="BlobAuth"/> that is fresh (30 s back, 10 s ahead), verifies, and is
/// signed by a current member of that context. A blob stored without any context (an operator's
/// admin-API upload) is served by id, as before: docs/blobs.md "Access".
/// </summary>
public sealed class ContextBlobAccess(
    BlobStorage storage,
    Func<ContextId, CancellationToken, ValueTask<IReadOnlyList<PublicKey>>> members,
    Func<ContextId, byte[], CancellationToken, ValueTask<(PublicKey Key, byte[] Signature)?>> sign,
    TimeProvider time) : IBlobAccess
{
    /// <summary>Upstream's MAX_REQUEST_AGE_SECS.</summary>
    public const ulong MaxAgeSeconds = 30;

    /// <summary>Upstream's MAX_REQUEST_FUTURE_AGE_SECS.</summary>
    public const ulong MaxFutureSeconds = 10;

    public async ValueTask<bool> MayServeAsync(BlobId blob, ContextId? context, BlobAuth? auth, CancellationToken ct)
    {
        var scopes = storage.Scopes(blob);
        if (scopes.Count == 0)
        {
            return true;
        }

        if (context is not { } c || !scopes.Contains(c) || auth?.Parse() is not { } parsed)
        {
            return false;
        }

        var now = (ulong)time.GetUtcNow().ToUnixTimeSeconds();
        if (auth.Timestamp + MaxAgeSeconds < now || auth.Timestamp > now + MaxFutureSeconds)
        {
            return false;
        }

        if (!Ed25519KeyPair.Verify(parsed.Signer, BlobAuthPayload.Encode(blob, c, auth.Timestamp), parsed.Signature))
        {
            return false;
        }

        return (await members(c, ct).ConfigureAwait(false)).Contains(parsed.Signer);
    }

    public async ValueTask<BlobAuth?> SignAsync(BlobId blob, ContextId context, CancellationToken ct)
    {
        var timestamp = (ulong)time.GetUtcNow().ToUnixTimeSeconds();
        return await sign(context, BlobAuthPayload.Encode(blob, context, timestamp), ct).ConfigureAwait(false) is { } signed
            ? BlobAuth.Create(signed.Key, signed.Signature, timestamp)
            : null;
    }
}
