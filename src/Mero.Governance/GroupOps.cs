using Mero.Primitives;

namespace Mero.Governance;

/// <summary>A group key wrapped for one member (see <see cref="Mero.Crypto.KeyWrap"/>).</summary>
public sealed record KeyEnvelope(PublicKey Recipient, Hash KeyId, byte[] Wrapped);

/// <summary>
/// One governance change. Borsh: a u8 variant tag, then the fields in declaration order.
/// Root ops (namespace/group creation, joins, key delivery) travel in clear so a joiner without
/// keys can follow them; every other op is sealed under a group key.
/// </summary>
public abstract record GroupOp
{
    /// <summary>The group the op acts on; null only for ops that name a context instead.</summary>
    public abstract GroupId? Target { get; }

    /// <summary>Cleartext on the wire (upstream's RootOps).</summary>
    public virtual bool IsRootOp => false;

    internal abstract byte Tag { get; }

    internal abstract void WriteFields(BorshWriter w);

    public byte[] Encode()
    {
        var w = new BorshWriter(128);
        w.WriteU8(Tag);
        WriteFields(w);
        return w.ToArray();
    }

    public static GroupOp Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new BorshReader(bytes);
        var op = GroupOpCodec.Read(ref r);
        r.EnsureEnd();
        return op;
    }
}

/// <summary>Genesis: self-authorizing, parentless; the signer becomes founder, owner and admin.</summary>
public sealed record CreateNamespaceOp(GroupId Namespace, byte[] AgreementKey, ApplicationId TargetApplication) : GroupOp
{
    public override GroupId? Target => Namespace;

    public override bool IsRootOp => true;

    internal override byte Tag => 0;

    internal override void WriteFields(BorshWriter w) => w.WriteId(Namespace).WriteBytes(AgreementKey).WriteId(TargetApplication);
}

/// <summary>Creates a subgroup; the signer becomes its owner and admin. Carries the new group key for parent members.</summary>
public sealed record CreateGroupOp(GroupId Group, GroupId Parent, Visibility? Visibility, byte[] AgreementKey, IReadOnlyList<KeyEnvelope> Keys) : GroupOp
{
    public override GroupId? Target => Parent;

    public override bool IsRootOp => true;

    internal override byte Tag => 1;

    internal override void WriteFields(BorshWriter w)
    {
        w.WriteId(Group).WriteId(Parent);
        GroupOpCodec.WriteOptionalByte(w, (byte?)Visibility);
        w.WriteBytes(AgreementKey);
        GroupOpCodec.WriteEnvelopes(w, Keys);
    }
}

public sealed record DeleteGroupOp(GroupId Group) : GroupOp
{
    public override GroupId? Target => Group;

    internal override byte Tag => 2;

    internal override void WriteFields(BorshWriter w) => w.WriteId(Group);
}

public sealed record AddMemberOp(GroupId Group, PublicKey Member, GroupRole Role, byte[] AgreementKey) : GroupOp
{
    public override GroupId? Target => Group;

    internal override byte Tag => 3;

    internal override void WriteFields(BorshWriter w) => w.WriteId(Group).WriteId(Member).WriteU8((byte)Role).WriteBytes(AgreementKey);
}

/// <summary>Admin removal: rotates the group key to every remaining member (forward secrecy).</summary>
public sealed record RemoveMemberOp(GroupId Group, PublicKey Member, Hash NewKeyId, IReadOnlyList<KeyEnvelope> Keys) : GroupOp
{
    public override GroupId? Target => Group;

    internal override byte Tag => 4;

    internal override void WriteFields(BorshWriter w)
    {
        w.WriteId(Group).WriteId(Member).WriteId(NewKeyId);
        GroupOpCodec.WriteEnvelopes(w, Keys);
    }
}

/// <summary>Self-leave: no key rotation (the leaver already holds the key).</summary>
public sealed record LeaveGroupOp(GroupId Group) : GroupOp
{
    public override GroupId? Target => Group;

    internal override byte Tag => 5;

    internal override void WriteFields(BorshWriter w) => w.WriteId(Group);
}

public sealed record SetRoleOp(GroupId Group, PublicKey Member, GroupRole Role) : GroupOp
{
    public override GroupId? Target => Group;

    internal override byte Tag => 6;

    internal override void WriteFields(BorshWriter w) => w.WriteId(Group).WriteId(Member).WriteU8((byte)Role);
}

public sealed record SetCapabilitiesOp(GroupId Group, PublicKey Member, Capabilities Capabilities) : GroupOp
{
    public override GroupId? Target => Group;

    internal override byte Tag => 7;

    internal override void WriteFields(BorshWriter w) => w.WriteId(Group).WriteId(Member).WriteU32((uint)Capabilities);
}

public sealed record SetDefaultCapabilitiesOp(GroupId Group, Capabilities Capabilities) : GroupOp
{
    public override GroupId? Target => Group;

    internal override byte Tag => 8;

    internal override void WriteFields(BorshWriter w) => w.WriteId(Group).WriteU32((uint)Capabilities);
}

public sealed record SetVisibilityOp(GroupId Group, Visibility Visibility) : GroupOp
{
    public override GroupId? Target => Group;

    internal override byte Tag => 9;

    internal override void WriteFields(BorshWriter w) => w.WriteId(Group).WriteU8((byte)Visibility);
}

/// <summary>Visibility given to subgroups created under this group when their creation op names none.</summary>
public sealed record SetDefaultVisibilityOp(GroupId Group, Visibility Visibility) : GroupOp
{
    public override GroupId? Target => Group;

    internal override byte Tag => 10;

    internal override void WriteFields(BorshWriter w) => w.WriteId(Group).WriteU8((byte)Visibility);
}

public sealed record RegisterContextOp(GroupId Group, ContextId Context) : GroupOp
{
    public override GroupId? Target => Group;

    internal override byte Tag => 11;

    internal override void WriteFields(BorshWriter w) => w.WriteId(Group).WriteId(Context);
}

public sealed record DetachContextOp(GroupId Group, ContextId Context) : GroupOp
{
    public override GroupId? Target => Group;

    internal override byte Tag => 12;

    internal override void WriteFields(BorshWriter w) => w.WriteId(Group).WriteId(Context);
}

/// <summary>The signer joins a context of a group it belongs to (directly or by inheritance).</summary>
public sealed record JoinContextOp(GroupId Group, ContextId Context) : GroupOp
{
    public override GroupId? Target => Group;

    internal override byte Tag => 13;

    internal override void WriteFields(BorshWriter w) => w.WriteId(Group).WriteId(Context);
}

public sealed record SetGroupAliasOp(GroupId Group, string Alias) : GroupOp
{
    public override GroupId? Target => Group;

    internal override byte Tag => 14;

    internal override void WriteFields(BorshWriter w) => w.WriteId(Group).WriteString(Alias);
}

public sealed record SetMemberAliasOp(GroupId Group, PublicKey Member, string Alias) : GroupOp
{
    public override GroupId? Target => Group;

    internal override byte Tag => 15;

    internal override void WriteFields(BorshWriter w) => w.WriteId(Group).WriteId(Member).WriteString(Alias);
}

/// <summary>Sets the metadata record of the group, one of its members or one of its contexts (TargetId empty for the group).</summary>
public sealed record SetMetadataOp(GroupId Group, MetadataTarget Kind, byte[] TargetId, byte[] Data) : GroupOp
{
    public override GroupId? Target => Group;

    internal override byte Tag => 16;

    internal override void WriteFields(BorshWriter w) => w.WriteId(Group).WriteU8((byte)Kind).WriteBytes(TargetId).WriteBytes(Data);
}

/// <summary>Sets the namespace's target application; subgroups inherit it.</summary>
public sealed record SetUpgradeTargetOp(GroupId Group, ApplicationId Application) : GroupOp
{
    public override GroupId? Target => Group;

    internal override byte Tag => 17;

    internal override void WriteFields(BorshWriter w) => w.WriteId(Group).WriteId(Application);
}

/// <summary>Claim of an invitation, signed by the joiner; ClaimedAtMs is checked against the invitation's expiry.</summary>
public sealed record JoinWithInvitationOp(SignedInvitation Invitation, byte[] AgreementKey, ulong ClaimedAtMs) : GroupOp
{
    public override GroupId? Target => Invitation.Group;

    public override bool IsRootOp => true;

    internal override byte Tag => 18;

    internal override void WriteFields(BorshWriter w)
    {
        Invitation.Write(w);
        w.WriteBytes(AgreementKey).WriteU64(ClaimedAtMs);
    }
}

/// <summary>Group keys wrapped (X25519 + HKDF + ChaCha20-Poly1305) for members who lack them.</summary>
public sealed record KeyDeliveryOp(GroupId Group, IReadOnlyList<KeyEnvelope> Keys) : GroupOp
{
    public override GroupId? Target => Group;

    public override bool IsRootOp => true;

    internal override byte Tag => 19;

    internal override void WriteFields(BorshWriter w)
    {
        w.WriteId(Group);
        GroupOpCodec.WriteEnvelopes(w, Keys);
    }
}

/// <summary>
/// Moves a subgroup (with its subtree) under another group of the namespace in one op (upstream's
/// GroupReparented): a namespace admin signs it; the root cannot move and no cycle may form.
/// A root op like upstream's: every member must see the tree change, not only holders of the group's key.
/// </summary>
public sealed record ReparentGroupOp(GroupId Group, GroupId NewParent) : GroupOp
{
    public override GroupId? Target => Group;

    public override bool IsRootOp => true;

    internal override byte Tag => 20;

    internal override void WriteFields(BorshWriter w) => w.WriteId(Group).WriteId(NewParent);
}

/// <summary>The owner hands the group to a direct member, who becomes owner; the old owner stays a regular member with its role.</summary>
public sealed record TransferOwnershipOp(GroupId Group, PublicKey NewOwner) : GroupOp
{
    public override GroupId? Target => Group;

    internal override byte Tag => 21;

    internal override void WriteFields(BorshWriter w) => w.WriteId(Group).WriteId(NewOwner);
}
