using System.Threading.Channels;
using Mero.Crypto;
using Mero.Network.Framing;
using Mero.Network.Host;
using Mero.Network.Multiformats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mero.Network.Pubsub;

/// <summary>
/// A gossipsub v1.1 router on a <see cref="Libp2pHost"/>. One loop owns all state (peers, topics,
/// mesh, fanout, caches, scores) and is fed through one bounded mailbox: stream readers, host events,
/// the heartbeat timer, validation results and the public API all post commands to it. Each peer has
/// one outbound stream drained by a writer task from a bounded queue, so a slow peer only loses its
/// own RPCs.
/// </summary>
public sealed partial class Gossipsub : IAsyncDisposable
{
    private readonly Libp2pHost _host;
    private readonly Ed25519KeyPair _identity;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Random _random;
    private readonly Channel<Command> _mailbox = Channel.CreateBounded<Command>(new BoundedChannelOptions(4096) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _stopping = new();

    // Loop-owned state.
    private readonly Dictionary<PeerId, PeerState> _peers = [];
    private readonly Dictionary<string, HashSet<PeerId>> _topicPeers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<PeerId>> _mesh = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<PeerId>> _fanout = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _fanoutLastPublish = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Channel<GossipMessage>> _subscriptions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GossipValidator> _validators = new(StringComparer.Ordinal);
    private readonly Dictionary<(PeerId, string), DateTimeOffset> _backoff = [];
    private readonly MessageCache _cache;
    private readonly SeenCache _seen;
    private ulong _seqno;
    private int _validating;
    private Task? _loop;
    private ITimer? _heartbeat;

    public Gossipsub(Libp2pHost host, Ed25519KeyPair identity, GossipsubOptions options, TimeProvider? time = null, ILoggerFactory? loggerFactory = null, int? seed = null)
    {
        options.Validate();
        _host = host;
        _identity = identity;
        Options = options;
        _time = time ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<Gossipsub>();
        _random = seed is { } s ? new Random(s) : new Random();
        _cache = new MessageCache(options.HistoryLength, options.HistoryGossip);
        _seen = new SeenCache(options.SeenTtl);
        // Start seqnos at the clock (nanoseconds) so a restarted node does not reuse ids, as rust-libp2p does.
        _seqno = (ulong)_time.GetUtcNow().ToUnixTimeMilliseconds() * 1_000_000;
    }

    public GossipsubOptions Options { get; }

    public PeerId PeerId => _host.PeerId;

    /// <summary>Registers the protocol handlers and starts the loop, the heartbeat and the host event pump.</summary>
    public Task StartAsync(CancellationToken ct)
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("gossipsub already started");
        }

        foreach (var protocol in Options.Protocols)
        {
            _host.SetHandler(protocol, ServeInboundAsync);
        }

        var events = _host.SubscribeEvents();
        _loop = Task.Run(RunLoopAsync, CancellationToken.None);
        _ = Task.Run(() => PumpHostEventsAsync(events), CancellationToken.None);
        foreach (var connection in _host.Connections.Where(c => !c.IsClosed))
        {
            _mailbox.Writer.TryWrite(new PeerConnectedCommand(connection.RemotePeer));
        }

        _heartbeat = _time.CreateTimer(_ => _mailbox.Writer.TryWrite(HeartbeatCommand.Instance), null, Options.HeartbeatInitialDelay, Options.HeartbeatInterval);
        return Task.CompletedTask;
    }

    /// <summary>Joins a topic; messages accepted on it arrive on the returned reader (oldest dropped if it lags).</summary>
    public Task<ChannelReader<GossipMessage>> SubscribeAsync(string topic, CancellationToken ct) =>
        QueryAsync(() => Join(topic), ct);

    public Task UnsubscribeAsync(string topic, CancellationToken ct) => QueryAsync(() => Leave(topic), ct);

    /// <summary>Signs and sends a message; with no subscribed peer it is sent to none (Peers = 0).</summary>
    public Task<PublishResult> PublishAsync(string topic, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        if (data.Length + 1024 > Options.MaxTransmitSize)
        {
            throw new ArgumentException($"message of {data.Length} bytes exceeds the transmit limit of {Options.MaxTransmitSize}", nameof(data));
        }

        var bytes = data.ToArray();
        return QueryAsync(() => PublishOwn(topic, bytes), ct);
    }

    /// <summary>Sets the hook every inbound message on the topic passes before delivery and forwarding.</summary>
    public Task SetValidatorAsync(string topic, GossipValidator? validator, CancellationToken ct) =>
        QueryAsync(() =>
        {
            if (validator is null)
            {
                _validators.Remove(topic);
            }
            else
            {
                _validators[topic] = validator;
            }

            return true;
        }, ct);

    /// <summary>The application-specific score of a peer (upstream pushes anchor 20, member 10).</summary>
    public Task SetApplicationScoreAsync(PeerId peer, double score, CancellationToken ct) =>
        QueryAsync(() => GetOrAddPeer(peer).AppScore = score, ct);

    public Task<IReadOnlyList<PeerId>> MeshPeersAsync(string topic, CancellationToken ct) =>
        QueryAsync<IReadOnlyList<PeerId>>(() => [.. _mesh.GetValueOrDefault(topic) ?? []], ct);

    /// <summary>Peers known to be subscribed to the topic.</summary>
    public Task<IReadOnlyList<PeerId>> TopicPeersAsync(string topic, CancellationToken ct) =>
        QueryAsync<IReadOnlyList<PeerId>>(() => [.. _topicPeers.GetValueOrDefault(topic) ?? []], ct);

    /// <summary>Topics this node has joined, in ordinal order.</summary>
    public Task<IReadOnlyList<string>> SubscribedTopicsAsync(CancellationToken ct) =>
        QueryAsync<IReadOnlyList<string>>(() => [.. _subscriptions.Keys.Order(StringComparer.Ordinal)], ct);

    public Task<double> ScoreAsync(PeerId peer, CancellationToken ct) =>
        QueryAsync(() => _peers.TryGetValue(peer, out var state) ? Score(state) : 0, ct);

    public Task<GossipStats> StatsAsync(CancellationToken ct) =>
        QueryAsync(() => new GossipStats(_peers.Count, _cache.Count, _seen.Count, _validating, _peers.Values.Sum(p => p.Dropped)), ct);

    /// <summary>Runs <paramref name="read"/> on the loop; the only way callers see loop state.</summary>
    private async Task<T> QueryAsync<T>(Func<T> read, CancellationToken ct)
    {
        var command = new QueryCommand(() => read()!);
        await _mailbox.Writer.WriteAsync(command, ct).ConfigureAwait(false);
        return (T)(await command.Completion.Task.WaitAsync(ct).ConfigureAwait(false))!;
    }

    private async Task RunLoopAsync()
    {
        await foreach (var command in _mailbox.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                Handle(command);
            }
            catch (Exception ex) when (command is QueryCommand query)
            {
                query.Completion.TrySetException(ex);
            }
            catch (Exception ex)
            {
                LogLoopError(_logger, command.GetType().Name, ex);
            }
        }
    }

    private void Handle(Command command)
    {
        switch (command)
        {
            case QueryCommand query:
                query.Completion.TrySetResult(query.Run());
                break;
            case InboundRpcCommand inbound:
                HandleRpc(inbound.Peer, inbound.Rpc);
                break;
            case ValidatedCommand validated:
                _validating--;
                FinishValidation(validated);
                break;
            case PeerConnectedCommand connected:
                GetOrAddPeer(connected.Peer);
                break;
            case PeerGoneCommand gone:
                if (_host.ConnectionsTo(gone.Peer).Count == 0)
                {
                    RemovePeer(gone.Peer);
                }

                break;
            case PeerMisbehavedCommand misbehaved:
                Penalize(misbehaved.Peer, misbehaved.Reason);
                break;
            case WriterEndedCommand ended:
                if (_peers.TryGetValue(ended.Peer, out var state) && state.Writer == ended.Writer)
                {
                    // The outbound stream broke while a connection remains: reopen it (hello first),
                    // keeping what we know of the peer. Otherwise (gone, or no gossipsub) drop it.
                    if (ended.Retry && _host.ConnectionsTo(ended.Peer).Count > 0)
                    {
                        StartWriter(state);
                    }
                    else
                    {
                        RemovePeer(ended.Peer);
                    }
                }

                break;
            case HeartbeatCommand:
                Heartbeat();
                break;
        }
    }

    private async Task PumpHostEventsAsync(ChannelReader<HostEvent> events)
    {
        try
        {
            await foreach (var e in events.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                Command? command = e switch
                {
                    PeerConnected c => new PeerConnectedCommand(c.Peer),
                    PeerDisconnected d => new PeerGoneCommand(d.Peer),
                    _ => null,
                };
                if (command is not null)
                {
                    await _mailbox.Writer.WriteAsync(command, _stopping.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
        }
    }

    /// <summary>Reads RPC frames from one inbound stream; a bad frame penalises the peer and ends the stream.</summary>
    private async Task ServeInboundAsync(Libp2pStream stream, CancellationToken ct)
    {
        var peer = stream.RemotePeer;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stopping.Token);
        try
        {
            await _mailbox.Writer.WriteAsync(new PeerConnectedCommand(peer), linked.Token).ConfigureAwait(false);
            while (await LengthPrefixed.ReadAsync(stream, Options.MaxTransmitSize, linked.Token).ConfigureAwait(false) is { } frame)
            {
                var rpc = PubsubRpc.FromProtobuf(frame);
                // Awaiting the bounded mailbox is the back-pressure: a flooding peer waits on its own stream.
                await _mailbox.Writer.WriteAsync(new InboundRpcCommand(peer, rpc), linked.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException)
        {
            LogBadFrame(_logger, peer.ToString(), ex.Message);
            _mailbox.Writer.TryWrite(new PeerMisbehavedCommand(peer, ex.Message));
            stream.Reset();
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ChannelClosedException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        if (_heartbeat is not null)
        {
            await _heartbeat.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var protocol in Options.Protocols)
        {
            _host.RemoveHandler(protocol);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _mailbox.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        foreach (var peer in _peers.Values)
        {
            peer.Outbox.Writer.TryComplete();
        }

        foreach (var subscription in _subscriptions.Values)
        {
            subscription.Writer.TryComplete();
        }

        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "gossipsub loop failed on {Command}")]
    private static partial void LogLoopError(ILogger logger, string command, Exception ex);

    [LoggerMessage(Level = LogLevel.Debug, Message = "gossipsub: bad frame from {Peer}: {Reason}")]
    private static partial void LogBadFrame(ILogger logger, string peer, string reason);

    private abstract record Command;

    private sealed record QueryCommand(Func<object> Run) : Command
    {
        public TaskCompletionSource<object> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed record InboundRpcCommand(PeerId Peer, PubsubRpc Rpc) : Command;

    private sealed record ValidatedCommand(PeerId Peer, byte[] Id, PubsubMessage Raw, GossipMessage Message, ValidationResult Result) : Command;

    private sealed record PeerConnectedCommand(PeerId Peer) : Command;

    private sealed record PeerGoneCommand(PeerId Peer) : Command;

    private sealed record PeerMisbehavedCommand(PeerId Peer, string Reason) : Command;

    private sealed record WriterEndedCommand(PeerId Peer, Task Writer, bool Retry) : Command;

    private sealed record HeartbeatCommand : Command
    {
        public static readonly HeartbeatCommand Instance = new();
    }
}

/// <summary>Router counters for tests and diagnostics.</summary>
public sealed record GossipStats(int Peers, int CachedMessages, int SeenIds, int Validating, long DroppedRpcs);
