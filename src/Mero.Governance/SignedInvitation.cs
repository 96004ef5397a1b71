using System.Text.Json;
using System.Text.Json.Serialization;
using Mero.Crypto;
using Mero.Primitives;

namespace Mero.Governance;

/// <summary>
/// An open invitation into a group, signed by a member holding CAN_INVITE_MEMBERS. Whoever holds it
/// may claim it once before it expires; the claim is a <see cref="JoinWithInvitationOp"/>.
/// Travels out of band as JSON (ids base58, signature base58).
/// </summary>
public sealed record SignedInvitation(
    GroupId Namespace,
    GroupId Group,
    PublicKey Inviter,
    GroupRole Role,
    ulong ExpiresAtMs,
    Hash Salt,
    byte[] Signature)
{
    /// <summary>Content id: what a reuse check remembers.</summary>
    public Hash Id => Hashing.Sha256(SignableBytes());

    public static SignedInvitation Create(Ed25519KeyPair inviter, GroupId ns, GroupId group, GroupRole role, ulong expiresAtMs, Hash salt)
    {
        ArgumentNullException.ThrowIfNull(inviter);
        var unsigned = new SignedInvitation(ns, group, inviter.PublicKey, role, expiresAtMs, salt, []);
        return unsigned with { Signature = inviter.Sign(unsigned.SignableBytes()) };
    }

    public bool VerifySignature() => Ed25519KeyPair.Verify(Inviter, SignableBytes(), Signature);

    internal byte[] SignableBytes()
    {
        var w = new BorshWriter(160);
        w.WriteString("mero/invitation/v1").WriteId(Namespace).WriteId(Group).WriteId(Inviter).WriteU8((byte)Role).WriteU64(ExpiresAtMs).WriteId(Salt);
        return w.ToArray();
    }

    internal void Write(BorshWriter w) =>
        w.WriteId(Namespace).WriteId(Group).WriteId(Inviter).WriteU8((byte)Role).WriteU64(ExpiresAtMs).WriteId(Salt).WriteFixed(Signature);

    internal static SignedInvitation Read(ref BorshReader r)
    {
        var ns = r.ReadId<IdKinds.Group>();
        var group = r.ReadId<IdKinds.Group>();
        var inviter = r.ReadId<IdKinds.PublicKey>();
        var role = r.ReadU8() switch
        {
            0 => GroupRole.Admin,
            1 => GroupRole.Member,
            2 => GroupRole.ReadOnly,
            var b => throw new BorshException($"unknown role {b}"),
        };
        return new(ns, group, inviter, role, r.ReadU64(), r.ReadId<IdKinds.Hash>(), r.ReadFixed(Ed25519KeyPair.SignatureLength).ToArray());
    }

    public string ToJson() => JsonSerializer.Serialize(new InvitationJson(
        Namespace.ToString(), Group.ToString(), Inviter.ToString(), Role.ToString(), ExpiresAtMs, Salt.ToString(), Base58.Encode(Signature)), InvitationJsonContext.Default.InvitationJson);

    /// <summary>Parses the out-of-band form; throws <see cref="FormatException"/> for anything malformed.</summary>
    public static SignedInvitation FromJson(string json)
    {
        InvitationJson? dto;
        try
        {
            dto = JsonSerializer.Deserialize(json, InvitationJsonContext.Default.InvitationJson);
        }
        catch (JsonException e)
        {
            throw new FormatException($"invitation is not valid JSON: {e.Message}");
        }

        if (dto is null || !Enum.TryParse<GroupRole>(dto.Role, out var role) || !Base58.TryDecode(dto.Signature, out var signature) || signature.Length != Ed25519KeyPair.SignatureLength)
        {
            throw new FormatException("invitation JSON lacks a field or has a bad role or signature");
        }

        return new(GroupId.Parse(dto.Namespace), GroupId.Parse(dto.Group), PublicKey.Parse(dto.Inviter), role, dto.ExpiresAtMs, Hash.Parse(dto.Salt), signature);
    }
}

internal sealed record InvitationJson(
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("group")] string Group,
    [property: JsonPropertyName("inviter")] string Inviter,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("expires_at_ms")] ulong ExpiresAtMs,
    [property: JsonPropertyName("salt")] string Salt,
    [property: JsonPropertyName("signature")] string Signature);

[JsonSerializable(typeof(InvitationJson))]
internal sealed partial class InvitationJsonContext : JsonSerializerContext;
