namespace Mero.Node.Replication;

/// <summary>Timings and bounds of context replication (config <c>[sync]</c>).</summary>
public sealed record ReplicationOptions
{
    /// <summary>How often each followed context publishes its (root, heads) heartbeat.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Deadline of one sync request (upstream's session timeout).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Pause between attempts of a context's first sync after it is followed (join, restart).</summary>
    public TimeSpan FollowRetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Attempts of that first sync before waiting for heartbeats instead.</summary>
    public int FollowRetryAttempts { get; init; } = 30;

    /// <summary>Uncompressed bytes per snapshot page the client asks for.</summary>
    public int SnapshotPageBytes { get; init; } = 2 * 1024 * 1024;

    /// <summary>Largest snapshot a client accepts in total.</summary>
    public long MaxSnapshotBytes { get; init; } = 1L << 30;

    /// <summary>How long a server keeps a captured snapshot for its client's next page.</summary>
    public TimeSpan SnapshotSessionLifetime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Concurrent snapshot sessions a server holds; more are refused.</summary>
    public int MaxSnapshotSessions { get; init; } = 8;

    /// <summary>Most ops one delta catch-up walks back before giving up (the next heartbeat retries).</summary>
    public int MaxCatchUpOps { get; init; } = 20_000;

    public void Validate()
    {
        if (HeartbeatInterval <= TimeSpan.Zero || RequestTimeout <= TimeSpan.Zero || FollowRetryInterval <= TimeSpan.Zero || SnapshotSessionLifetime <= TimeSpan.Zero)
        {
            throw new ArgumentException("sync intervals and timeouts must be positive");
        }

        if (SnapshotPageBytes is < 1024 or > Wire.SyncProtocol.MaxDecompressedPageBytes)
        {
            throw new ArgumentException($"sync snapshot page size must be within 1 KiB..{Wire.SyncProtocol.MaxDecompressedPageBytes} bytes");
        }

        if (FollowRetryAttempts < 0 || MaxSnapshotSessions < 1 || MaxCatchUpOps < 1 || MaxSnapshotBytes < 1)
        {
            throw new ArgumentException("sync counts must be positive");
        }
    }
}
