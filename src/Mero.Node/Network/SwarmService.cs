using System.Net.Sockets;
using Mero.Crypto;
using Mero.Network.Host;
using Mero.Network.Multiformats;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mero.Node.Network;

/// <summary>
/// Runs the node's libp2p host for the node's lifetime: listens on the swarm addresses (identify and
/// ping answer from the start), then dials the configured boot nodes without blocking startup.
/// </summary>
public sealed partial class SwarmService(SwarmOptions options, ILoggerFactory loggerFactory, ILogger<SwarmService> logger) : IHostedService, IAsyncDisposable
{
    private Libp2pHost? _host;
    private CancellationTokenSource? _stopping;

    /// <summary>The running host; null before start or when the node has no swarm addresses.</summary>
    public Libp2pHost? Host => _host;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var listen = options.Listen
            .Select(Multiaddr.Parse)
            .Where(a => Socket.OSSupportsIPv6 || !a.ToString().StartsWith("/ip6/", StringComparison.Ordinal))
            .ToList();
        if (listen.Count == 0)
        {
            LogSwarmDisabled(logger);
            return;
        }

        using var identity = PeerIdentity.DecodeKeypair(options.IdentityKeypair);
        var hostOptions = new Libp2pHostOptions { ListenAddresses = listen, AgentVersion = "merod/" + typeof(SwarmService).Assembly.GetName().Version };
        hostOptions.Validate();
        _host = new Libp2pHost(identity, hostOptions, loggerFactory);
        await _host.StartAsync(cancellationToken).ConfigureAwait(false);
        foreach (var address in _host.ListenAddresses)
        {
            LogListening(logger, address.WithPeerId(_host.PeerId).ToString());
        }

        _stopping = new CancellationTokenSource();
        foreach (var boot in options.BootstrapNodes)
        {
            _ = DialBootNodeAsync(_host, boot, _stopping.Token);
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

        if (Interlocked.Exchange(ref _host, null) is { } host)
        {
            await host.DisposeAsync().ConfigureAwait(false);
        }
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
