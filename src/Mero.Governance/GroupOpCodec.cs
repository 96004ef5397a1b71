using Mero.Primitives;

namespace Mero.Governance;

/// <summary>Decodes <see cref="GroupOp"/> variants from untrusted borsh, bounding every length.</summary>
internal static class GroupOpCodec
{
    private const int MaxEnvelopes = 4096;
    private const int MaxWrappedBytes = 256;

    public static GroupOp Read(ref BorshReader r)
    {
        var tag = r.ReadU8();
        return tag switch
        {
            0 => new CreateNamespaceOp(r.ReadId<IdKinds.Group>(), ReadAgreementKey(ref r), r.ReadId<IdKinds.Application>()),
            1 => new CreateGroupOp(r.ReadId<IdKinds.Group>(), r.ReadId<IdKinds.Group>(), ReadOptionalVisibility(ref r), ReadAgreementKey(ref r), ReadEnvelopes(ref r)),
            2 => new DeleteGroupOp(r.ReadId<IdKinds.Group>()),
            3 => new AddMemberOp(r.ReadId<IdKinds.Group>(), r.ReadId<IdKinds.PublicKey>(), ReadRole(ref r), ReadAgreementKey(ref r)),
            4 => new RemoveMemberOp(r.ReadId<IdKinds.Group>(), r.ReadId<IdKinds.PublicKey>(), r.ReadId<IdKinds.Hash>(), ReadEnvelopes(ref r)),
            5 => new LeaveGroupOp(r.ReadId<IdKinds.Group>()),
            6 => new SetRoleOp(r.ReadId<IdKinds.Group>(), r.ReadId<IdKinds.PublicKey>(), ReadRole(ref r)),
            7 => new SetCapabilitiesOp(r.ReadId<IdKinds.Group>(), r.ReadId<IdKinds.PublicKey>(), ReadCapabilities(ref r)),
            8 => new SetDefaultCapabilitiesOp(r.ReadId<IdKinds.Group>(), ReadCapabilities(ref r)),
            9 => new SetVisibilityOp(r.ReadId<IdKinds.Group>(), ReadVisibility(ref r)),
            10 => new SetDefaultVisibilityOp(r.ReadId<IdKinds.Group>(), ReadVisibility(ref r)),
            11 => new RegisterContextOp(r.ReadId<IdKinds.Group>(), r.ReadId<IdKinds.Context>()),
            12 => new DetachContextOp(r.ReadId<IdKinds.Group>(), r.ReadId<IdKinds.Context>()),
            13 => new JoinContextOp(r.ReadId<IdKinds.Group>(), r.ReadId<IdKinds.Context>()),
            14 => new SetGroupAliasOp(r.ReadId<IdKinds.Group>(), r.ReadString(GovernanceDefaults.MaxAliasBytes)),
            15 => new SetMemberAliasOp(r.ReadId<IdKinds.Group>(), r.ReadId<IdKinds.PublicKey>(), r.ReadString(GovernanceDefaults.MaxAliasBytes)),
            16 => ReadMetadata(ref r),
            17 => new SetUpgradeTargetOp(r.ReadId<IdKinds.Group>(), r.ReadId<IdKinds.Application>()),
            18 => new JoinWithInvitationOp(SignedInvitation.Read(ref r), ReadAgreementKey(ref r), r.ReadU64()),
            19 => new KeyDeliveryOp(r.ReadId<IdKinds.Group>(), ReadEnvelopes(ref r)),
            20 => new ReparentGroupOp(r.ReadId<IdKinds.Group>(), r.ReadId<IdKinds.Group>()),
            21 => new TransferOwnershipOp(r.ReadId<IdKinds.Group>(), r.ReadId<IdKinds.PublicKey>()),
            _ => throw new BorshException($"unknown group op variant {tag}"),
        };
    }

    public static void WriteOptionalByte(BorshWriter w, byte? value)
    {
        if (value is { } v)
        {
            w.WriteU8(1).WriteU8(v);
        }
        else
        {
            w.WriteU8(0);
        }
    }

    public static void WriteEnvelopes(BorshWriter w, IReadOnlyList<KeyEnvelope> envelopes) =>
        w.WriteVec(envelopes, static (w, e) => w.WriteId(e.Recipient).WriteId(e.KeyId).WriteBytes(e.Wrapped));

    private static KeyEnvelope[] ReadEnvelopes(ref BorshReader r)
    {
        var count = r.ReadCount(68, MaxEnvelopes);
        var envelopes = new KeyEnvelope[count];
        for (var i = 0; i < count; i++)
        {
            envelopes[i] = new(r.ReadId<IdKinds.PublicKey>(), r.ReadId<IdKinds.Hash>(), r.ReadBytes(MaxWrappedBytes));
        }

        return envelopes;
    }

    private static SetMetadataOp ReadMetadata(ref BorshReader r)
    {
        var group = r.ReadId<IdKinds.Group>();
        var kind = r.ReadU8() switch
        {
            0 => MetadataTarget.Group,
            1 => MetadataTarget.Member,
            2 => MetadataTarget.Context,
            var b => throw new BorshException($"unknown metadata target {b}"),
        };
        var targetId = r.ReadBytes(32);
        if ((kind == MetadataTarget.Group) != (targetId.Length == 0) || targetId.Length is not (0 or 32))
        {
            throw new BorshException("metadata target id must be empty for the group and 32 bytes for a member or context");
        }

        return new SetMetadataOp(group, kind, targetId, r.ReadBytes(GovernanceDefaults.MaxMetadataBytes));
    }

    private static byte[] ReadAgreementKey(ref BorshReader r)
    {
        var key = r.ReadBytes(32);
        return key.Length == 32 ? key : throw new BorshException($"an X25519 agreement key is 32 bytes, got {key.Length}");
    }

    private static GroupRole ReadRole(ref BorshReader r) => r.ReadU8() switch
    {
        0 => GroupRole.Admin,
        1 => GroupRole.Member,
        2 => GroupRole.ReadOnly,
        var b => throw new BorshException($"unknown role {b}"),
    };

    private static Visibility ReadVisibility(ref BorshReader r) => r.ReadU8() switch
    {
        0 => Visibility.Open,
        1 => Visibility.Restricted,
        var b => throw new BorshException($"unknown visibility {b}"),
    };

    private static Visibility? ReadOptionalVisibility(ref BorshReader r) => r.ReadOptionTag() ? ReadVisibility(ref r) : null;

    private static Capabilities ReadCapabilities(ref BorshReader r)
    {
        var bits = r.ReadU32();
        return (bits & ~(uint)Capabilities.All) == 0 ? (Capabilities)bits : throw new BorshException($"capability bits 0x{bits:x} outside 0-8");
    }
}
