namespace Mero.Dag;

public enum DagAddStatus
{
    /// <summary>The entry (and any pending entries it unblocked) was applied.</summary>
    Applied,

    /// <summary>The entry waits for <see cref="DagAddResult.MissingParents"/>.</summary>
    Pending,

    /// <summary>Already applied or already pending; nothing changed.</summary>
    Duplicate,

    /// <summary>Refused: too many parents, pending queue full, or the apply step refused it.</summary>
    Rejected,
}

/// <summary>What <see cref="CausalDag{T}.Add"/> did. <see cref="Applied"/> is in the order entries were applied.</summary>
public sealed record DagAddResult<T>(
    DagAddStatus Status,
    IReadOnlyList<T> Applied,
    IReadOnlyList<Hash> MissingParents,
    IReadOnlyList<DagRejection<T>> Rejections)
{
    public string? Reason => Rejections.Count > 0 ? Rejections[0].Reason : null;
}

/// <summary>An entry the DAG or its apply step refused, with why.</summary>
public sealed record DagRejection<T>(T Entry, string Reason);
