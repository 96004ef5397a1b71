namespace Mero.Primitives.Clock;

/// <summary>A remote timestamp is further ahead of our physical clock than the allowed drift.</summary>
public sealed class ClockDriftException(HybridTimestamp remote, ulong localPhysicalMilliseconds, TimeSpan maxDrift)
    : InvalidOperationException(
        $"remote timestamp from {remote.Node} is {remote.PhysicalMilliseconds - localPhysicalMilliseconds} ms ahead of local " +
        $"physical time; the limit is {(long)maxDrift.TotalMilliseconds} ms")
{
    public HybridTimestamp Remote { get; } = remote;

    public TimeSpan MaxDrift { get; } = maxDrift;
}
