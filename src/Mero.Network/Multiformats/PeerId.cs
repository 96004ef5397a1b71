using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Mero.Crypto;
using Mero.Primitives;

namespace Mero.Network.Multiformats;

/// <summary>
/// A libp2p peer id: the multihash of the peer's protobuf public key, identity-hashed when the
/// encoding is at most 42 bytes (Ed25519: <c>12D3KooW…</c>) and SHA-256 otherwise (RSA: <c>Qm…</c>).
/// The text form is base58btc of the multihash.
/// </summary>
public sealed class PeerId : IEquatable<PeerId>
{
    private const int IdentityCode = 0x00;
    private const int Sha256Code = 0x12;
    private const int MaxInlineKeyLength = 42;

    private readonly byte[] _multihash;
    private readonly string _text;

    private PeerId(byte[] multihash)
    {
        _multihash = multihash;
        _text = Base58.Encode(multihash);
    }

    public ReadOnlySpan<byte> AsSpan() => _multihash;

    public byte[] ToBytes() => (byte[])_multihash.Clone();

    public static PeerId FromPublicKey(PublicKey ed25519) => FromPublicKey(Libp2pPublicKey.FromEd25519(ed25519));

    public static PeerId FromPublicKey(Libp2pPublicKey key)
    {
        var encoded = key.ToProtobuf();
        if (encoded.Length <= MaxInlineKeyLength)
        {
            return new([IdentityCode, (byte)encoded.Length, .. encoded]);
        }

        return new([Sha256Code, 32, .. SHA256.HashData(encoded)]);
    }

    /// <summary>Parses the binary multihash form; throws <see cref="FormatException"/>.</summary>
    public static PeerId FromBytes(ReadOnlySpan<byte> bytes) =>
        TryFromBytes(bytes, out var peer) ? peer : throw new FormatException("not a peer id multihash (identity ≤ 42 bytes or sha2-256)");

    public static bool TryFromBytes(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out PeerId? peer)
    {
        peer = null;
        if (bytes.Length < 2)
        {
            return false;
        }

        var code = bytes[0];
        var length = bytes[1];
        if (length >= 0x80 || bytes.Length != 2 + length)
        {
            return false;
        }

        var valid = code switch
        {
            IdentityCode => length <= MaxInlineKeyLength && TryDecodeKey(bytes[2..], out _),
            Sha256Code => length == 32,
            _ => false,
        };
        if (valid)
        {
            peer = new(bytes.ToArray());
        }

        return valid;
    }

    public static PeerId Parse(string text) =>
        TryParse(text, out var peer) ? peer : throw new FormatException($"'{(text.Length > 80 ? text[..80] : text)}' is not a base58 peer id");

    public static bool TryParse(string? text, [NotNullWhen(true)] out PeerId? peer)
    {
        peer = null;
        return !string.IsNullOrEmpty(text) && text.Length <= 128 && Base58.TryDecode(text, out var bytes) && TryFromBytes(bytes, out peer);
    }

    /// <summary>The public key inlined in an identity-hashed peer id, if there is one.</summary>
    public bool TryGetPublicKey([NotNullWhen(true)] out Libp2pPublicKey? key)
    {
        key = null;
        return _multihash[0] == IdentityCode && TryDecodeKey(_multihash.AsSpan(2), out key);
    }

    /// <summary>True when <paramref name="key"/> is the key this peer id names.</summary>
    public bool Matches(Libp2pPublicKey key) => Equals(FromPublicKey(key));

    private static bool TryDecodeKey(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out Libp2pPublicKey? key)
    {
        try
        {
            key = Libp2pPublicKey.FromProtobuf(bytes);
            return true;
        }
        catch (FormatException)
        {
            key = null;
            return false;
        }
    }

    public bool Equals(PeerId? other) => other is not null && _multihash.AsSpan().SequenceEqual(other._multihash);

    public override bool Equals(object? obj) => obj is PeerId other && Equals(other);

    public override int GetHashCode() => _text.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => _text;

    public static bool operator ==(PeerId? left, PeerId? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(PeerId? left, PeerId? right) => !(left == right);
}
