using System.Net;
using System.Text;
using Mero.Crypto;
using Mero.Node;
using Mero.Node.Applications;
using Mero.Node.Configuration;
using Mero.Network.Host;
using Mero.Network.Node;
using Mero.Node.Contexts;
using Mero.Node.Network;
using Mero.Node.Replication;
using Mero.Node.Replication.Simulation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mero.Testing;

/// <summary>How the nodes of an <see cref="InProcessCluster"/> talk.</summary>
public enum ClusterTransport
{
    /// <summary>A <see cref="SimulatedNetwork"/>: seeded loss, delay and partitions, no sockets.</summary>
    Simulated,

    /// <summary>Real libp2p nodes (TCP, Noise, Yamux, gossipsub) on 127.0.0.1, all connected.</summary>
    Libp2p,
}

/// <summary>
/// N full nodes in one process (RocksDB in temp dirs, Wasmtime, the real context manager and
/// replication service) joined by a <see cref="SimulatedNetwork"/> with seeded loss, plus a shared
/// <see cref="StaticAuthority"/> in place of governance. Like Orleans' TestCluster: every test gets
/// a fresh cluster.
/// </summary>
public sealed class InProcessCluster : IAsyncDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mero-cluster-" + Guid.NewGuid().ToString("N"));
    private readonly List<ClusterNode?> _nodes = [];
    private readonly ReplicationOptions _replication;
    private int _generation;

    public InProcessCluster(int size, SimulationOptions? network = null, ReplicationOptions? replication = null, ClusterTransport transport = ClusterTransport.Simulated)
    {
        Transport = transport;
        Network = new SimulatedNetwork(network ?? new SimulationOptions(), TimeProvider.System);
        _replication = replication ?? new ReplicationOptions
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            FollowRetryInterval = TimeSpan.FromMilliseconds(100),
            RequestTimeout = TimeSpan.FromSeconds(10),
        };
        for (var i = 0; i < size; i++)
        {
            _nodes.Add(null);
        }
    }

    public SimulatedNetwork Network { get; }

    public ClusterTransport Transport { get; }

    public StaticAuthority Authority { get; } = new();

    /// <summary>The last log lines (Information and up) of every node.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Log { get; } = new();

    public ClusterNode this[int index] => _nodes[index] ?? throw new InvalidOperationException($"node {index} is stopped");

    public IEnumerable<ClusterNode> Running => _nodes.Where(n => n is not null)!;

    public async Task StartAsync()
    {
        for (var i = 0; i < _nodes.Count; i++)
        {
            await StartNodeAsync(i);
        }
    }

    public async Task StartNodeAsync(int index)
    {
        var home = Path.Combine(_root, "node" + index);
        Directory.CreateDirectory(home);
        Libp2pNode? libp2p = null;
        Ed25519KeyPair? identity = null;
        IReplicationTransport transport;
        string peer;
        if (Transport == ClusterTransport.Libp2p)
        {
            // Gossipsub signs every publish with it: the node owns it until it stops.
            identity = Ed25519KeyPair.Generate();
            libp2p = await Libp2pNode.StartAsync(identity, Libp2pNodeOptions.Calimero(new Libp2pHostOptions { PingInterval = null }, []));
            foreach (var other in Running.Where(n => n.Libp2p is not null))
            {
                await libp2p.Host.DialAsync(other.Libp2p!.Host.ListenAddresses[0].WithPeerId(other.Libp2p.PeerId), CancellationToken.None);
            }

            transport = new Libp2pReplicationTransport(libp2p);
            peer = transport.LocalPeer;
        }
        else
        {
            peer = $"node{index}-{_generation++}";
            transport = Network.AddPeer(peer);
        }

        var network = new ReplicationNetwork();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ListLoggerProvider("node" + index, Log));
        builder.Services.AddSingleton(network);
        builder.Services.AddMeroNode(new NodeOptions
        {
            HomeDirectory = home,
            DataPath = Path.Combine(home, "data"),
            BlobPath = Path.Combine(home, "blobs"),
            ServerEndpoints = [new IPEndPoint(IPAddress.Loopback, 0)],
            Replication = _replication,
        });
        builder.Services.AddSingleton(Authority.For(ClusterNode.KeyOf(ClusterNode.SeedOf(index))));
        var host = builder.Build();
        var router = new TopicRouter(transport, host.Services.GetRequiredService<ILoggerFactory>().CreateLogger<TopicRouter>());
        network.Attach(router);
        await host.StartAsync();
        _nodes[index] = new ClusterNode(index, peer, host, router, transport, libp2p, identity);
    }

    /// <summary>A crash-like stop: the node leaves the network, then its host shuts down.</summary>
    public async Task StopNodeAsync(int index)
    {
        var node = this[index];
        _nodes[index] = null;
        if (Transport == ClusterTransport.Simulated)
        {
            Network.Disconnect(node.Peer);
        }

        await node.DisposeAsync();
    }

    /// <summary>Installs kv-store everywhere, creates a context on node 0 and joins it from the others.</summary>
    public Task<(ApplicationId App, ContextId Context)> CreateKvContextAsync(IEnumerable<int>? joiners = null) =>
        CreateContextAsync("kv-store", joiners);

    /// <summary>Installs the app everywhere, creates a context on node 0 and joins it from the others.</summary>
    public async Task<(ApplicationId App, ContextId Context)> CreateContextAsync(string appName, IEnumerable<int>? joiners = null)
    {
        ApplicationId app = default;
        foreach (var node in Running)
        {
            app = await node.Applications.InstallFromPathAsync(RepoPaths.App(appName), null, null, null, CancellationToken.None);
        }

        var creator = this[0];
        Authority.Admit(creator.MemberKey);
        var created = await creator.Contexts.CreateAsync(app, null, null, "replicated", creator.MemberSeed, CancellationToken.None);
        foreach (var index in joiners ?? Enumerable.Range(1, _nodes.Count - 1))
        {
            await JoinAsync(index, app, created.ContextId);
        }

        return (app, created.ContextId);
    }

    public async Task JoinAsync(int index, ApplicationId app, ContextId context, WriteVerdict role = WriteVerdict.Allowed)
    {
        var node = this[index];
        Authority.Admit(node.MemberKey, role);
        await node.Contexts.JoinAsync(context, app, node.MemberSeed, CancellationToken.None);
    }

    /// <summary>Polls until every running node holds the same root and heads for the context.</summary>
    public async Task<bool> WaitConvergedAsync(ContextId context, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (IsConverged(context))
            {
                return true;
            }

            await Task.Delay(20);
        }

        return IsConverged(context);
    }

    public bool IsConverged(ContextId context)
    {
        var views = Running.Select(n => (Root: n.Contexts.Get(context)?.RootHash, Heads: string.Join(",", n.Contexts.Heads(context)))).ToList();
        return views.All(v => v.Root is not null && v == views[0]);
    }

    public string Describe(ContextId context) =>
        string.Join("; ", Running.Select(n => $"node{n.Index}: root {n.Contexts.Get(context)?.RootHash} heads [{string.Join(",", n.Contexts.Heads(context))}]"))
        + "\nlast log lines:\n" + string.Join("\n", Log.TakeLast(40));

    public async ValueTask DisposeAsync()
    {
        var running = Running.ToList();
        if (Transport == ClusterTransport.Simulated)
        {
            // Everyone leaves first, so no node asks one already shut down.
            foreach (var node in running)
            {
                Network.Disconnect(node.Peer);
            }
        }

        foreach (var node in running)
        {
            await node.DisposeAsync();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>One running node of an <see cref="InProcessCluster"/>.</summary>
public sealed class ClusterNode(int index, string peer, IHost host, TopicRouter router, IReplicationTransport transport, Libp2pNode? libp2p, Ed25519KeyPair? identity) : IAsyncDisposable
{
    /// <summary>The node's libp2p node when the cluster runs over libp2p.</summary>
    public Libp2pNode? Libp2p { get; } = libp2p;

    public int Index { get; } = index;

    public string Peer { get; } = peer;

    /// <summary>The node's network side, for tests that play a hostile peer by replacing a request handler.</summary>
    public IReplicationTransport Transport => transport;

    /// <summary>The node's member identity, derived from its index so a restarted node keeps it.</summary>
    public byte[] MemberSeed { get; } = SeedOf(index);

    public PublicKey MemberKey => KeyOf(MemberSeed);

    public static byte[] SeedOf(int index) => Hashing.Sha256(Encoding.UTF8.GetBytes("cluster-member-" + index)).ToArray();

    public ContextManager Contexts => host.Services.GetRequiredService<ContextManager>();

    public ApplicationManager Applications => host.Services.GetRequiredService<ApplicationManager>();

    public ReplicationService Replication => host.Services.GetRequiredService<ReplicationService>();

    public async Task<string> CallAsync(ContextId context, string method, string json)
    {
        var report = await Contexts.ExecuteMethodAsync(context, method, Encoding.UTF8.GetBytes(json), null, CancellationToken.None);
        return report.Outcome.Success
            ? Encoding.UTF8.GetString(report.Outcome.ReturnValue ?? [])
            : throw new InvalidOperationException($"{method} failed on node{Index}: {report.Outcome.Error}");
    }

    public static PublicKey KeyOf(byte[] seed)
    {
        using var key = Ed25519KeyPair.FromSeed(seed);
        return key.PublicKey;
    }

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        await router.DisposeAsync();

        // The network goes before the host: requests from peers still running must stop reaching
        // services whose store is about to close.
        if (transport is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }

        if (Libp2p is not null)
        {
            await Libp2p.DisposeAsync();
        }

        host.Dispose();
        identity?.Dispose();
    }
}
