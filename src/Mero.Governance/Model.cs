namespace Mero.Governance;

/// <summary>A member's base role in one group.</summary>
public enum GroupRole : byte
{
    Admin = 0,
    Member = 1,
    ReadOnly = 2,
}

/// <summary>Whether parent members inherit membership (Open) or must be admitted directly (Restricted).</summary>
public enum Visibility : byte
{
    Open = 0,
    Restricted = 1,
}

/// <summary>Capability bits, numbered exactly as upstream's MemberCapabilities (bits 0-8).</summary>
[Flags]
public enum Capabilities : uint
{
    None = 0,
    CanCreateContext = 1 << 0,
    CanInviteMembers = 1 << 1,
    CanJoinOpenSubgroups = 1 << 2,
    ManageMembers = 1 << 3,
    ManageApplication = 1 << 4,
    CanCreateSubgroup = 1 << 5,
    CanDeleteSubgroup = 1 << 6,
    CanManageVisibility = 1 << 7,
    CanManageMetadata = 1 << 8,

    All = (1 << 9) - 1,
}

public static class GovernanceDefaults
{
    /// <summary>New groups grant non-admins inheritance into Open subgroups; admins revoke per member.</summary>
    public const Capabilities MemberCapabilities = Capabilities.CanJoinOpenSubgroups;

    /// <summary>Upstream bounds the parent walk; deeper trees are refused as corrupt or hostile.</summary>
    public const int MaxDepth = 16;

    public const int MaxAliasBytes = 256;
    public const int MaxMetadataBytes = 4096;
}

/// <summary>A direct membership row.</summary>
public sealed record MemberRecord(GroupRole Role, Capabilities Capabilities, byte[] AgreementKey);

/// <summary>A group's structural record: its parent (none for the namespace root) and owner.</summary>
public sealed record GroupRecord(GroupId? Parent, PublicKey Owner);

/// <summary>What a metadata op writes to.</summary>
public enum MetadataTarget : byte
{
    Group = 0,
    Member = 1,
    Context = 2,
}
