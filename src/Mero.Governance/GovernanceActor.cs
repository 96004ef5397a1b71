using System.Threading.Channels;
using Mero.Dag;
using Mero.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mero.Governance;

/// <summary>
/// Owns every namespace engine of the node: one bounded Channel mailbox, one loop, no locks.
/// The loop drains up to <see cref="GovernanceActorOptions.MaxBatchCommands"/> queued commands,
/// runs them against one <see cref="StoreBatch"/> and commits once (group commit), then answers
/// them: each op's writes are still one atomic batch, and a burst pays for one RocksDB write.
/// </summary>
public sealed partial class GovernanceActor : IAsyncDisposable
{
    private readonly MeroStore _store;
    private readonly GovernanceActorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DagOptions? _dagOptions;
    private readonly Channel<Command> _mailbox;
    private readonly Dictionary<GroupId, GovernanceEngine> _engines = [];
    private readonly Task _loop;

    public GovernanceActor(MeroStore store, GovernanceActorOptions? options = null, TimeProvider? time = null, ILogger<GovernanceActor>? logger = null, DagOptions? dagOptions = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _options = options ?? new GovernanceActorOptions();
        _options.Validate();
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _dagOptions = dagOptions;
        _mailbox = Channel.CreateBounded<Command>(new BoundedChannelOptions(_options.MailboxCapacity) { SingleReader = true });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>
    /// Raised on the actor loop when an engine is opened (loaded) or applies ops, so a reader can
    /// keep a derived index (the node's context → namespace map) without polling every namespace.
    /// Handlers run inside the loop: keep them short and never call back into the actor.
    /// </summary>
    public event Action<GovernanceEngine>? StateChanged;

    /// <summary>Opens (and reloads) a namespace this node belongs to, or prepares a new one.</summary>
    public Task<PublicKey> OpenNamespaceAsync(GroupId ns, NamespaceIdentity? identity = null, CancellationToken ct = default) =>
        Ask(_ => Engine(ns, identity).Identity.PublicKey, ct);

    public Task<ApplyResult> CreateNamespaceAsync(GroupId ns, ApplicationId targetApplication, NamespaceIdentity? identity = null, CancellationToken ct = default) =>
        Ask(batch =>
        {
            var engine = Engine(ns, identity);
            return Observe(engine, () => engine.CreateNamespace(targetApplication, batch));
        }, ct);

    /// <summary>Signs and applies an op as this node; returns every envelope to publish (the op and any key deliveries it caused).</summary>
    public Task<IssueResult> IssueAsync(GroupId ns, GroupOp op, CancellationToken ct = default) =>
        Ask(batch =>
        {
            var engine = Engine(ns, null);
            return Observe(engine, () => IssueWithFollowUps(engine, op, batch));
        }, ct);

    /// <summary>
    /// Ingests an envelope from the network; returns the result and envelopes this node publishes in
    /// response. Decoding and the Ed25519 check run here, on the sender's thread, so they overlap with
    /// the loop applying earlier ops; the loop reuses the verdict.
    /// </summary>
    public Task<(ApplyResult Result, IReadOnlyList<SignedGroupOp> Published)> ReceiveAsync(byte[] wire, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(wire);
        SignedGroupOp envelope;
        try
        {
            envelope = SignedGroupOp.Decode([.. wire]);
        }
        catch (Primitives.BorshException e)
        {
            return Task.FromResult<(ApplyResult, IReadOnlyList<SignedGroupOp>)>((ApplyResult.Rejected(RejectCode.Malformed, e.Message), []));
        }

        envelope.VerifySignature();
        return Ask(batch => ReceiveOne(envelope, batch), ct);
    }

    public Task<SignedInvitation> CreateInvitationAsync(GroupId ns, GroupId group, GroupRole role, TimeSpan? lifetime = null, CancellationToken ct = default) =>
        Ask(_ =>
        {
            var expires = _time.GetUtcNow() + (lifetime ?? _options.DefaultInvitationLifetime);
            var salt = Hash.FromBytes(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            return Engine(ns, null).CreateInvitation(group, role, (ulong)expires.ToUnixTimeMilliseconds(), salt);
        }, ct);

    /// <summary>Claims an invitation (JSON from out of band) with heads learned from a peer.</summary>
    public Task<IssueResult> ClaimInvitationAsync(string invitationJson, IReadOnlyList<Hash> knownHeads, CancellationToken ct = default) =>
        Ask(batch =>
        {
            var invitation = SignedInvitation.FromJson(invitationJson);
            var engine = Engine(invitation.Namespace, null);
            var (envelope, result) = Observe(engine, () => engine.ClaimInvitation(invitation, knownHeads, (ulong)_time.GetUtcNow().ToUnixTimeMilliseconds(), batch));
            return new IssueResult(result, envelope is null ? [] : [envelope]);
        }, ct);

    /// <summary>
    /// Forgets a namespace on this node: drops its engine and deletes every row it has in the
    /// Group column (op log, heads, nonces, state, pending ops, keys, identity). Returns the rows removed.
    /// </summary>
    public Task<int> DeleteNamespaceAsync(GroupId ns, CancellationToken ct = default) =>
        Ask(batch =>
        {
            _engines.Remove(ns);
            var removed = 0;
            foreach (var (key, _) in _store.Scan(Column.Group, ns.ToArray()))
            {
                batch.Delete(Column.Group, key);
                removed++;
            }

            return removed;
        }, ct);

    /// <summary>Key recovery, requester side: keeps a key a sync peer wrapped for this node (see <see cref="GovernanceEngine.AcceptRecoveredKey"/>).</summary>
    public Task<bool> AcceptRecoveredKeyAsync(GroupId ns, GroupId group, Hash keyId, byte[] envelope, CancellationToken ct = default) =>
        Ask(batch =>
        {
            var engine = Engine(ns, null);
            return Observe(engine, () => engine.AcceptRecoveredKey(group, keyId, envelope, batch));
        }, ct);

    /// <summary>Runs a read against an engine on the loop (no writes).</summary>
    public Task<T> QueryAsync<T>(GroupId ns, Func<GovernanceEngine, T> query, CancellationToken ct = default) =>
        Ask(_ => query(Engine(ns, null)), ct);

    public async ValueTask DisposeAsync()
    {
        _mailbox.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task<T> Ask<T>(Func<StoreBatch, T> work, CancellationToken ct)
    {
        var command = new Command<T>(work);
        await _mailbox.Writer.WriteAsync(command, ct).ConfigureAwait(false);
        return await command.Completion.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var reader = _mailbox.Reader;
        var drained = new List<Command>(_options.MaxBatchCommands);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            drained.Clear();
            while (drained.Count < _options.MaxBatchCommands && reader.TryRead(out var command))
            {
                drained.Add(command);
            }

            using var batch = _store.CreateBatch();
            foreach (var command in drained)
            {
                command.Run(batch);
            }

            try
            {
                if (batch.Count > 0)
                {
                    _store.Commit(batch);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Memory is now ahead of disk: fail the commands and stop rather than diverge silently.
                LogCommitFailed(_logger, e);
                foreach (var command in drained)
                {
                    command.Fail(e);
                }

                _mailbox.Writer.TryComplete(e);
                return;
            }

            foreach (var command in drained)
            {
                command.Complete();
            }
        }
    }

    private GovernanceEngine Engine(GroupId ns, NamespaceIdentity? identity)
    {
        if (!_engines.TryGetValue(ns, out var engine))
        {
            _engines[ns] = engine = GovernanceEngine.Open(_store, ns, identity, _dagOptions);
            LogOpened(_logger, ns, engine.AppliedCount, engine.PendingCount);
            Notify(engine);
        }

        return engine;
    }

    /// <summary>Runs work on an engine and raises <see cref="StateChanged"/> if it applied anything (sealed ops a key released included).</summary>
    private T Observe<T>(GovernanceEngine engine, Func<T> work)
    {
        var before = engine.AppliedCount;
        var result = work();
        if (engine.AppliedCount != before)
        {
            Notify(engine);
        }

        return result;
    }

    private void Notify(GovernanceEngine engine)
    {
        try
        {
            StateChanged?.Invoke(engine);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A faulty observer must not fail the op that was applied.
            LogObserverFailed(_logger, engine.Namespace, e);
        }
    }

    private IssueResult IssueWithFollowUps(GovernanceEngine engine, GroupOp op, StoreBatch batch)
    {
        var (envelope, result) = engine.Issue(op, batch);
        if (envelope is null || result.Status != ApplyStatus.Applied)
        {
            return new IssueResult(result, []);
        }

        var published = new List<SignedGroupOp> { envelope };
        if (op is AddMemberOp add)
        {
            published.AddRange(DeliverKeys(engine, add.Group, add.Member, batch));
        }

        return new IssueResult(result, published);
    }

    private (ApplyResult, IReadOnlyList<SignedGroupOp>) ReceiveOne(SignedGroupOp envelope, StoreBatch batch)
    {
        if (!_engines.TryGetValue(envelope.Namespace, out var engine))
        {
            return (ApplyResult.Rejected(RejectCode.WrongNamespace, $"this node has not joined namespace {envelope.Namespace}"), []);
        }

        var result = Observe(engine, () => engine.Receive(envelope, batch));
        if (result.Rejection is { } rejection && result.Status == ApplyStatus.Rejected)
        {
            LogRejected(_logger, envelope.Id, rejection.Code, rejection.Message);
        }

        // The inviter answers a claim of its invitation with the group keys (upstream: member observes the join).
        var published = new List<SignedGroupOp>();
        foreach (var id in result.Applied)
        {
            if (engine.Opened(id) is JoinWithInvitationOp join && join.Invitation.Inviter == engine.Identity.PublicKey)
            {
                published.AddRange(DeliverKeys(engine, join.Invitation.Group, engine.SignerOf(id), batch));
            }
        }

        return (result, published);
    }

    private static IEnumerable<SignedGroupOp> DeliverKeys(GovernanceEngine engine, GroupId group, PublicKey member, StoreBatch batch)
    {
        foreach (var delivery in engine.KeyDeliveriesFor(group, member).ToList())
        {
            var (envelope, result) = engine.Issue(delivery, batch);
            if (envelope is not null && result.Status == ApplyStatus.Applied)
            {
                yield return envelope;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "governance namespace {Namespace} loaded: {Applied} ops applied, {Pending} pending")]
    private static partial void LogOpened(ILogger logger, GroupId @namespace, int applied, int pending);

    [LoggerMessage(Level = LogLevel.Warning, Message = "governance op {Op} rejected: {Code} {Reason}")]
    private static partial void LogRejected(ILogger logger, Hash op, RejectCode code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "governance: a state observer of {Namespace} failed")]
    private static partial void LogObserverFailed(ILogger logger, GroupId @namespace, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "governance batch commit failed; actor stopping")]
    private static partial void LogCommitFailed(ILogger logger, Exception exception);

    private abstract class Command
    {
        public abstract void Run(StoreBatch batch);

        public abstract void Complete();

        public abstract void Fail(Exception e);
    }

    private sealed class Command<T>(Func<StoreBatch, T> work) : Command
    {
        private T? _value;
        private Exception? _error;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Run(StoreBatch batch)
        {
            try
            {
                _value = work(batch);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _error = e;
            }
        }

        public override void Complete()
        {
            if (_error is not null)
            {
                Completion.TrySetException(_error);
            }
            else
            {
                Completion.TrySetResult(_value!);
            }
        }

        public override void Fail(Exception e) => Completion.TrySetException(e);
    }
}

/// <summary>The outcome of authoring an op, with every envelope to publish on the namespace topic.</summary>
public sealed record IssueResult(ApplyResult Result, IReadOnlyList<SignedGroupOp> Published);
