using System.Collections.Concurrent;
using Mero.Crypto;
using Mero.Governance;
using Mero.Node.Contexts;
using Mero.Node.Governance;
using Mero.Node.Replication;
using Mero.Node.Replication.Simulation;
using Mero.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mero.Node.Tests.Governance;

/// <summary>Records what governance asks of contexts instead of running apps.</summary>
internal sealed class RecordingContexts : IGovernedContexts
{
    public ConcurrentDictionary<ContextId, (ApplicationId App, PublicKey Member)> Joined { get; } = new();

    public ConcurrentDictionary<ContextId, (ApplicationId App, PublicKey Member)> Created { get; } = new();

    public Task<CreatedContext> CreateAsync(ApplicationId applicationId, byte[]? initArgs, string? name, byte[] memberSeed, CancellationToken ct)
    {
        using var member = Ed25519KeyPair.FromSeed(memberSeed);
        var id = ContextId.FromBytes(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        Created[id] = (applicationId, member.PublicKey);
        return Task.FromResult(new CreatedContext(id, member.PublicKey, default));
    }

    public Task<bool> JoinAsync(ContextId contextId, ApplicationId applicationId, byte[] memberSeed, CancellationToken ct)
    {
        using var member = Ed25519KeyPair.FromSeed(memberSeed);
        return Task.FromResult(Joined.TryAdd(contextId, (applicationId, member.PublicKey)));
    }

    public ConcurrentBag<ContextId> Deleted { get; } = [];

    public Task<bool> DeleteAsync(ContextId contextId, CancellationToken ct)
    {
        Deleted.Add(contextId);
        return Task.FromResult(Created.TryRemove(contextId, out _) | Joined.TryRemove(contextId, out _));
    }
}

/// <summary>One node's governance over a RocksDB temp dir and a simulated transport.</summary>
internal sealed class GovNode : IAsyncDisposable
{
    private readonly SimulatedNetwork _network;
    private TopicRouter? _router;

    private GovNode(SimulatedNetwork network, string peer, string directory)
    {
        _network = network;
        Peer = peer;
        Directory = directory;
    }

    public string Peer { get; }

    public string Directory { get; }

    public MeroStore Store { get; private set; } = null!;

    public GovernanceService Service { get; private set; } = null!;

    public GovernanceContextAuthority Authority { get; private set; } = null!;

    public RecordingContexts Contexts { get; private set; } = null!;

    /// <summary>What governance tells replication (follow / unfollow contexts); nothing drains it here.</summary>
    public ReplicationOutbox Outbox { get; private set; } = null!;

    public static GovernanceOptions Options { get; } = new()
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(150),
        JoinRetryInterval = TimeSpan.FromMilliseconds(50),
        JoinTimeout = TimeSpan.FromSeconds(20),
        RequestTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>A seeded simulated network with 1–4 ms delays, the one governance tests share.</summary>
    public static SimulatedNetwork Network(int seed) =>
        new(new SimulationOptions { Seed = seed, MinDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(4) }, TimeProvider.System);

    public static async Task<GovNode> StartAsync(SimulatedNetwork network, string peer, string? directory = null)
    {
        var node = new GovNode(network, peer, directory ?? Path.Combine(Path.GetTempPath(), "mero-govnode-" + Guid.NewGuid().ToString("N")));
        await node.StartAsync();
        return node;
    }

    public async Task StartAsync()
    {
        Store = MeroStore.Open(Directory);
        var transport = _network.AddPeer(Peer);
        _router = new TopicRouter(transport, NullLogger.Instance);
        var replication = new ReplicationNetwork();
        replication.Attach(_router);
        Contexts = new RecordingContexts();
        Outbox = new ReplicationOutbox();
        Service = new GovernanceService(Store, Contexts, replication, TimeProvider.System, NullLoggerFactory.Instance, Options, Outbox);
        Authority = new GovernanceContextAuthority(Service);
        await Service.StartAsync(CancellationToken.None);
    }

    /// <summary>A crash-free stop: the service, the router and the store close; the peer leaves the network.</summary>
    public async Task StopAsync()
    {
        await Service.DisposeAsync();
        _network.Disconnect(Peer);
        if (_router is not null)
        {
            await _router.DisposeAsync();
        }

        Store.Dispose();
    }

    public Task<T> Query<T>(GroupId ns, Func<GovernanceEngine, T> query) => Service.Actor.QueryAsync(ns, query);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class Eventually
{
    /// <summary>Polls until the condition holds; fails with <paramref name="what"/> after the timeout.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, int timeoutMs = 15_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(25);
        }

        Xunit.Assert.Fail($"timed out waiting until {what}");
    }
}
