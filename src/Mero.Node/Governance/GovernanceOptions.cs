namespace Mero.Node.Governance;

/// <summary>Timing of the node's governance wiring (docs/governance.md, "Node wiring").</summary>
public sealed record GovernanceOptions
{
    /// <summary>How often each followed namespace's DAG heads are published (upstream: 30 s).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long <c>namespace join</c> waits for peers, catch-up and the group key.</summary>
    public TimeSpan JoinTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>While joining: how often the claim is re-published and peers are asked for new heads.</summary>
    public TimeSpan JoinRetryInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Most ops one catch-up fetches (a bound against a peer feeding an endless history).</summary>
    public int MaxCatchUpOps { get; init; } = 100_000;

    /// <summary>How long one catch-up request may take before the peer is given up.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HeartbeatInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(JoinTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(JoinRetryInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCatchUpOps, 1);
    }
}

/// <summary>Governance could not finish for lack of peers or network within the time allowed (HTTP 503).</summary>
public sealed class GovernanceUnavailableException(string message) : Exception(message);
