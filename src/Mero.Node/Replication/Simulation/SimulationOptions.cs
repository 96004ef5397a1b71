namespace Mero.Node.Replication.Simulation;

/// <summary>Fault model of a <see cref="SimulatedNetwork"/>; every choice comes from the seeded random source.</summary>
public sealed record SimulationOptions
{
    public int Seed { get; init; } = 1;

    /// <summary>Probability that one gossip delivery to one peer is lost.</summary>
    public double DropRate { get; init; }

    /// <summary>Each delivery and each request leg waits a uniform delay in [MinDelay, MaxDelay]; different delays reorder messages.</summary>
    public TimeSpan MinDelay { get; init; } = TimeSpan.FromMilliseconds(1);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMilliseconds(5);

    public void Validate()
    {
        if (DropRate is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(DropRate), DropRate, "must be within [0, 1]");
        }

        if (MinDelay < TimeSpan.Zero || MaxDelay < MinDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDelay), MaxDelay, "delays must satisfy 0 <= MinDelay <= MaxDelay");
        }
    }
}
