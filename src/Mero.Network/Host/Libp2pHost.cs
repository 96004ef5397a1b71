using System.Collections.Immutable;
using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading.Channels;
using Mero.Crypto;
using Mero.Network.Framing;
using Mero.Network.Multiformats;
using Mero.Network.Noise;
using Mero.Network.Protocols;
using Mero.Network.Yamux;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mero.Network.Host;

/// <summary>Something that happened to the host's connections.</summary>
public abstract record HostEvent(PeerId Peer);

public sealed record PeerConnected(PeerId Peer, Libp2pConnection Connection) : HostEvent(Peer);

public sealed record PeerDisconnected(PeerId Peer, Libp2pConnection Connection, string Reason) : HostEvent(Peer);

public sealed record PeerIdentified(PeerId Peer, IdentifyInfo Info) : HostEvent(Peer);

/// <summary>
/// A libp2p host over TCP: listens and dials, secures every connection with Noise, multiplexes it
/// with Yamux, negotiates each stream's protocol with multistream-select, and serves identify and
/// ping. Connections, addresses and identify results are owned by one loop fed by one mailbox;
/// everything else reads the immutable snapshots it publishes.
/// </summary>
public sealed partial class Libp2pHost : IAsyncDisposable
{
    public const string IdentifyProtocol = "/ipfs/id/1.0.0";
    public const string IdentifyPushProtocol = "/ipfs/id/push/1.0.0";
    public const string PingProtocol = "/ipfs/ping/1.0.0";
    public const int PingLength = 32;

    private static readonly string[] SecurityProtocols = [NoiseHandshake.ProtocolId];
    private static readonly string[] MuxerProtocols = [YamuxSession.ProtocolId];

    private readonly Ed25519KeyPair _identity;
    private readonly NoiseIdentity _noise;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Channel<HostCommand> _mailbox = Channel.CreateBounded<HostCommand>(new BoundedChannelOptions(4096) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly List<TcpListener> _listeners = [];

    // Published by the loop (or, for handlers and subscribers, by atomic swap); read lock-free.
    private ImmutableDictionary<string, Libp2pStreamHandler> _handlers = ImmutableDictionary<string, Libp2pStreamHandler>.Empty.WithComparers(StringComparer.Ordinal);
    private ImmutableArray<Channel<HostEvent>> _subscribers = [];
    private ImmutableArray<Libp2pConnection> _connections = [];
    private ImmutableDictionary<PeerId, ImmutableArray<Multiaddr>> _addressBook = ImmutableDictionary<PeerId, ImmutableArray<Multiaddr>>.Empty;
    private ImmutableDictionary<PeerId, IdentifyInfo> _peerInfo = ImmutableDictionary<PeerId, IdentifyInfo>.Empty;
    private ImmutableArray<Multiaddr> _listenAddresses = [];

    private int _pendingIncoming;
    private int _pendingOutgoing;
    private Task? _loop;
    private int _disposed;

    public Libp2pHost(Ed25519KeyPair identity, Libp2pHostOptions options, ILoggerFactory? loggerFactory = null)
    {
        options.Validate();
        _identity = identity;
        Options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<Libp2pHost>();
        _noise = new NoiseIdentity(identity);
        PeerId = _noise.PeerId;
        SetHandler(IdentifyProtocol, HandleIdentifyAsync);
        SetHandler(IdentifyPushProtocol, HandleIdentifyPushAsync);
        SetHandler(PingProtocol, HandlePingAsync);
    }

    public Libp2pHostOptions Options { get; }

    public PeerId PeerId { get; }

    /// <summary>The bound listen addresses (real ports), without /p2p.</summary>
    public IReadOnlyList<Multiaddr> ListenAddresses => _listenAddresses;

    /// <summary>Protocols with a handler, as announced in identify.</summary>
    public IReadOnlyList<string> Protocols => [.. Volatile.Read(ref _handlers).Keys.Order(StringComparer.Ordinal)];

    /// <summary>Open connections (a snapshot).</summary>
    public IReadOnlyList<Libp2pConnection> Connections => _connections;

    public IReadOnlyList<Libp2pConnection> ConnectionsTo(PeerId peer) => [.. Connections.Where(c => c.RemotePeer == peer && !c.IsClosed)];

    /// <summary>The latest identify result for a peer, if any.</summary>
    public IdentifyInfo? GetPeerInfo(PeerId peer) => Volatile.Read(ref _peerInfo).GetValueOrDefault(peer);

    public IReadOnlyList<Multiaddr> GetAddresses(PeerId peer) => Volatile.Read(ref _addressBook).GetValueOrDefault(peer, []);

    public void SetHandler(string protocol, Libp2pStreamHandler handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(protocol);
        if (!protocol.StartsWith('/') || protocol.Length >= MultistreamSelect.MaxMessageLength || protocol.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{protocol}' is not a protocol id (starts with '/', one line, < 1 KiB)", nameof(protocol));
        }

        ImmutableInterlocked.Update(ref _handlers, static (map, entry) => map.SetItem(entry.protocol, entry.handler), (protocol, handler));
    }

    public void RemoveHandler(string protocol) => ImmutableInterlocked.Update(ref _handlers, static (map, p) => map.Remove(p), protocol);

    /// <summary>A reader of connection events from now on; the oldest are dropped if it falls behind.</summary>
    public ChannelReader<HostEvent> SubscribeEvents(int capacity = 1024)
    {
        var channel = Channel.CreateBounded<HostEvent>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = true });
        ImmutableInterlocked.Update(ref _subscribers, static (list, c) => list.Add(c), channel);
        return channel.Reader;
    }

    public void AddAddresses(PeerId peer, IEnumerable<Multiaddr> addresses) => Post(new AddAddressesCommand(peer, [.. addresses.Select(a => a.WithoutPeerId())]));

    public Task StartAsync(CancellationToken ct)
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("host already started");
        }

        _loop = Task.Run(RunLoopAsync, CancellationToken.None);
        var bound = new List<Multiaddr>();
        foreach (var address in Options.ListenAddresses)
        {
            ct.ThrowIfCancellationRequested();
            address.TryGetTcpEndPoint(out var endPoint);
            var listener = new TcpListener(endPoint!);
            if (endPoint!.AddressFamily == AddressFamily.InterNetworkV6)
            {
                listener.Server.DualMode = false;
            }

            listener.Start(Options.MaxPendingIncoming);
            _listeners.Add(listener);
            var local = Multiaddr.FromEndPoint((IPEndPoint)listener.LocalEndpoint);
            bound.Add(local);
            LogListening(_logger, local.WithPeerId(PeerId).ToString());
            _ = Task.Run(() => AcceptLoopAsync(listener), CancellationToken.None);
        }

        _listenAddresses = [.. bound];
        _ = Task.Run(RunTimerAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    // ---------------------------------------------------------------------------------------------
    // Dialing and streams
    // ---------------------------------------------------------------------------------------------

    /// <summary>Dials a TCP multiaddr; a trailing /p2p pins the peer the handshake must authenticate.</summary>
    public async Task<Libp2pConnection> DialAsync(Multiaddr address, CancellationToken ct)
    {
        ThrowIfStopped();
        if (!address.TryGetTcpEndPoint(out var endPoint))
        {
            throw new ArgumentException($"cannot dial {address}: only /ip4|ip6/ADDR/tcp/PORT[/p2p/ID] is supported", nameof(address));
        }

        var expected = address.PeerId;
        if (expected == PeerId)
        {
            throw new ArgumentException("refusing to dial ourselves", nameof(address));
        }

        if (Interlocked.Increment(ref _pendingOutgoing) > Options.MaxPendingOutgoing)
        {
            Interlocked.Decrement(ref _pendingOutgoing);
            throw new IOException($"too many dials in progress (limit {Options.MaxPendingOutgoing})");
        }

        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, _stopping.Token);
            timeout.CancelAfter(Options.DialTimeout);
            try
            {
                await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"dialing {address} timed out after {Options.DialTimeout.TotalSeconds:0.###} s");
            }

            var connection = await UpgradeAsync(socket, ConnectionDirection.Outbound, expected, ct).ConfigureAwait(false);
            socket = null;
            return connection;
        }
        finally
        {
            socket?.Dispose();
            Interlocked.Decrement(ref _pendingOutgoing);
        }
    }

    /// <summary>A live connection to the peer, dialing a known address if there is none.</summary>
    public async Task<Libp2pConnection> ConnectAsync(PeerId peer, CancellationToken ct)
    {
        if (ConnectionsTo(peer) is [var existing, ..])
        {
            return existing;
        }

        var addresses = GetAddresses(peer);
        if (addresses.Count == 0)
        {
            throw new IOException($"not connected to {peer} and no address known for it");
        }

        Exception? last = null;
        foreach (var address in addresses)
        {
            try
            {
                return await DialAsync(address.WithPeerId(peer), ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or SocketException or TimeoutException)
            {
                last = ex;
            }
        }

        throw new IOException($"could not reach {peer} at any of {addresses.Count} addresses: {last?.Message}", last);
    }

    public Task<Libp2pStream> OpenStreamAsync(PeerId peer, string protocol, CancellationToken ct) => OpenStreamAsync(peer, [protocol], ct);

    public async Task<Libp2pStream> OpenStreamAsync(PeerId peer, IReadOnlyList<string> protocols, CancellationToken ct)
    {
        var connection = await ConnectAsync(peer, ct).ConfigureAwait(false);
        return await connection.OpenStreamAsync(protocols, ct).ConfigureAwait(false);
    }

    /// <summary>Round-trip time of one <c>/ipfs/ping/1.0.0</c> exchange.</summary>
    public async Task<TimeSpan> PingAsync(PeerId peer, CancellationToken ct) =>
        await PingAsync(await ConnectAsync(peer, ct).ConfigureAwait(false), ct).ConfigureAwait(false);

    public async Task<TimeSpan> PingAsync(Libp2pConnection connection, CancellationToken ct)
    {
        await using var stream = await connection.OpenStreamAsync([PingProtocol], countsAsActivity: false, ct).ConfigureAwait(false);
        var payload = RandomNumberGenerator.GetBytes(PingLength);
        var echo = new byte[PingLength];
        var started = Stopwatch.GetTimestamp();
        await stream.WriteAsync(payload, ct).ConfigureAwait(false);
        await stream.ReadExactlyAsync(echo, ct).ConfigureAwait(false);
        var rtt = Stopwatch.GetElapsedTime(started);
        if (!echo.AsSpan().SequenceEqual(payload))
        {
            throw new InvalidDataException($"{connection.RemotePeer} answered a ping with different bytes");
        }

        await stream.CloseWriteAsync(ct).ConfigureAwait(false);
        return rtt;
    }

    /// <summary>Asks the peer for its identify record now (also stored, as the automatic one is).</summary>
    public async Task<IdentifyInfo> IdentifyAsync(PeerId peer, CancellationToken ct) =>
        await IdentifyAsync(await ConnectAsync(peer, ct).ConfigureAwait(false), ct).ConfigureAwait(false);

    public async Task<IdentifyInfo> IdentifyAsync(Libp2pConnection connection, CancellationToken ct)
    {
        await using var stream = await connection.OpenStreamAsync([IdentifyProtocol], ct).ConfigureAwait(false);
        var bytes = await LengthPrefixed.ReadAsync(stream, Options.MaxIdentifyMessageSize, ct).ConfigureAwait(false)
            ?? throw new InvalidDataException($"{connection.RemotePeer} closed the identify stream without an answer");
        var info = ToIdentifyInfo(connection, IdentifyMessage.FromProtobuf(bytes), previous: null);
        Post(new IdentifiedCommand(connection, info));
        return info;
    }

    public async Task DisconnectAsync(PeerId peer, CancellationToken ct)
    {
        foreach (var connection in ConnectionsTo(peer))
        {
            await connection.CloseAsync("disconnected locally", ct).ConfigureAwait(false);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Connection setup
    // ---------------------------------------------------------------------------------------------

    private async Task AcceptLoopAsync(TcpListener listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                LogAcceptFailed(_logger, ex.Message);
                continue;
            }

            socket.NoDelay = true;
            var remote = socket.RemoteEndPoint?.ToString() ?? "?";
            if (Interlocked.Increment(ref _pendingIncoming) > Options.MaxPendingIncoming)
            {
                Interlocked.Decrement(ref _pendingIncoming);
                LogInboundRejected(_logger, remote, $"{Options.MaxPendingIncoming} handshakes already in progress");
                socket.Dispose();
                continue;
            }

            if (Connections.Count >= Options.MaxConnections)
            {
                Interlocked.Decrement(ref _pendingIncoming);
                LogInboundRejected(_logger, remote, $"connection limit {Options.MaxConnections} reached");
                socket.Dispose();
                continue;
            }

            _ = Task.Run(async () =>
            {
                try
                {
                    await UpgradeAsync(socket, ConnectionDirection.Inbound, null, _stopping.Token).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    LogInboundRejected(_logger, remote, "handshake failed: " + ex.Message);
                    socket.Dispose();
                }
                finally
                {
                    Interlocked.Decrement(ref _pendingIncoming);
                }
            }, CancellationToken.None);
        }
    }

    /// <summary>multistream(/noise) → Noise XX → multistream(/yamux/1.0.0) → Yamux, then registration.</summary>
    private async Task<Libp2pConnection> UpgradeAsync(Socket socket, ConnectionDirection direction, PeerId? expected, CancellationToken ct)
    {
        var transport = new NetworkStream(socket, ownsSocket: true);
        var remoteAddress = Multiaddr.FromEndPoint((IPEndPoint)socket.RemoteEndPoint!);
        var localAddress = Multiaddr.FromEndPoint((IPEndPoint)socket.LocalEndPoint!);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, _stopping.Token);
        timeout.CancelAfter(Options.HandshakeTimeout);
        NoiseSecureStream? secure = null;
        try
        {
            if (direction == ConnectionDirection.Outbound)
            {
                await MultistreamSelect.SelectAsync(transport, SecurityProtocols, timeout.Token).ConfigureAwait(false);
                secure = await NoiseHandshake.InitiateAsync(transport, _noise, expected, timeout.Token).ConfigureAwait(false);
                await MultistreamSelect.SelectAsync(secure, MuxerProtocols, timeout.Token).ConfigureAwait(false);
            }
            else
            {
                await MultistreamSelect.ListenAsync(transport, p => p == NoiseHandshake.ProtocolId, timeout.Token).ConfigureAwait(false);
                secure = await NoiseHandshake.RespondAsync(transport, _noise, timeout.Token).ConfigureAwait(false);
                await MultistreamSelect.ListenAsync(secure, p => p == YamuxSession.ProtocolId, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            await DisposeQuietlyAsync(secure ?? (Stream)transport).ConfigureAwait(false);
            throw new TimeoutException($"handshake with {remoteAddress} did not finish within {Options.HandshakeTimeout.TotalSeconds:0.###} s");
        }
        catch
        {
            await DisposeQuietlyAsync(secure ?? (Stream)transport).ConfigureAwait(false);
            throw;
        }

        var peer = secure.RemotePeer;
        var label = $"{peer.ToString()[^8..]}@{remoteAddress}";
        var session = new YamuxSession(secure, direction == ConnectionDirection.Outbound, Options.Yamux, _loggerFactory.CreateLogger<YamuxSession>(), label);
        var connection = new Libp2pConnection(this, session, peer, remoteAddress, localAddress, direction);
        var register = new RegisterCommand(connection);
        await PostAsync(register, ct).ConfigureAwait(false);
        if (await register.Completion.Task.ConfigureAwait(false) is { } refusal)
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"connection to {peer} refused: {refusal}");
        }

        session.Start();
        LogConnected(_logger, peer.ToString(), remoteAddress.ToString(), direction);
        _ = Task.Run(() => ServeConnectionAsync(connection), CancellationToken.None);
        return connection;
    }

    private async Task ServeConnectionAsync(Libp2pConnection connection)
    {
        if (Options.IdentifyOnConnect)
        {
            _ = Task.Run(() => IdentifyOnConnectAsync(connection), CancellationToken.None);
        }

        if (Options.PingInterval is { } interval)
        {
            _ = Task.Run(() => KeepAliveAsync(connection, interval), CancellationToken.None);
        }

        try
        {
            await foreach (var stream in connection.Session.InboundStreams.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                _ = Task.Run(() => ServeStreamAsync(connection, stream), CancellationToken.None);
            }
        }
        catch (OperationCanceledException)
        {
        }

        var reason = await connection.Closed.ConfigureAwait(false);
        Post(new UnregisterCommand(connection, reason));
    }

    private async Task ServeStreamAsync(Libp2pConnection connection, YamuxStream stream)
    {
        string protocol;
        Libp2pStreamHandler? handler = null;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token))
        {
            timeout.CancelAfter(Options.NegotiationTimeout);
            try
            {
                protocol = await MultistreamSelect.ListenAsync(stream, p => Volatile.Read(ref _handlers).TryGetValue(p, out handler), timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                LogNegotiationFailed(_logger, connection.RemotePeer.ToString(), stream.Id, ex is OperationCanceledException ? "timed out" : ex.Message);
                stream.Reset();
                return;
            }
        }

        var libp2pStream = new Libp2pStream(stream, connection, protocol);
        try
        {
            await handler!(libp2pStream, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidDataException)
        {
            LogHandlerEnded(_logger, protocol, connection.RemotePeer.ToString(), ex.Message);
            libp2pStream.Reset();
        }
        catch (Exception ex)
        {
            LogHandlerFailed(_logger, protocol, connection.RemotePeer.ToString(), ex);
            libp2pStream.Reset();
        }
        finally
        {
            await libp2pStream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task IdentifyOnConnectAsync(Libp2pConnection connection)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            timeout.CancelAfter(Options.HandshakeTimeout);
            await IdentifyAsync(connection, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogIdentifyFailed(_logger, connection.RemotePeer.ToString(), ex.Message);
        }
    }

    private async Task KeepAliveAsync(Libp2pConnection connection, TimeSpan interval)
    {
        var failures = 0;
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false) && !connection.IsClosed)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                timeout.CancelAfter(Options.PingTimeout);
                try
                {
                    await PingAsync(connection, timeout.Token).ConfigureAwait(false);
                    failures = 0;
                }
                catch (ProtocolNegotiationException) when (!connection.IsClosed && !timeout.IsCancellationRequested)
                {
                    return; // the peer does not speak ping: nothing to keep alive with
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidDataException or TimeoutException)
                {
                    if (connection.IsClosed || _stopping.IsCancellationRequested)
                    {
                        return;
                    }

                    failures++;
                    LogPingFailed(_logger, connection.RemotePeer.ToString(), failures, ex.Message);
                    if (failures >= Options.MaxPingFailures)
                    {
                        await connection.CloseAsync($"{failures} consecutive ping failures", CancellationToken.None).ConfigureAwait(false);
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            LogPingFailed(_logger, connection.RemotePeer.ToString(), failures, "keep-alive stopped: " + ex.Message);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // identify and ping handlers
    // ---------------------------------------------------------------------------------------------

    private async Task HandleIdentifyAsync(Libp2pStream stream, CancellationToken ct)
    {
        var message = BuildIdentify(stream.Connection);
        await LengthPrefixed.WriteAsync(stream, message.ToProtobuf(), ct).ConfigureAwait(false);
        await stream.CloseWriteAsync(ct).ConfigureAwait(false);
    }

    private async Task HandleIdentifyPushAsync(Libp2pStream stream, CancellationToken ct)
    {
        var bytes = await LengthPrefixed.ReadAsync(stream, Options.MaxIdentifyMessageSize, ct).ConfigureAwait(false);
        if (bytes is not null)
        {
            var previous = stream.Connection.Identify ?? GetPeerInfo(stream.RemotePeer);
            Post(new IdentifiedCommand(stream.Connection, ToIdentifyInfo(stream.Connection, IdentifyMessage.FromProtobuf(bytes), previous)));
        }
    }

    private static async Task HandlePingAsync(Libp2pStream stream, CancellationToken ct)
    {
        var buffer = new byte[PingLength];
        while (true)
        {
            var n = await stream.ReadAtLeastAsync(buffer, PingLength, throwOnEndOfStream: false, ct).ConfigureAwait(false);
            if (n < PingLength)
            {
                break;
            }

            await stream.WriteAsync(buffer, ct).ConfigureAwait(false);
        }

        await stream.CloseWriteAsync(ct).ConfigureAwait(false);
    }

    private IdentifyMessage BuildIdentify(Libp2pConnection connection) => new()
    {
        ProtocolVersion = Options.ProtocolVersion,
        AgentVersion = Options.AgentVersion,
        PublicKey = Libp2pPublicKey.FromEd25519(_identity.PublicKey).ToProtobuf(),
        ListenAddrs = [.. AnnouncedAddresses().Select(a => a.ToBytes())],
        ObservedAddr = connection.RemoteAddress.ToBytes(),
        Protocols = Protocols,
    };

    /// <summary>Announced addresses: configured ones, else the bound ones with wildcards expanded to interface addresses.</summary>
    public IReadOnlyList<Multiaddr> AnnouncedAddresses()
    {
        if (Options.AnnounceAddresses is { } announce)
        {
            return announce;
        }

        var result = new List<Multiaddr>();
        foreach (var address in _listenAddresses)
        {
            if (!address.TryGetTcpEndPoint(out var endPoint) || !(endPoint.Address.Equals(IPAddress.Any) || endPoint.Address.Equals(IPAddress.IPv6Any)))
            {
                result.Add(address);
                continue;
            }

            foreach (var ip in NetworkInterface.GetAllNetworkInterfaces()
                .Where(n => n.OperationalStatus == OperationalStatus.Up)
                .SelectMany(n => n.GetIPProperties().UnicastAddresses)
                .Select(u => u.Address)
                .Where(a => a.AddressFamily == endPoint.AddressFamily && !a.IsIPv6LinkLocal))
            {
                result.Add(Multiaddr.FromEndPoint(new IPEndPoint(ip, endPoint.Port)));
            }
        }

        return result;
    }

    private IdentifyInfo ToIdentifyInfo(Libp2pConnection connection, IdentifyMessage message, IdentifyInfo? previous)
    {
        if (message.PublicKey is { } keyBytes)
        {
            Libp2pPublicKey key;
            try
            {
                key = Libp2pPublicKey.FromProtobuf(keyBytes);
            }
            catch (FormatException ex)
            {
                throw new InvalidDataException($"{connection.RemotePeer} sent an unreadable identify public key: {ex.Message}");
            }

            if (!connection.RemotePeer.Matches(key))
            {
                throw new InvalidDataException($"{connection.RemotePeer} sent an identify public key of another peer");
            }
        }

        IReadOnlyList<Multiaddr> listen = message.ListenAddrs.Count > 0 || previous is null
            ? [.. message.ListenAddrs.Select(b => Multiaddr.TryFromBytes(b, out var a) ? a : null).OfType<Multiaddr>()]
            : previous.ListenAddresses;
        return new IdentifyInfo
        {
            PeerId = connection.RemotePeer,
            ProtocolVersion = message.ProtocolVersion ?? previous?.ProtocolVersion,
            AgentVersion = message.AgentVersion ?? previous?.AgentVersion,
            Protocols = message.Protocols.Count > 0 || previous is null ? message.Protocols : previous.Protocols,
            ListenAddresses = listen,
            ObservedAddress = message.ObservedAddr is { } observed && Multiaddr.TryFromBytes(observed, out var o) ? o : previous?.ObservedAddress,
        };
    }

    // ---------------------------------------------------------------------------------------------
    // The loop
    // ---------------------------------------------------------------------------------------------

    private async Task RunLoopAsync()
    {
        await foreach (var command in _mailbox.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            try
            {
                Handle(command);
            }
            catch (Exception ex)
            {
                LogLoopError(_logger, command.GetType().Name, ex);
            }
        }
    }

    private void Handle(HostCommand command)
    {
        switch (command)
        {
            case RegisterCommand register:
                register.Completion.TrySetResult(Register(register.Connection));
                break;
            case UnregisterCommand unregister:
                if (_connections.Contains(unregister.Connection))
                {
                    _connections = _connections.Remove(unregister.Connection);
                    LogDisconnected(_logger, unregister.Connection.RemotePeer.ToString(), unregister.Connection.RemoteAddress.ToString(), unregister.Reason);
                    Publish(new PeerDisconnected(unregister.Connection.RemotePeer, unregister.Connection, unregister.Reason));
                }

                break;
            case AddAddressesCommand add:
                AddToAddressBook(add.Peer, add.Addresses);
                break;
            case IdentifiedCommand identified:
                identified.Connection.Identify = identified.Info;
                _peerInfo = _peerInfo.SetItem(identified.Info.PeerId, identified.Info);
                AddToAddressBook(identified.Info.PeerId, identified.Info.ListenAddresses);
                Publish(new PeerIdentified(identified.Info.PeerId, identified.Info));
                break;
            case TickCommand:
                foreach (var connection in _connections)
                {
                    var idle = connection.Session.IdleFor;
                    if (!connection.IsClosed && idle > Options.IdleTimeout)
                    {
                        _ = connection.CloseAsync($"idle for {idle.TotalSeconds:0} s", CancellationToken.None);
                    }
                }

                break;
        }
    }

    private string? Register(Libp2pConnection connection)
    {
        if (_stopping.IsCancellationRequested)
        {
            return "host is stopping";
        }

        if (_connections.Length >= Options.MaxConnections)
        {
            return $"connection limit {Options.MaxConnections} reached";
        }

        var toPeer = _connections.Count(c => c.RemotePeer == connection.RemotePeer);
        if (toPeer >= Options.MaxConnectionsPerPeer)
        {
            return $"{toPeer} connections to this peer already (limit {Options.MaxConnectionsPerPeer})";
        }

        _connections = _connections.Add(connection);
        if (connection.Direction == ConnectionDirection.Outbound)
        {
            AddToAddressBook(connection.RemotePeer, [connection.RemoteAddress]);
        }

        Publish(new PeerConnected(connection.RemotePeer, connection));
        return null;
    }

    private void AddToAddressBook(PeerId peer, IEnumerable<Multiaddr> addresses)
    {
        var known = _addressBook.GetValueOrDefault(peer, []);
        var merged = known.Union(addresses.Where(a => a.TryGetTcpEndPoint(out _)).Select(a => a.WithoutPeerId())).Take(16).ToImmutableArray();
        if (merged.Length != known.Length)
        {
            _addressBook = _addressBook.SetItem(peer, merged);
        }
    }

    private void Publish(HostEvent @event)
    {
        foreach (var subscriber in _subscribers)
        {
            subscriber.Writer.TryWrite(@event);
        }
    }

    private async Task RunTimerAsync()
    {
        var period = TimeSpan.FromTicks(Math.Clamp(Options.IdleTimeout.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromSeconds(5).Ticks));
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                _mailbox.Writer.TryWrite(TickCommand.Instance);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Post(HostCommand command)
    {
        if (!_mailbox.Writer.TryWrite(command))
        {
            _ = _mailbox.Writer.WriteAsync(command, CancellationToken.None).AsTask().ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    private async ValueTask PostAsync(HostCommand command, CancellationToken ct)
    {
        try
        {
            await _mailbox.Writer.WriteAsync(command, ct).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(Libp2pHost));
        }
    }

    private void ThrowIfStopped() => ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);

    private static async Task DisposeQuietlyAsync(Stream stream)
    {
        try
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners)
        {
            listener.Stop();
        }

        var connections = _connections;
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await Task.WhenAll(connections.Select(c => c.Session.CloseAsync("host stopping", grace.Token))).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        foreach (var connection in connections)
        {
            await connection.Session.DisposeAsync().ConfigureAwait(false);
        }

        _mailbox.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        foreach (var subscriber in _subscribers)
        {
            subscriber.Writer.TryComplete();
        }

        // _stopping stays undisposed (it owns no timer): background tasks may still read its token.
        _noise.Dispose();
    }

    // ---------------------------------------------------------------------------------------------
    // Messages and logging
    // ---------------------------------------------------------------------------------------------

    private abstract class HostCommand;

    private sealed class RegisterCommand(Libp2pConnection connection) : HostCommand
    {
        public Libp2pConnection Connection { get; } = connection;

        /// <summary>Null when accepted, else why not.</summary>
        public TaskCompletionSource<string?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class UnregisterCommand(Libp2pConnection connection, string reason) : HostCommand
    {
        public Libp2pConnection Connection { get; } = connection;

        public string Reason { get; } = reason;
    }

    private sealed class AddAddressesCommand(PeerId peer, IReadOnlyList<Multiaddr> addresses) : HostCommand
    {
        public PeerId Peer { get; } = peer;

        public IReadOnlyList<Multiaddr> Addresses { get; } = addresses;
    }

    private sealed class IdentifiedCommand(Libp2pConnection connection, IdentifyInfo info) : HostCommand
    {
        public Libp2pConnection Connection { get; } = connection;

        public IdentifyInfo Info { get; } = info;
    }

    private sealed class TickCommand : HostCommand
    {
        public static readonly TickCommand Instance = new();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "libp2p listening on {Address}")]
    private static partial void LogListening(ILogger logger, string address);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to {Peer} at {Address} ({Direction})")]
    private static partial void LogConnected(ILogger logger, string peer, string address, ConnectionDirection direction);

    [LoggerMessage(Level = LogLevel.Information, Message = "Disconnected from {Peer} at {Address}: {Reason}")]
    private static partial void LogDisconnected(ILogger logger, string peer, string address, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected inbound connection from {Remote}: {Reason}")]
    private static partial void LogInboundRejected(ILogger logger, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accept failed: {Reason}")]
    private static partial void LogAcceptFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stream {StreamId} from {Peer}: protocol negotiation failed: {Reason}")]
    private static partial void LogNegotiationFailed(ILogger logger, string peer, uint streamId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Protocol} handler for {Peer} ended: {Reason}")]
    private static partial void LogHandlerEnded(ILogger logger, string protocol, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Protocol} handler for {Peer} failed")]
    private static partial void LogHandlerFailed(ILogger logger, string protocol, string peer, Exception error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Identify of {Peer} failed: {Reason}")]
    private static partial void LogIdentifyFailed(ILogger logger, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ping to {Peer} failed ({Failures} in a row): {Reason}")]
    private static partial void LogPingFailed(ILogger logger, string peer, int failures, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Host command {Command} failed")]
    private static partial void LogLoopError(ILogger logger, string command, Exception error);
}
