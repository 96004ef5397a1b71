using System.Collections.Concurrent;
using System.Threading.Channels;
using Mero.Governance;
using Mero.Node.Replication;
using Mero.Node.Replication.Wire;
using Mero.Primitives;
using Mero.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mero.Node.Governance;

/// <summary>
/// The node's governance: one <see cref="GovernanceActor"/> over the node's store, wired to the
/// network. Every followed namespace has a gossip topic <c>ns/&lt;id&gt;</c> carrying its signed ops
/// (<see cref="NamespaceGovernanceDelta"/>) and periodic heads (<see cref="NamespaceStateHeartbeat"/>);
/// a node that sees heads or parents it lacks fetches them over <see cref="GovernanceSyncProtocol.Id"/>,
/// walking parents back until it knows them. Operations (create, invite, join, members…) are in
/// GovernanceService.Operations.cs.
/// </summary>
public sealed partial class GovernanceService : IHostedService, IAsyncDisposable
{
    private static readonly byte[] FollowedPrefix = "gov/ns/"u8.ToArray();

    private readonly MeroStore _store;
    private readonly IGovernedContexts _contexts;
    private readonly ReplicationNetwork _network;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly GovernanceOptions _options;
    private readonly GovernanceActor _actor;
    private readonly ReplicationOutbox? _outbox;
    private readonly ConcurrentDictionary<GroupId, byte> _followed = new();
    private readonly ConcurrentDictionary<GroupId, SemaphoreSlim> _catchUpGates = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _run = Task.CompletedTask;
    private volatile TopicRouter? _router;
    private int _disposed;

    public GovernanceService(
        MeroStore store,
        IGovernedContexts contexts,
        ReplicationNetwork network,
        TimeProvider time,
        ILoggerFactory loggers,
        GovernanceOptions? options = null,
        ReplicationOutbox? outbox = null)
    {
        _outbox = outbox;
        ArgumentNullException.ThrowIfNull(loggers);
        _store = store;
        _contexts = contexts;
        _network = network;
        _time = time;
        _logger = loggers.CreateLogger<GovernanceService>();
        _options = options ?? new GovernanceOptions();
        _options.Validate();
        _actor = new GovernanceActor(store, time: time, logger: loggers.CreateLogger<GovernanceActor>());
        _actor.StateChanged += OnStateChanged;
    }

    /// <summary>The actor, for reads (tests and the context authority).</summary>
    public GovernanceActor Actor => _actor;

    /// <summary>Namespaces this node follows (created or joined).</summary>
    public IReadOnlyCollection<GroupId> Namespaces => [.. _followed.Keys.Order()];

    public bool Follows(GroupId ns) => _followed.ContainsKey(ns);

    public static string Topic(GroupId ns) => "ns/" + ns;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var (key, _) in _store.Scan(Column.Meta, FollowedPrefix))
        {
            var ns = GroupId.FromBytes(key.AsSpan(FollowedPrefix.Length));
            await _actor.OpenNamespaceAsync(ns, ct: cancellationToken).ConfigureAwait(false);
            _followed[ns] = 0;
        }

        await LoadLeftAsync(cancellationToken).ConfigureAwait(false);
        _run = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _run.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Idempotent: the container disposes the instance once per registration that handed it out.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _actor.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        TopicRouter? router;
        try
        {
            router = await _network.WhenReadyAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (router is null)
        {
            LogOffline(_logger);
            return;
        }

        var inbox = router.Route("ns/");
        router.Transport.SetRequestHandler(GovernanceSyncProtocol.Id, ServeAsync);
        _router = router;
        foreach (var ns in _followed.Keys)
        {
            await router.Transport.SubscribeAsync(Topic(ns), ct).ConfigureAwait(false);
        }

        var heartbeat = HeartbeatLoopAsync(ct);
        _ = Task.Run(() => StartupCatchUpAsync(ct), CancellationToken.None);
        try
        {
            await foreach (var message in inbox.ReadAllAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    await HandleAsync(message, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    LogHandleFailed(_logger, message.Topic, message.From, e);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (ChannelClosedException)
        {
        }

        await heartbeat.ConfigureAwait(false);
    }

    /// <summary>
    /// After a restart, ask the first peers that appear on each namespace topic for their heads
    /// instead of waiting for their next heartbeat: the node catches up what it missed while down.
    /// </summary>
    private async Task StartupCatchUpAsync(CancellationToken ct)
    {
        var transport = _router!.Transport;
        foreach (var ns in _followed.Keys.ToList())
        {
            var deadline = _time.GetUtcNow() + _options.JoinTimeout;
            try
            {
                while (_time.GetUtcNow() < deadline)
                {
                    var peers = await transport.TopicPeersAsync(Topic(ns), ct).ConfigureAwait(false);
                    foreach (var peer in peers)
                    {
                        try
                        {
                            await CatchUpAsync(ns, peer, null, ct).ConfigureAwait(false);
                        }
                        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                        {
                            LogCatchUpFailed(_logger, ns, peer, e);
                        }
                    }

                    if (peers.Count > 0)
                    {
                        break;
                    }

                    await Task.Delay(_options.JoinRetryInterval, _time, ct).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task HeartbeatLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                foreach (var ns in _followed.Keys)
                {
                    try
                    {
                        var heads = await _actor.QueryAsync(ns, e => e.Heads.Order().Take(WireLimits.MaxHeads).ToList(), ct).ConfigureAwait(false);
                        if (heads.Count > 0)
                        {
                            await PublishAsync(ns, new NamespaceStateHeartbeat(ns, heads).Encode(), ct).ConfigureAwait(false);
                        }
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        LogHeartbeatFailed(_logger, ns, e);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task HandleAsync(TopicMessage message, CancellationToken ct)
    {
        BroadcastMessage decoded;
        try
        {
            decoded = BroadcastMessage.Decode(message.Payload.Span);
        }
        catch (BorshException e)
        {
            LogDropped(_logger, message.Topic, message.From, e.Message);
            return;
        }

        switch (decoded)
        {
            case NamespaceGovernanceDelta delta when Topic(delta.NamespaceId) == message.Topic && Follows(delta.NamespaceId):
                await OnDeltaAsync(delta, message.From, ct).ConfigureAwait(false);
                break;
            case NamespaceStateHeartbeat heartbeat when Topic(heartbeat.NamespaceId) == message.Topic && Follows(heartbeat.NamespaceId):
                var unknown = await UnknownAsync(heartbeat.NamespaceId, heartbeat.DagHeads, ct).ConfigureAwait(false);
                if (unknown.Count > 0)
                {
                    StartCatchUp(heartbeat.NamespaceId, message.From, unknown);
                }

                break;
            default:
                LogDropped(_logger, message.Topic, message.From, $"{decoded.GetType().Name} does not belong on this topic or the namespace is not followed");
                break;
        }
    }

    private async Task OnDeltaAsync(NamespaceGovernanceDelta delta, string from, CancellationToken ct)
    {
        SignedGroupOp envelope;
        try
        {
            envelope = SignedGroupOp.Decode(delta.Payload);
        }
        catch (BorshException e)
        {
            LogDropped(_logger, Topic(delta.NamespaceId), from, e.Message);
            return;
        }

        if (envelope.Id != delta.DeltaId || envelope.Namespace != delta.NamespaceId || !envelope.Parents.SequenceEqual(delta.ParentIds))
        {
            LogDropped(_logger, Topic(delta.NamespaceId), from, "delta header does not match its envelope");
            return;
        }

        var (result, published) = await _actor.ReceiveAsync(delta.Payload, ct).ConfigureAwait(false);
        await PublishOpsAsync(delta.NamespaceId, published, ct).ConfigureAwait(false);
        if (result.Status == ApplyStatus.Pending && result.Rejection is null)
        {
            // Parents missing: fetch them from whoever forwarded the op.
            var unknown = await UnknownAsync(delta.NamespaceId, delta.ParentIds, ct).ConfigureAwait(false);
            if (unknown.Count > 0)
            {
                StartCatchUp(delta.NamespaceId, from, unknown);
            }
        }
    }

    private Task<List<Hash>> UnknownAsync(GroupId ns, IReadOnlyList<Hash> ids, CancellationToken ct) =>
        _actor.QueryAsync(ns, e => ids.Where(id => !e.Knows(id)).ToList(), ct);

    /// <summary>Catch-up in the background, at most one per namespace at a time (later triggers wait for it, then re-check).</summary>
    private void StartCatchUp(GroupId ns, string peer, IReadOnlyList<Hash> wanted) =>
        _ = Task.Run(async () =>
        {
            try
            {
                await CatchUpAsync(ns, peer, wanted, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogCatchUpFailed(_logger, ns, peer, e);
            }
            catch (OperationCanceledException)
            {
            }
        });

    /// <summary>
    /// Fetches the ops behind <paramref name="wanted"/> (or the peer's heads when null) from
    /// <paramref name="peer"/>, walking parents back until every one is known here, then offers them
    /// oldest-first. Returns how many ops were fetched.
    /// </summary>
    public async Task<int> CatchUpAsync(GroupId ns, string peer, IReadOnlyList<Hash>? wanted, CancellationToken ct)
    {
        var transport = (_router ?? throw new GovernanceUnavailableException("this node is not on the network")).Transport;
        var gate = _catchUpGates.GetOrAdd(ns, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (wanted is null)
            {
                var heads = await RequestAsync(transport, peer, new GovernanceHeadsRequest(ns), ct).ConfigureAwait(false) switch
                {
                    GovernanceHeadsResponse h => h.Heads,
                    GovernanceSyncError error => throw new GovernanceUnavailableException($"peer {peer}: {error.Reason}"),
                    var other => throw new GovernanceUnavailableException($"peer {peer} answered a heads request with {other.GetType().Name}"),
                };
                wanted = heads;
            }

            var missing = new Queue<Hash>(await UnknownAsync(ns, wanted, ct).ConfigureAwait(false));
            var requested = new HashSet<Hash>(missing);
            var fetched = new List<byte[]>();
            while (missing.Count > 0 && fetched.Count < _options.MaxCatchUpOps)
            {
                var batch = new List<Hash>();
                while (batch.Count < GovernanceSyncProtocol.MaxOpsPerRequest && missing.TryDequeue(out var id))
                {
                    batch.Add(id);
                }

                var response = await RequestAsync(transport, peer, new GovernanceOpsRequest(ns, batch), ct).ConfigureAwait(false);
                if (response is not GovernanceOpsResponse ops)
                {
                    LogCatchUpRefused(_logger, ns, peer, response is GovernanceSyncError e ? e.Reason : response.GetType().Name);
                    break;
                }

                var asked = batch.ToHashSet();
                var parents = new List<Hash>();
                foreach (var wire in ops.Envelopes)
                {
                    SignedGroupOp envelope;
                    try
                    {
                        envelope = SignedGroupOp.Decode(wire);
                    }
                    catch (BorshException e)
                    {
                        LogDropped(_logger, GovernanceSyncProtocol.Id, peer, e.Message);
                        continue;
                    }

                    // Only what was asked for: a peer cannot push unrelated ops through catch-up.
                    if (!asked.Remove(envelope.Id) || envelope.Namespace != ns)
                    {
                        continue;
                    }

                    fetched.Add(wire);
                    parents.AddRange(envelope.Parents.Where(requested.Add));
                }

                foreach (var id in await UnknownAsync(ns, parents, ct).ConfigureAwait(false))
                {
                    missing.Enqueue(id);
                }
            }

            // Discovery order is newest-first; offering it reversed lets most ops apply at once instead of waiting.
            for (var i = fetched.Count - 1; i >= 0; i--)
            {
                var (result, published) = await _actor.ReceiveAsync(fetched[i], ct).ConfigureAwait(false);
                if (result.Status == ApplyStatus.Rejected)
                {
                    LogCatchUpRejected(_logger, ns, peer, result.Rejection!.ToString());
                }

                await PublishOpsAsync(ns, published, ct).ConfigureAwait(false);
            }

            if (fetched.Count > 0)
            {
                LogCaughtUp(_logger, ns, peer, fetched.Count);
            }

            return fetched.Count;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<GovernanceSyncResponse> RequestAsync(IReplicationTransport transport, string peer, GovernanceSyncRequest request, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.RequestTimeout);
        var bytes = await transport.RequestAsync(peer, GovernanceSyncProtocol.Id, request.Encode(), timeout.Token).ConfigureAwait(false);
        try
        {
            return GovernanceSyncResponse.Decode(bytes);
        }
        catch (BorshException e)
        {
            return new GovernanceSyncError($"malformed response: {e.Message}");
        }
    }

    /// <summary>Answers a peer's catch-up request: heads, or the applied ops it names (bounded by size).</summary>
    internal async Task<byte[]> ServeAsync(string fromPeer, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        GovernanceSyncRequest request;
        try
        {
            request = GovernanceSyncRequest.Decode(bytes.Span);
        }
        catch (BorshException e)
        {
            LogDropped(_logger, GovernanceSyncProtocol.Id, fromPeer, e.Message);
            return new GovernanceSyncError($"malformed request: {e.Message}").Encode();
        }

        if (!Follows(request.Namespace))
        {
            return new GovernanceSyncError($"this node does not follow namespace {request.Namespace}").Encode();
        }

        GovernanceSyncResponse response = request switch
        {
            GovernanceHeadsRequest => new GovernanceHeadsResponse(
                await _actor.QueryAsync(request.Namespace, e => e.Heads.Order().Take(GovernanceSyncProtocol.MaxHeads).ToList(), ct).ConfigureAwait(false)),
            GovernanceOpsRequest ops => new GovernanceOpsResponse(await _actor.QueryAsync(request.Namespace, e =>
            {
                var found = new List<byte[]>();
                var size = 0;
                foreach (var id in ops.Ids)
                {
                    if (e.AppliedEnvelope(id) is { } envelope && size < GovernanceSyncProtocol.SoftResponseBytes)
                    {
                        found.Add(envelope.Wire);
                        size += envelope.Wire.Length + 4;
                    }
                }

                return found;
            }, ct).ConfigureAwait(false)),
            _ => new GovernanceSyncError("unsupported request"),
        };
        return response.Encode();
    }

    internal async Task PublishOpsAsync(GroupId ns, IReadOnlyList<SignedGroupOp> ops, CancellationToken ct)
    {
        foreach (var op in ops)
        {
            if (op.Wire.Length > WireLimits.MaxGovernancePayloadBytes)
            {
                // Too big for gossip: peers fetch it by id through catch-up when a heartbeat names it.
                LogTooBigForGossip(_logger, op.Id, op.Wire.Length);
                continue;
            }

            await PublishAsync(ns, new NamespaceGovernanceDelta(ns, op.Id, op.Parents, op.Wire).Encode(), ct).ConfigureAwait(false);
        }
    }

    private async Task PublishAsync(GroupId ns, byte[] payload, CancellationToken ct)
    {
        if (_router is { } router)
        {
            try
            {
                await router.Transport.PublishAsync(Topic(ns), payload, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Best effort like all gossip: heartbeats and catch-up repair what is lost.
                LogPublishFailed(_logger, ns, e);
            }
        }
    }

    /// <summary>Remembers a followed namespace (Meta column) and subscribes its topic.</summary>
    private async Task FollowAsync(GroupId ns, CancellationToken ct)
    {
        if (_followed.TryAdd(ns, 0))
        {
            using var batch = _store.CreateBatch();
            batch.Put(Column.Meta, [.. FollowedPrefix, .. ns.AsSpan()], []);
            batch.Delete(Column.Meta, [.. LeftPrefix, .. ns.AsSpan()]);
            _store.Commit(batch);
            _left.TryRemove(ns, out _);
        }

        if (_router is { } router)
        {
            await router.Transport.SubscribeAsync(Topic(ns), ct).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "governance: node is off the network; namespaces stay local")]
    private static partial void LogOffline(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "governance: handling a message on {Topic} from {Peer} failed")]
    private static partial void LogHandleFailed(ILogger logger, string topic, string peer, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "governance: dropped input on {Where} from {Peer}: {Reason}")]
    private static partial void LogDropped(ILogger logger, string where, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "governance: heartbeat of {Namespace} failed")]
    private static partial void LogHeartbeatFailed(ILogger logger, GroupId @namespace, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "governance: catch-up of {Namespace} from {Peer} failed")]
    private static partial void LogCatchUpFailed(ILogger logger, GroupId @namespace, string peer, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "governance: peer {Peer} refused catch-up of {Namespace}: {Reason}")]
    private static partial void LogCatchUpRefused(ILogger logger, GroupId @namespace, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "governance: an op of {Namespace} fetched from {Peer} was rejected: {Reason}")]
    private static partial void LogCatchUpRejected(ILogger logger, GroupId @namespace, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "governance: fetched {Count} ops of {Namespace} from {Peer}")]
    private static partial void LogCaughtUp(ILogger logger, GroupId @namespace, string peer, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "governance: op {Op} ({Bytes} bytes) is over the gossip limit; peers fetch it by catch-up")]
    private static partial void LogTooBigForGossip(ILogger logger, Hash op, int bytes);

    [LoggerMessage(Level = LogLevel.Debug, Message = "governance: publishing on the topic of {Namespace} failed")]
    private static partial void LogPublishFailed(ILogger logger, GroupId @namespace, Exception exception);
}
