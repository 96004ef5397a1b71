using System.Net.Sockets;
using Mero.Crypto;
using Mero.Network.Host;
using Mero.Network.Multiformats;
using Mero.Network.Node;
using Mero.Node.Replication;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mero.Node.Network;

/// <summary>
/// Runs the node's libp2p node for the node's lifetime: host (identify, ping), gossipsub with the
/// Calimero preset and Kademlia on <c>/calimero/kad/1.0.0</c>, all announced in identify from the
/// first connection. Listens on the swarm addresses, then dials the configured boot nodes (and
/// bootstraps the DHT from them) without blocking startup.
/// </summary>
public sealed partial class SwarmService(SwarmOptions options, ReplicationNetwork network, ILoggerFactory loggerFactory, ILogger<SwarmService> logger) : IHostedService, IAsyncDisposable
{
    private Libp2pNode? _node;
    private Libp2pReplicationTransport? _transport;
    private TopicRouter? _router;
    private Ed25519KeyPair? _identity;
    private CancellationTokenSource? _stopping;

    /// <summary>The running libp2p node; null before start or when the node has no swarm addresses.</summary>
    public Libp2pNode? Node => _node;

    /// <summary>The running host; null before start or when the node has no swarm addresses.</summary>
    public Libp2pHost? Host => _node?.Host;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var listen = options.Listen
            .Select(Multiaddr.Parse)
            .Where(a => Socket.OSSupportsIPv6 || !a.ToString().StartsWith("/ip6/", StringComparison.Ordinal))
            .ToList();
        if (listen.Count == 0)
        {
            LogSwarmDisabled(logger);
            network.Attach(null);
            return;
        }

        // Gossipsub signs every publish with it, so the node keeps the key until it stops.
        _identity = PeerIdentity.DecodeKeypair(options.IdentityKeypair);
        var hostOptions = new Libp2pHostOptions { ListenAddresses = listen, AgentVersion = "merod/" + typeof(SwarmService).Assembly.GetName().Version };
        var dhtBootNodes = options.BootstrapNodes
            .Select(b => Multiaddr.TryParse(b, out var a) ? a : null)
            .Where(a => a is not null && a.PeerId is not null && a.TryGetTcpEndPoint(out _))
            .Select(a => a!)
            .ToList();
        _node = await Libp2pNode.StartAsync(_identity, Libp2pNodeOptions.Calimero(hostOptions, dhtBootNodes), loggerFactory, ct: cancellationToken).ConfigureAwait(false);
        var host = _node.Host;
        foreach (var address in host.ListenAddresses)
        {
            LogListening(logger, address.WithPeerId(host.PeerId).ToString());
        }

        _transport = new Libp2pReplicationTransport(_node);
        _router = new TopicRouter(_transport, loggerFactory.CreateLogger<TopicRouter>());
        network.Attach(_router);
        _stopping = new CancellationTokenSource();
        foreach (var boot in options.BootstrapNodes)
        {
            _ = DialBootNodeAsync(host, boot, _stopping.Token);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (_stopping is { } stopping)
        {
            await stopping.CancelAsync().ConfigureAwait(false);
            stopping.Dispose();
            _stopping = null;
        }

        if (Interlocked.Exchange(ref _router, null) is { } router)
        {
            await router.DisposeAsync().ConfigureAwait(false);
        }

        if (Interlocked.Exchange(ref _transport, null) is { } transport)
        {
            await transport.DisposeAsync().ConfigureAwait(false);
        }

        if (Interlocked.Exchange(ref _node, null) is { } node)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }

        Interlocked.Exchange(ref _identity, null)?.Dispose();
    }

    private async Task DialBootNodeAsync(Libp2pHost host, string address, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.BootstrapDialTimeout);
            var connection = await host.DialAsync(Multiaddr.Parse(address), timeout.Token).ConfigureAwait(false);
            LogBootNodeConnected(logger, connection.RemotePeer.ToString());
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogBootNodeFailed(logger, address, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "swarm listening on {Address}")]
    private static partial void LogListening(ILogger logger, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "no [swarm] listen address: the node stays off the network")]
    private static partial void LogSwarmDisabled(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "connected to boot node {Peer}")]
    private static partial void LogBootNodeConnected(ILogger logger, string peer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not reach boot node {Address}: {Reason}")]
    private static partial void LogBootNodeFailed(ILogger logger, string address, string reason);
}
