using System.Net;
using Mero.Network.Multiformats;
using Mero.Node.Network;

namespace Mero.Node.Configuration;

/// <summary>What a running node needs from its home directory and config, validated once at start.</summary>
public sealed record NodeOptions
{
    public required string HomeDirectory { get; init; }

    public required string DataPath { get; init; }

    public required string BlobPath { get; init; }

    public required IReadOnlyList<IPEndPoint> ServerEndpoints { get; init; }

    public bool AdminApiEnabled { get; init; } = true;

    public bool JsonRpcEnabled { get; init; } = true;

    public bool WebSocketEnabled { get; init; } = true;

    public bool SseEnabled { get; init; } = true;

    public RuntimeLimitOverrides RuntimeLimits { get; init; } = new();

    /// <summary>The guest fetch host function; disabled unless [runtime.fetch] enables it.</summary>
    public Mero.Runtime.FetchPolicy Fetch { get; init; } = Mero.Runtime.FetchPolicy.Disabled;

    /// <summary>Context replication timings (<c>[sync]</c>).</summary>
    public Mero.Node.Replication.ReplicationOptions Replication { get; init; } = new();

    /// <summary>The libp2p side; null runs the node without networking (benchmarks, single-node tests).</summary>
    public SwarmOptions? Swarm { get; init; }

    public void Validate()
    {
        if (ServerEndpoints.Count == 0)
        {
            throw new NodeConfigException("[server] listen has no /ip4|ip6/.../tcp/PORT address");
        }

        RuntimeLimits.Validate();
        try
        {
            Replication.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new NodeConfigException("[sync]: " + ex.Message, ex);
        }

        foreach (var address in (IEnumerable<string>)[.. Swarm?.Listen ?? [], .. Swarm?.BootstrapNodes ?? []])
        {
            if (!Multiaddr.TryParse(address, out _))
            {
                throw new NodeConfigException($"'{address}' in [swarm] listen or [bootstrap] nodes is not a valid multiaddr");
            }
        }
    }

    /// <summary>Reads <c>config.toml</c> in <paramref name="homeDirectory"/> and resolves relative paths against it.</summary>
    public static NodeOptions FromConfig(string homeDirectory, NodeConfigFile config)
    {
        var endpoints = new List<IPEndPoint>();
        foreach (var address in config.Server.Listen)
        {
            if (!Multiaddr.TryParse(address, out var parsed) || !parsed.TryGetTcpEndPoint(out var endpoint))
            {
                throw new NodeConfigException($"[server] listen: '{address}' is not a /ip4|ip6/ADDR/tcp/PORT multiaddr");
            }

            endpoints.Add(endpoint);
        }

        var limits = config.Runtime.Limits;
        var options = new NodeOptions
        {
            HomeDirectory = homeDirectory,
            DataPath = Path.GetFullPath(config.Datastore.Path, homeDirectory),
            BlobPath = Path.GetFullPath(config.Blobstore.Path, homeDirectory),
            ServerEndpoints = endpoints,
            AdminApiEnabled = config.Server.Admin.Enabled,
            JsonRpcEnabled = config.Server.Jsonrpc.Enabled,
            WebSocketEnabled = config.Server.Websocket.Enabled,
            SseEnabled = config.Server.Sse.Enabled,
            Swarm = new SwarmOptions
            {
                IdentityKeypair = config.Identity.Keypair,
                Listen = config.Swarm.Listen,
                BootstrapNodes = config.Bootstrap.Nodes,
            },
            RuntimeLimits = new RuntimeLimitOverrides
            {
                MaxLogs = limits.MaxLogs,
                MaxLogSize = limits.MaxLogSize,
                MaxFuel = limits.MaxFuel,
                MaxMemoryPages = limits.MaxMemoryPages,
                ExecutionTimeout = limits.ExecutionTimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
                MaxEvents = limits.MaxEvents,
                MaxXCalls = limits.MaxXcalls,
                MaxStorageKeySize = limits.MaxStorageKeySize,
                MaxStorageValueSize = limits.MaxStorageValueSize,
            },
            Replication = new Mero.Node.Replication.ReplicationOptions
            {
                RequestTimeout = TimeSpan.FromMilliseconds(config.Sync.TimeoutMs),
                FollowRetryInterval = TimeSpan.FromMilliseconds(config.Sync.IntervalMs),
                HeartbeatInterval = TimeSpan.FromMilliseconds(config.Sync.HeartbeatIntervalMs),
            },
            Fetch = config.Runtime.Fetch.Enabled
                ? Mero.Runtime.FetchPolicy.AllowOnly([.. config.Runtime.Fetch.AllowedHosts])
                : Mero.Runtime.FetchPolicy.Disabled,
        };
        options.Validate();
        return options;
    }
}

/// <summary>The VM limits an operator may change in <c>[runtime.limits]</c>; null keeps the default.</summary>
public sealed record RuntimeLimitOverrides
{
    public int? MaxLogs { get; init; }

    public int? MaxLogSize { get; init; }

    public long? MaxFuel { get; init; }

    public int? MaxMemoryPages { get; init; }

    public TimeSpan? ExecutionTimeout { get; init; }

    public int? MaxEvents { get; init; }

    public int? MaxXCalls { get; init; }

    public long? MaxStorageKeySize { get; init; }

    public long? MaxStorageValueSize { get; init; }

    public void Validate()
    {
        Check(MaxEvents is null or (> 0 and <= 100_000), "max_events must be 1..100000");
        Check(MaxXCalls is null or (> 0 and <= 1024), "max_xcalls must be 1..1024");
        Check(MaxStorageKeySize is null or (> 0 and <= 64L * 1024 * 1024), "max_storage_key_size must be 1 byte..64 MiB");
        Check(MaxStorageValueSize is null or (> 0 and <= 256L * 1024 * 1024), "max_storage_value_size must be 1 byte..256 MiB");
        Check(MaxLogs is null or (> 0 and <= 1_000_000), "max_logs must be 1..1000000");
        Check(MaxLogSize is null or (> 0 and <= 10 * 1024 * 1024), "max_log_size must be 1..10 MiB");
        Check(MaxFuel is null or > 0, "max_fuel must be positive");
        Check(MaxMemoryPages is null or (> 0 and <= 65536), "max_memory_pages must be 1..65536");
        Check(ExecutionTimeout is null || (ExecutionTimeout > TimeSpan.Zero && ExecutionTimeout <= TimeSpan.FromMinutes(10)), "execution_timeout_ms must be 1ms..10min");
    }

    private static void Check(bool ok, string message)
    {
        if (!ok)
        {
            throw new NodeConfigException($"[runtime.limits] {message}");
        }
    }
}
