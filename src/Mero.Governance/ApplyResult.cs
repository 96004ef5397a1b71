namespace Mero.Governance;

public enum ApplyStatus
{
    /// <summary>The op (and any pending ops it unblocked) is now part of the DAG and the state.</summary>
    Applied,

    /// <summary>Waiting for missing parents or for the group key that opens it; persisted.</summary>
    Pending,

    /// <summary>Already applied or already waiting: nothing changed (idempotent).</summary>
    Duplicate,

    /// <summary>Refused for <see cref="ApplyResult.Rejection"/>; nothing persisted.</summary>
    Rejected,
}

/// <summary>What offering one op did. <see cref="Applied"/> lists every op applied as a result, in apply order.</summary>
public sealed record ApplyResult(ApplyStatus Status, Rejection? Rejection, IReadOnlyList<Hash> Applied)
{
    public static ApplyResult Duplicate { get; } = new(ApplyStatus.Duplicate, null, []);

    public static ApplyResult Rejected(RejectCode code, string message) => new(ApplyStatus.Rejected, new(code, message), []);

    public static ApplyResult Pending(IReadOnlyList<Hash> applied) => new(ApplyStatus.Pending, null, applied);
}

/// <summary>
/// An op in the DAG with its causal generation (1 + max parent generation). The opened payload is
/// kept when known and reopened on demand after a reload (only refolds need it).
/// </summary>
internal sealed class AppliedOp(SignedGroupOp envelope, GroupOp? op, ulong generation)
{
    public SignedGroupOp Envelope { get; } = envelope;

    public GroupOp? Op { get; set; } = op;

    public ulong Generation { get; } = generation;
}

/// <summary>The canonical fold order: generation, then op hash. A valid topological order every node agrees on.</summary>
internal readonly record struct FoldKey(ulong Generation, Hash Id) : IComparable<FoldKey>
{
    public int CompareTo(FoldKey other)
    {
        var byGeneration = Generation.CompareTo(other.Generation);
        return byGeneration != 0 ? byGeneration : Id.CompareTo(other.Id);
    }
}
