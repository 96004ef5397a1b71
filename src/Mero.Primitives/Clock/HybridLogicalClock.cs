namespace Mero.Primitives.Clock;

/// <summary>
/// A hybrid logical clock for one node. Readings follow physical time when it moves forward and
/// fall back to a logical counter otherwise, so they are strictly increasing per clock and always
/// greater than every remote reading observed. Thread-safe.
/// </summary>
public sealed class HybridLogicalClock
{
    /// <summary>How far ahead of our physical time a remote reading may be (upstream uses 5 s).</summary>
    public static readonly TimeSpan DefaultMaxDrift = TimeSpan.FromSeconds(5);

    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private ulong _last;

    public HybridLogicalClock(PublicKey node, TimeProvider? time = null, TimeSpan? maxDrift = null)
    {
        var drift = maxDrift ?? DefaultMaxDrift;
        if (drift < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(maxDrift), "drift must not be negative");
        }

        Node = node;
        MaxDrift = drift;
        _time = time ?? TimeProvider.System;
    }

    public PublicKey Node { get; }

    public TimeSpan MaxDrift { get; }

    /// <summary>The last reading issued or observed (zero before the first).</summary>
    public HybridTimestamp Last
    {
        get
        {
            lock (_gate)
            {
                return new(_last, Node);
            }
        }
    }

    /// <summary>A new reading: max(physical, last + 1). A counter overflow carries into the milliseconds.</summary>
    public HybridTimestamp Now()
    {
        var physical = PhysicalTime();
        lock (_gate)
        {
            _last = Math.Max(physical, checked(_last + 1));
            return new(_last, Node);
        }
    }

    /// <summary>
    /// Merges a remote reading (the HLC receive rule): the result is greater than our last reading,
    /// the remote one and physical time. Throws <see cref="ClockDriftException"/>, leaving the clock
    /// untouched, when the remote is more than <see cref="MaxDrift"/> ahead of physical time.
    /// </summary>
    public HybridTimestamp Observe(HybridTimestamp remote)
    {
        var physical = PhysicalTime();
        var physicalMs = physical >> HybridTimestamp.CounterBits;
        var limitMs = physicalMs + (ulong)MaxDrift.TotalMilliseconds;
        if (remote.PhysicalMilliseconds > limitMs)
        {
            throw new ClockDriftException(remote, physicalMs, MaxDrift);
        }

        lock (_gate)
        {
            _last = Math.Max(physical, Math.Max(checked(_last + 1), checked(remote.Time + 1)));
            return new(_last, Node);
        }
    }

    private ulong PhysicalTime()
    {
        var ms = _time.GetUtcNow().ToUnixTimeMilliseconds();
        return ms <= 0 ? 0 : HybridTimestamp.Pack((ulong)ms, 0);
    }
}
