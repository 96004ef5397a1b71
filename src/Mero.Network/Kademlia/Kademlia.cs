using System.Threading.Channels;
using Mero.Network.Framing;
using Mero.Network.Host;
using Mero.Network.Multiformats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mero.Network.Kademlia;

/// <summary>
/// A Kademlia DHT node (server mode) on a <see cref="Libp2pHost"/>: k-bucket routing table, FIND_NODE,
/// ADD_PROVIDER, GET_PROVIDERS and PING, iterative lookups, bootstrap from boot nodes. The routing
/// table and provider store belong to one loop fed by a bounded mailbox; lookups run outside it and
/// read or update the table through that mailbox.
/// </summary>
public sealed partial class Kademlia : IAsyncDisposable
{
    private readonly Libp2pHost _host;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<Command> _mailbox = Channel.CreateBounded<Command>(new BoundedChannelOptions(1024) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _stopping = new();
    private readonly RoutingTable _table;
    private readonly Dictionary<string, Dictionary<PeerId, (KadPeer Peer, DateTimeOffset Expires)>> _providers = new(StringComparer.Ordinal);
    private int _inbound;
    private Task? _loop;

    public Kademlia(Libp2pHost host, KademliaOptions options, TimeProvider? time = null, ILoggerFactory? loggerFactory = null)
    {
        options.Validate();
        _host = host;
        Options = options;
        _time = time ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<Kademlia>();
        _table = new RoutingTable(host.PeerId, options.K);
    }

    public KademliaOptions Options { get; }

    /// <summary>Serves the protocol, follows identify results into the table, and bootstraps in the background.</summary>
    public Task StartAsync(CancellationToken ct)
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("kademlia already started");
        }

        _host.SetHandler(Options.Protocol, ServeAsync);
        var events = _host.SubscribeEvents();
        _loop = Task.Run(RunLoopAsync, CancellationToken.None);
        _ = Task.Run(() => PumpHostEventsAsync(events), CancellationToken.None);
        _ = Task.Run(RefreshLoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Dials the boot nodes, adds them to the table and looks ourselves up to fill it.</summary>
    public async Task<int> BootstrapAsync(CancellationToken ct)
    {
        foreach (var boot in Options.BootNodes)
        {
            try
            {
                var peer = new KadPeer(boot.PeerId!, [boot.WithoutPeerId()]);
                await ConnectAsync(peer, ct).ConfigureAwait(false);
                await AddPeerAsync(peer, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or TimeoutException or System.Net.Sockets.SocketException or InvalidDataException)
            {
                LogBootFailed(_logger, boot.ToString(), ex.Message);
            }
        }

        await FindClosestPeersAsync(_host.PeerId.ToBytes(), ct).ConfigureAwait(false);
        return await QueryAsync(() => _table.Count, ct).ConfigureAwait(false);
    }

    public Task<bool> AddPeerAsync(KadPeer peer, CancellationToken ct) => QueryAsync(() => _table.AddOrUpdate(peer, _time.GetUtcNow()), ct);

    public Task<IReadOnlyList<KadPeer>> RoutingTablePeersAsync(CancellationToken ct) => QueryAsync<IReadOnlyList<KadPeer>>(() => [.. _table.Peers], ct);

    /// <summary>The K peers closest to <paramref name="key"/> that answered an iterative FIND_NODE lookup.</summary>
    public async Task<IReadOnlyList<KadPeer>> FindClosestPeersAsync(byte[] key, CancellationToken ct) =>
        await LookupAsync(key, KadMessageType.FindNode, _ => false, ct).ConfigureAwait(false);

    /// <summary>Stores ourselves as a provider of the key and tells the K closest peers; returns how many accepted the message.</summary>
    public async Task<int> ProvideAsync(byte[] key, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfZero(key.Length);
        var self = new KadPeer(_host.PeerId, _host.AnnouncedAddresses());
        await QueryAsync(() => StoreProvider(key, self), ct).ConfigureAwait(false);
        var closest = await FindClosestPeersAsync(key, ct).ConfigureAwait(false);
        var message = new KadMessage { Type = KadMessageType.AddProvider, Key = key, ProviderPeers = [self] };
        var told = await Task.WhenAll(closest.Select(async peer =>
        {
            try
            {
                await RequestAsync(peer, message, expectResponse: false, ct).ConfigureAwait(false);
                return 1;
            }
            catch (Exception ex) when (IsPeerFailure(ex, ct))
            {
                return 0;
            }
        })).ConfigureAwait(false);
        return told.Sum();
    }

    /// <summary>Providers of the key: local records, then an iterative GET_PROVIDERS lookup until <paramref name="max"/> are found.</summary>
    public async Task<IReadOnlyList<KadPeer>> FindProvidersAsync(byte[] key, int max, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfZero(key.Length);
        var found = new Dictionary<PeerId, KadPeer>();
        foreach (var local in await QueryAsync(() => GetProviders(key), ct).ConfigureAwait(false))
        {
            found[local.Id] = local;
        }

        if (found.Count < max)
        {
            await LookupAsync(key, KadMessageType.GetProviders, response =>
            {
                lock (found)
                {
                    foreach (var provider in response.ProviderPeers)
                    {
                        found.TryAdd(provider.Id, provider);
                    }

                    return found.Count >= max;
                }
            }, ct).ConfigureAwait(false);
        }

        return [.. found.Values.Take(max)];
    }

    private async Task<T> QueryAsync<T>(Func<T> read, CancellationToken ct)
    {
        var command = new Command(() => read()!);
        await _mailbox.Writer.WriteAsync(command, ct).ConfigureAwait(false);
        return (T)(await command.Completion.Task.WaitAsync(ct).ConfigureAwait(false))!;
    }

    private async Task RunLoopAsync()
    {
        await foreach (var command in _mailbox.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                command.Completion.TrySetResult(command.Run());
            }
            catch (Exception ex)
            {
                command.Completion.TrySetException(ex);
            }
        }
    }

    private async Task PumpHostEventsAsync(ChannelReader<HostEvent> events)
    {
        try
        {
            await foreach (var e in events.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                if (e is PeerIdentified { Info: var info } && info.Protocols.Contains(Options.Protocol))
                {
                    // A peer that serves our DHT protocol is a routing candidate.
                    var peer = new KadPeer(e.Peer, [.. info.ListenAddresses.Where(a => a.TryGetTcpEndPoint(out _))]);
                    await QueryAsync(() => _table.AddOrUpdate(peer, _time.GetUtcNow()), _stopping.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
        }
    }

    private async Task RefreshLoopAsync()
    {
        var ct = _stopping.Token;
        try
        {
            if (Options.BootNodes.Count > 0)
            {
                await BootstrapAsync(ct).ConfigureAwait(false);
            }

            while (Options.RefreshInterval is { } interval)
            {
                await Task.Delay(interval, _time, ct).ConfigureAwait(false);
                await BootstrapAsync(ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
        }
        catch (Exception ex)
        {
            LogRefreshFailed(_logger, ex.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        _host.RemoveHandler(Options.Protocol);
        await _stopping.CancelAsync().ConfigureAwait(false);
        _mailbox.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "kademlia: boot node {Address} unreachable: {Reason}")]
    private static partial void LogBootFailed(ILogger logger, string address, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "kademlia: table refresh failed: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string reason);

    private sealed record Command(Func<object> Run)
    {
        public TaskCompletionSource<object> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
