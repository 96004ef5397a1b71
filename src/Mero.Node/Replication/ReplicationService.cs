using System.Collections.Concurrent;
using System.Threading.Channels;
using Mero.Node.Contexts;
using Mero.Node.Replication.Wire;
using Mero.Primitives;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mero.Node.Replication;

/// <summary>
/// Moves context ops between nodes. Local commits (from the context manager's outbox) are sealed
/// and gossiped on <c>context/&lt;id&gt;</c>; received ops are verified (signature, author at the
/// governance cut, key, content id) and handed to the context manager, which applies them in
/// causal order; heartbeats carry (root, heads) so a node that missed ops notices and syncs them
/// over <see cref="SyncProtocol.Id"/>. Convergence never depends on gossip arriving: only on an op
/// being fetchable later.
/// </summary>
public sealed partial class ReplicationService : BackgroundService
{
    private readonly ReplicationNetwork _network;
    private readonly ContextManager _contexts;
    private readonly IContextAuthority? _authority;
    private readonly ReplicationOutbox _outbox;
    private readonly ReplicationOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ReplicationService> _logger;
    private readonly ConcurrentDictionary<ContextId, byte> _followed = new();
    private readonly ConcurrentDictionary<ContextId, byte> _syncing = new();
    private readonly ConcurrentDictionary<string, SnapshotSession> _sessions = new(StringComparer.Ordinal);
    private IReplicationTransport? _transport;

    public ReplicationService(
        ReplicationNetwork network,
        ContextManager contexts,
        ReplicationOutbox outbox,
        ReplicationOptions options,
        TimeProvider time,
        ILogger<ReplicationService> logger,
        IContextAuthority? authority = null)
    {
        options.Validate();
        _network = network;
        _contexts = contexts;
        _authority = authority;
        _outbox = outbox;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>Ops dropped for a bad signature, an unauthorized author, or content that does not match its id.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Contexts this node follows on the network.</summary>
    public IReadOnlyCollection<ContextId> Followed => [.. _followed.Keys];

    /// <summary>Ops this node had to fetch by sync because gossip did not bring them (or not in order).</summary>
    public long FetchedBySync => Interlocked.Read(ref _fetchedBySync);

    /// <summary>Requests sent while catching up on ops (one covers many DAG levels).</summary>
    public long CatchUpRequests => Interlocked.Read(ref _catchUpRequests);

    private long _rejected;
    private long _fetchedBySync;
    private long _catchUpRequests;

    public static string TopicOf(ContextId context) => "context/" + context;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        TopicRouter? router;
        try
        {
            router = await _network.WhenReadyAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped before the network came up (or the swarm failed to start).
            return;
        }

        if (router is null || _authority is null)
        {
            // Off the network: notices still drain so the context manager never blocks.
            try
            {
                await foreach (var _ in _outbox.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
                {
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }

            return;
        }

        _transport = router.Transport;
        var inbox = router.Route("context/");
        _transport.SetRequestHandler(SyncProtocol.Id, ServeAsync);
        try
        {
            await FollowGovernedContextsAsync(stoppingToken).ConfigureAwait(false);
            await Task.WhenAll(
                ReceiveLoopAsync(inbox, stoppingToken),
                OutboxLoopAsync(stoppingToken),
                HeartbeatLoopAsync(stoppingToken)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Snapshot sessions pin store snapshots, which must go before the store does.
            CloseAllSessions();
        }
    }

    private async Task FollowGovernedContextsAsync(CancellationToken ct)
    {
        foreach (var context in _contexts.List())
        {
            if (!_followed.ContainsKey(context.Id) && await _authority!.IsFollowedAsync(context.Id, ct).ConfigureAwait(false))
            {
                await FollowAsync(context.Id, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task FollowAsync(ContextId context, CancellationToken ct)
    {
        // Every publish passes here, so the followed set answers first; only a context not yet followed
        // costs the store read (a context left locally stays unfollowed across restarts until joined again).
        if (_followed.ContainsKey(context) || _contexts.HasLeft(context) || !_followed.TryAdd(context, 0))
        {
            return;
        }

        await _transport!.SubscribeAsync(TopicOf(context), ct).ConfigureAwait(false);
        LogFollowing(_logger, context.ToString());
        _ = InitialSyncAsync(context, ct);
    }

    /// <summary>
    /// After a namespace leave or delete: no topic, no heartbeat; gossip still in flight is
    /// dropped by the receive loop, which only takes followed contexts.
    /// </summary>
    private async Task StopFollowingAsync(ContextId context, CancellationToken ct)
    {
        if (!_followed.TryRemove(context, out _))
        {
            return;
        }

        await _transport!.UnsubscribeAsync(TopicOf(context), ct).ConfigureAwait(false);
        LogUnfollowed(_logger, context.ToString());
    }

    /// <summary>After a join or a restart: ask whoever shares the topic until one answers.</summary>
    private async Task InitialSyncAsync(ContextId context, CancellationToken ct)
    {
        try
        {
            for (var attempt = 0; attempt < _options.FollowRetryAttempts; attempt++)
            {
                foreach (var peer in await _transport!.TopicPeersAsync(TopicOf(context), ct).ConfigureAwait(false))
                {
                    if (await SyncAsync(context, peer, ct).ConfigureAwait(false))
                    {
                        return;
                    }
                }

                await Task.Delay(_options.FollowRetryInterval, _time, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task OutboxLoopAsync(CancellationToken ct)
    {
        await foreach (var notice in _outbox.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            try
            {
                switch (notice)
                {
                    case ReplicationNotice.OpCommitted committed:
                        await PublishAsync(committed.Op, ct).ConfigureAwait(false);
                        break;
                    case ReplicationNotice.ContextFollowed followed when await _authority!.IsFollowedAsync(followed.ContextId, ct).ConfigureAwait(false):
                        await FollowAsync(followed.ContextId, ct).ConfigureAwait(false);
                        break;
                    case ReplicationNotice.ContextUnfollowed unfollowed:
                        await StopFollowingAsync(unfollowed.ContextId, ct).ConfigureAwait(false);
                        break;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPublishFailed(_logger, notice.GetType().Name, ex.Message);
            }
        }
    }

    private async Task PublishAsync(ContextOp op, CancellationToken ct)
    {
        await FollowAsync(op.ContextId, ct).ConfigureAwait(false);
        if (await _authority!.CurrentKeyAsync(op.ContextId, ct).ConfigureAwait(false) is not { } key)
        {
            // Without the key nobody could read it yet; peers fetch it by sync once keys arrive.
            LogNoKey(_logger, op.ContextId.ToString());
            return;
        }

        await _transport!.PublishAsync(TopicOf(op.ContextId), DeltaSealing.Seal(op, key).Encode(), ct).ConfigureAwait(false);
    }

    private async Task HeartbeatLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval, _time);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            try
            {
                await FollowGovernedContextsAsync(ct).ConfigureAwait(false);
                foreach (var context in _followed.Keys)
                {
                    if (_contexts.HeadsAndRoot(context) is not { } view)
                    {
                        continue;
                    }

                    var heartbeat = new HashHeartbeat(context, view.Root, [.. view.Heads.Take(WireLimits.MaxHeads)]);
                    await _transport!.PublishAsync(TopicOf(context), heartbeat.Encode(), ct).ConfigureAwait(false);
                }
            }
            catch (System.Threading.Channels.ChannelClosedException)
            {
                // The network stopped first while the node shuts down: nothing left to announce to.
                LogTransportClosed(_logger);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPublishFailed(_logger, nameof(HashHeartbeat), ex.Message);
            }
        }
    }

    /// <summary>Most gossip messages verified together and applied as one batch.</summary>
    private const int ReceiveBatch = 256;

    private async Task ReceiveLoopAsync(ChannelReader<TopicMessage> inbox, CancellationToken ct)
    {
        // Verification of the next batch overlaps the context manager applying the previous one.
        Task applying = Task.CompletedTask;
        while (await inbox.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            var ops = new List<ContextOp>();
            var senders = new List<string>();
            for (var n = 0; n < ReceiveBatch && inbox.TryRead(out var message); n++)
            {
                try
                {
                    switch (BroadcastMessage.Decode(message.Payload.Span))
                    {
                        case StateDelta delta when _followed.ContainsKey(delta.ContextId) && message.Topic == TopicOf(delta.ContextId):
                            if (await VerifyAsync(delta, ct).ConfigureAwait(false) is { } op)
                            {
                                ops.Add(op);
                                senders.Add(message.From);
                            }

                            break;
                        case HashHeartbeat heartbeat when _followed.ContainsKey(heartbeat.ContextId) && message.Topic == TopicOf(heartbeat.ContextId):
                            if (heartbeat.DagHeads.Any(h => !_contexts.Knows(heartbeat.ContextId, h)) || TreesDiverged(heartbeat.ContextId, heartbeat.DagHeads, heartbeat.RootHash))
                            {
                                _ = SyncAsync(heartbeat.ContextId, message.From, ct);
                            }

                            break;
                    }
                }
                catch (BorshException ex)
                {
                    LogMalformed(_logger, message.From, ex.Message);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogReceiveFailed(_logger, message.From, ex.Message);
                }
            }

            await applying.ConfigureAwait(false);
            applying = ops.Count == 0 ? Task.CompletedTask : ApplyReceivedAsync(ops, senders, ct);
        }
    }

    /// <summary>Applies verified gossip; an op still missing parents makes us ask its sender.</summary>
    private async Task ApplyReceivedAsync(List<ContextOp> ops, List<string> senders, CancellationToken ct)
    {
        try
        {
            var results = await _contexts.ApplyRemoteAsync(ops, ct).ConfigureAwait(false);
            foreach (var (op, peer) in results.Select((r, i) => (r, i)).Where(x => x.r.Status == RemoteApplyStatus.Pending).Select(x => (ops[x.i], senders[x.i])).DistinctBy(x => x.Item1.ContextId))
            {
                _ = SyncAsync(op.ContextId, peer, ct);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReceiveFailed(_logger, senders[0], ex.Message);
        }
    }

    /// <summary>
    /// Checks one sealed op from gossip or sync and opens it. Null when it was dropped: a bad
    /// signature, an author who may not write, or content that does not match the id are counted
    /// as rejections; an op we already hold, a missing key or an undecidable cut are left for a
    /// later sync.
    /// </summary>
    private async Task<ContextOp?> VerifyAsync(StateDelta delta, CancellationToken ct)
    {
        if (_contexts.Knows(delta.ContextId, delta.DeltaId))
        {
            return null;
        }

        if (!DeltaIdentity.VerifySignature(delta))
        {
            return Reject(delta, "bad signature");
        }

        var verdict = await _authority!.AuthorizeWriteAsync(delta.ContextId, delta.AuthorId, delta.GovernanceHeads, ct).ConfigureAwait(false);
        if (verdict is WriteVerdict.NotMember or WriteVerdict.ReadOnly)
        {
            return Reject(delta, $"author {delta.AuthorId} may not write ({verdict})");
        }

        if (verdict == WriteVerdict.Unknown)
        {
            LogDeferred(_logger, delta.ContextId.ToString(), delta.DeltaId.ToString(), "governance cut not known here yet");
            return null;
        }

        if (await _authority.KeyAsync(delta.ContextId, delta.KeyId, ct).ConfigureAwait(false) is not { } key)
        {
            LogDeferred(_logger, delta.ContextId.ToString(), delta.DeltaId.ToString(), "no key with that id yet");
            NoteMissingKey(delta.ContextId, delta.KeyId);
            return null;
        }

        return DeltaSealing.Open(delta, key) ?? Reject(delta, "the payload does not open or does not match the op id");
    }

    private ContextOp? Reject(StateDelta delta, string reason)
    {
        Interlocked.Increment(ref _rejected);
        LogRejected(_logger, delta.ContextId.ToString(), delta.DeltaId.ToString(), reason);
        return null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "following context {ContextId}")]
    private static partial void LogFollowing(ILogger logger, string contextId);

    [LoggerMessage(Level = LogLevel.Information, Message = "stopped following context {ContextId}")]
    private static partial void LogUnfollowed(ILogger logger, string contextId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "op of {ContextId} not published: this node holds no key for it yet")]
    private static partial void LogNoKey(ILogger logger, string contextId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "heartbeats stop: the network has shut down")]
    private static partial void LogTransportClosed(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not publish {Notice}: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, string notice, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "malformed broadcast from {Peer}: {Reason}")]
    private static partial void LogMalformed(ILogger logger, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not handle a broadcast from {Peer}: {Reason}")]
    private static partial void LogReceiveFailed(ILogger logger, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "rejected op {OpId} of {ContextId}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string contextId, string opId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "deferred op {OpId} of {ContextId}: {Reason}")]
    private static partial void LogDeferred(ILogger logger, string contextId, string opId, string reason);
}
