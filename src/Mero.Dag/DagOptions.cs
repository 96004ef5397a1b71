namespace Mero.Dag;

/// <summary>Bounds of one DAG. Upstream caps parents at 64 and buffers a bounded number of early arrivals.</summary>
public sealed record DagOptions
{
    public const int DefaultMaxParents = 64;

    public int MaxParents { get; init; } = DefaultMaxParents;

    /// <summary>Entries held while their parents are missing; beyond this, new arrivals are refused.</summary>
    public int MaxPending { get; init; } = 10_000;

    public void Validate()
    {
        if (MaxParents is < 1 or > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxParents), MaxParents, "must be 1..1024");
        }

        if (MaxPending < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPending), MaxPending, "must be >= 0");
        }
    }
}
