namespace Mero.Governance;

/// <summary>Why an op was refused. Each bad input maps to one code so callers and tests can tell them apart.</summary>
public enum RejectCode
{
    Malformed,
    WrongNamespace,
    BadSignature,
    TooManyParents,
    PendingFull,
    NonceReplayed,
    NonceGap,
    StaleStateHash,
    BadGenesis,
    Unauthorized,
    ReadOnly,
    NotFound,
    AlreadyExists,
    LastAdmin,
    OwnerImmune,
    InvitationInvalid,
    InvitationExpired,
    InvitationUsed,
    MissingGroupKey,
    TooDeep,
    ReparentCycle,
}

public sealed record Rejection(RejectCode Code, string Message)
{
    public override string ToString() => $"{Code}: {Message}";
}
