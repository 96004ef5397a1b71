using Mero.Crypto;
using Mero.Node.Events;
using Mero.Node.Replication;
using Mero.Primitives;
using Mero.Primitives.Clock;
using Mero.Runtime;
using Mero.State.Crdt;
using Mero.Store;
using Microsoft.Extensions.Logging;

namespace Mero.Node.Contexts;

/// <summary>What became of a remote op handed to the context manager.</summary>
public enum RemoteApplyStatus
{
    /// <summary>Applied now (with every buffered descendant it released).</summary>
    Applied,

    /// <summary>Already in the DAG (or already waiting): nothing changed.</summary>
    Duplicate,

    /// <summary>Buffered until its missing parents arrive.</summary>
    Pending,

    /// <summary>Not applied: unknown context, a malformed artifact or a full buffer.</summary>
    Rejected,
}

public sealed record RemoteApplyResult(RemoteApplyStatus Status, IReadOnlyList<Hash> MissingParents, int AppliedCount, string? Reason = null);

/// <summary>
/// The context DAG side of the manager: local commits become signed ops, remote ops are applied
/// in causal order without running the app (buffered until their parents arrive), and snapshots
/// are captured and installed, all on the manager's one loop so heads and state move together.
/// </summary>
public sealed partial class ContextManager
{
    /// <summary>Most ops buffered per context while their parents are missing.</summary>
    public const int MaxPendingOpsPerContext = 10_000;

    private readonly Dictionary<ContextId, HashSet<Hash>> _heads = [];
    private readonly Dictionary<ContextId, PendingOps> _pending = [];
    private readonly HashSet<ContextId> _governed = [];

    /// <summary>Remote ops whose author's root differed from ours although we had exactly its parents.</summary>
    public long RootMismatches { get; private set; }

    public async Task<RemoteApplyResult> ApplyRemoteAsync(ContextOp op, CancellationToken ct) =>
        (await ApplyRemoteAsync([op], ct).ConfigureAwait(false))[0];

    /// <summary>Applies received ops in order, one commit per context; one result per op.</summary>
    public Task<RemoteApplyResult[]> ApplyRemoteAsync(IReadOnlyList<ContextOp> ops, CancellationToken ct) =>
        SendAsync(new ApplyRemoteOpsCommand(ops, ct), ct);

    /// <summary>The context's DAG heads as stored (the last committed view).</summary>
    public IReadOnlyList<Hash> Heads(ContextId contextId) => ContextOpLog.Heads(_store, contextId);

    /// <summary>
    /// The stored heads and root of one commit, read off the loop. Heads and root are committed in
    /// one batch but read apart, so the heads are read again after the root: every commit that
    /// changes the root also changes the heads (to ids never seen before), so equal reads bracket
    /// a root of the same commit. Null for an unknown context.
    /// </summary>
    public (IReadOnlyList<Hash> Heads, Hash Root)? HeadsAndRoot(ContextId contextId)
    {
        var heads = Heads(contextId);
        while (true)
        {
            if (Get(contextId) is not { } record)
            {
                return null;
            }

            var again = Heads(contextId);
            if (again.SequenceEqual(heads))
            {
                return (heads, record.RootHash);
            }

            heads = again;
        }
    }

    /// <summary>True when the context has neither ops nor a snapshot checkpoint: a fresh joiner.</summary>
    public bool HasEmptyDag(ContextId contextId) => Heads(contextId).Count == 0;

    public bool Knows(ContextId contextId, Hash opId) => ContextOpLog.Contains(_store, contextId, opId);

    /// <summary>A committed op of the context's DAG; null if unknown or known only as a snapshot checkpoint.</summary>
    public ContextOp? GetOp(ContextId contextId, Hash opId) => ContextOpLog.Get(_store, contextId, opId);

    private void HandleReplication(ContextCommand command)
    {
        switch (command)
        {
            case ApplyRemoteOpsCommand apply:
                apply.Completion.TrySetResult(ApplyRemoteBatch(apply.Ops));
                break;
            case OpenSnapshotCommand open:
                open.Completion.TrySetResult(OpenSnapshot(open.ContextId));
                break;
            case InstallSnapshotCommand install:
                install.Completion.TrySetResult(Install(install.Snapshot));
                break;
            default:
                HandleTreeSync(command);
                break;
        }
    }

    private async ValueTask<bool> IsGovernedAsync(ContextId contextId, CancellationToken ct)
    {
        if (_authority is null)
        {
            return false;
        }

        if (_governed.Contains(contextId))
        {
            return true;
        }

        // Only "governed" is cached: a context can become governed (registered) but never stops.
        if (await _authority.IsGovernedAsync(contextId, ct).ConfigureAwait(false))
        {
            _governed.Add(contextId);
            return true;
        }

        return false;
    }

    /// <summary>Returns the governance heads to stamp on the op, or throws when the executor may not write.</summary>
    private async Task<IReadOnlyList<Hash>> AuthorizeLocalWriteAsync(ContextId contextId, PublicKey executor, CancellationToken ct)
    {
        var verdict = await _authority!.AuthorizeWriteAsync(contextId, executor, null, ct).ConfigureAwait(false);
        if (verdict != WriteVerdict.Allowed)
        {
            LogLocalWriteDiscarded(_logger, contextId.ToString(), executor.ToString(), verdict.ToString());
            throw new NodeException(NodeErrorKind.Unauthorized, verdict == WriteVerdict.ReadOnly
                ? $"{executor} is a ReadOnly member of context {contextId}: its state changes were discarded"
                : $"{executor} may not change context {contextId} ({verdict}): its state changes were discarded");
        }

        return await _authority.GovernanceHeadsAsync(contextId, ct).ConfigureAwait(false);
    }

    private ContextOp RecordLocalOp(StoreBatch batch, ContextId contextId, ContextIdentity member, CrdtCommit commit, Outcome outcome, IReadOnlyList<Hash>? governanceHeads)
    {
        var parents = HeadsOf(contextId).Order().ToArray();
        var hlc = _clock.Now();
        var artifact = commit.Delta.Encode();
        var id = DeltaIdentity.ComputeId(contextId, parents, hlc, member.PublicKey, artifact);
        using var key = Ed25519KeyPair.FromSeed(member.Seed!);
        var signature = DeltaIdentity.Sign(key, contextId, id, governanceHeads);
        var events = outcome.Events.Select(e => new OpEvent(e.Kind, e.Data, e.Handler)).ToList();
        // With tree-synced leaves ahead of our DAG, our root is not what these parents imply: claim none.
        var claimedRoot = _mergedAheadOfDag.Contains(contextId) ? default : commit.RootHash;
        var op = new ContextOp(contextId, id, parents, hlc, member.PublicKey, artifact, claimedRoot, events, governanceHeads, signature);
        ContextOpLog.Put(batch, op);
        ContextOpLog.PutHeads(batch, contextId, [id]);
        return op;
    }

    private HashSet<Hash> HeadsOf(ContextId contextId)
    {
        if (!_heads.TryGetValue(contextId, out var heads))
        {
            heads = [.. ContextOpLog.Heads(_store, contextId)];
            _heads[contextId] = heads;
        }

        return heads;
    }

    private void CommitHeads(ContextId contextId, IEnumerable<Hash> heads) => _heads[contextId] = [.. heads];

    private void ForgetReplicationState(ContextId contextId)
    {
        _heads.Remove(contextId);
        _pending.Remove(contextId);
        _governed.Remove(contextId);
    }

    private RemoteApplyResult ApplyRemote(ContextOp op) => ApplyRemoteBatch([op])[0];

    /// <summary>
    /// Applies ops in the given order; those of one context fold into one CRDT transaction and one
    /// commit (group commit). If any op's artifact fails to apply, the shared transaction is
    /// dropped and the ops are applied one by one, so one bad op never costs the others.
    /// </summary>
    private RemoteApplyResult[] ApplyRemoteBatch(IReadOnlyList<ContextOp> ops)
    {
        var results = new RemoteApplyResult[ops.Count];
        foreach (var group in ops.Select((op, i) => (op, i)).GroupBy(x => x.op.ContextId))
        {
            var members = group.ToList();
            var session = new RemoteSession(this, group.Key);
            var outcome = members.Select(m => ApplyRemote(m.op, session)).ToList();
            if (session.Failed)
            {
                // Buffered ops the failed pass released are retried too, after the batch's own.
                var retry = members.Select(m => m.op).Concat(session.Released).ToList();
                var retried = retry.Select(op =>
                {
                    var single = new RemoteSession(this, group.Key);
                    var result = ApplyRemote(op, single);
                    single.Commit();
                    return result;
                }).ToList();
                outcome = retried.Take(members.Count).ToList();
            }
            else
            {
                session.Commit();
            }

            for (var k = 0; k < members.Count; k++)
            {
                results[members[k].i] = outcome[k];
            }
        }

        return results;
    }

    private RemoteApplyResult ApplyRemote(ContextOp op, RemoteSession session)
    {
        if (session.Context is null)
        {
            return new RemoteApplyResult(RemoteApplyStatus.Rejected, [], 0, $"context {op.ContextId} is not joined here");
        }

        if (session.Knows(op.Id))
        {
            return new RemoteApplyResult(RemoteApplyStatus.Duplicate, [], 0);
        }

        var pending = _pending.TryGetValue(op.ContextId, out var p) ? p : _pending[op.ContextId] = new PendingOps();
        var missing = op.Parents.Where(parent => !session.Knows(parent)).ToList();
        if (pending.Contains(op.Id))
        {
            return new RemoteApplyResult(RemoteApplyStatus.Duplicate, missing, 0);
        }

        if (missing.Count > 0)
        {
            if (pending.Count >= MaxPendingOpsPerContext)
            {
                return new RemoteApplyResult(RemoteApplyStatus.Rejected, missing, 0, "the pending buffer is full");
            }

            pending.Add(op, missing);
            return new RemoteApplyResult(RemoteApplyStatus.Pending, missing, 0);
        }

        var applied = 0;
        var ready = new Queue<ContextOp>([op]);
        while (ready.TryDequeue(out var next))
        {
            if (session.Knows(next.Id))
            {
                continue;
            }

            if (session.Apply(next) is { } reason)
            {
                LogRemoteOpRejected(_logger, next.ContextId.ToString(), next.Id.ToString(), reason);
                if (ReferenceEquals(next, op))
                {
                    return new RemoteApplyResult(RemoteApplyStatus.Rejected, [], applied, reason);
                }

                continue;
            }

            applied++;
            foreach (var child in pending.Release(next.Id))
            {
                session.Released.Add(child);
                ready.Enqueue(child);
            }
        }

        return new RemoteApplyResult(RemoteApplyStatus.Applied, [], applied);
    }

    /// <summary>
    /// Remote ops of one context folded into one transaction: the CRDT overlay sees earlier ops of
    /// the batch, ids and heads are tracked in memory, and everything lands in one store batch.
    /// </summary>
    private sealed class RemoteSession(ContextManager manager, ContextId contextId)
    {
        private readonly List<ContextOp> _applied = [];
        private readonly HashSet<Hash> _appliedIds = [];
        private CrdtTransaction? _transaction;
        private HashSet<Hash>? _heads;

        public ContextRecord? Context { get; } = manager.Get(contextId);

        /// <summary>An artifact failed to apply: the shared overlay can no longer be trusted.</summary>
        public bool Failed { get; private set; }

        /// <summary>Ops this session took out of the pending buffer.</summary>
        public List<ContextOp> Released { get; } = [];

        public bool Knows(Hash id) => _appliedIds.Contains(id) || ContextOpLog.Contains(manager._store, contextId, id);

        /// <summary>Folds one op whose parents are all known; returns why not if it cannot.</summary>
        public string? Apply(ContextOp op)
        {
            CrdtDelta delta;
            try
            {
                delta = CrdtDelta.Decode(op.Artifact);
            }
            catch (Exception ex) when (ex is BorshException or ArgumentException or FormatException or InvalidDataException)
            {
                return $"malformed artifact: {ex.Message}";
            }

            try
            {
                manager._clock.Observe(op.Hlc);
            }
            catch (ClockDriftException ex)
            {
                return ex.Message;
            }

            _transaction ??= new CrdtTransaction(manager._store, contextId, op.Author, manager._clock);
            _heads ??= [.. manager.HeadsOf(contextId)];
            try
            {
                _transaction.Apply(delta);
            }
            catch (Exception ex) when (ex is BorshException or ArgumentException or InvalidOperationException or InvalidDataException)
            {
                Failed = true;
                return $"the artifact does not apply: {ex.Message}";
            }

            _heads.ExceptWith(op.Parents);
            _heads.Add(op.Id);
            _applied.Add(op);
            _appliedIds.Add(op.Id);
            return null;
        }

        public void Commit()
        {
            if (_applied.Count == 0 || Failed || Context is null)
            {
                return;
            }

            using var batch = manager._store.CreateBatch();
            var commit = _transaction!.Commit(batch);
            foreach (var op in _applied)
            {
                ContextOpLog.Put(batch, op);
            }

            ContextOpLog.PutHeads(batch, contextId, _heads!);
            batch.Put(Column.Context, contextId.AsSpan(), (Context with { RootHash = commit.RootHash }).Encode());
            manager._store.Commit(batch);
            manager.CommitHeads(contextId, _heads!);

            // Same ops as the last author had: its root must be ours; otherwise the engines disagree.
            // Not so while leaves merged by a tree sync are ahead of our DAG, or the author's were
            // (it then claims no root).
            var last = _applied[^1];
            if (_heads!.Count == 1 && _heads.Contains(last.Id) && last.RootHash != default && commit.RootHash != last.RootHash && !manager._mergedAheadOfDag.Contains(contextId))
            {
                manager.RootMismatches++;
                LogRootMismatch(manager._logger, contextId.ToString(), last.Id.ToString(), last.RootHash.ToString(), commit.RootHash.ToString());
            }

            foreach (var op in _applied)
            {
                manager._events?.Publish(new ContextEvent(contextId, commit.RootHash, [.. op.Events.Select(e => new AppEvent(e.Kind, e.Data, e.Handler))]));
                foreach (var handled in op.Events.Where(e => e.Handler is not null))
                {
                    manager.QueueHandler(contextId, handled);
                }
            }
        }
    }

    /// <summary>
    /// Receivers (never the author) run an event's handler method with the event data as input,
    /// later, through the mailbox, as this node's member. A local side effect of applying: its
    /// failure is only logged and never affects the op.
    /// </summary>
    private void QueueHandler(ContextId contextId, OpEvent handled) =>
        QueueFollowUp(
            new ExecuteCommand(contextId, handled.Handler!, handled.Data, null, CancellationToken.None),
            reason => LogHandlerFailed(_logger, contextId.ToString(), handled.Handler!, reason));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Discarded the state changes of {Executor} on {ContextId}: {Verdict}")]
    private static partial void LogLocalWriteDiscarded(ILogger logger, string contextId, string executor, string verdict);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Remote op {OpId} on {ContextId} rejected: {Reason}")]
    private static partial void LogRemoteOpRejected(ILogger logger, string contextId, string opId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Root mismatch on {ContextId} after op {OpId}: author says {AuthorRoot}, we have {OurRoot}")]
    private static partial void LogRootMismatch(ILogger logger, string contextId, string opId, string authorRoot, string ourRoot);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event handler {Handler} on {ContextId} failed: {Reason}")]
    private static partial void LogHandlerFailed(ILogger logger, string contextId, string handler, string reason);

    /// <summary>
    /// Applies the waiting ops whose missing parents have become known without being applied (a
    /// snapshot or tree sync contains them): one lookup per awaited parent, however large the install.
    /// </summary>
    private void ReleaseKnownParents(ContextId contextId)
    {
        if (!_pending.TryGetValue(contextId, out var pending))
        {
            return;
        }

        foreach (var parent in pending.AwaitedParents)
        {
            if (ContextOpLog.Contains(_store, contextId, parent))
            {
                foreach (var child in pending.Release(parent))
                {
                    ApplyRemote(child);
                }
            }
        }
    }

    /// <summary>Remote ops waiting for parents, indexed both ways.</summary>
    private sealed class PendingOps
    {
        private readonly Dictionary<Hash, (ContextOp Op, int Missing)> _ops = [];
        private readonly Dictionary<Hash, List<Hash>> _waitingOn = [];

        public int Count => _ops.Count;

        public bool Contains(Hash id) => _ops.ContainsKey(id);

        /// <summary>Every parent some waiting op still lacks.</summary>
        public IReadOnlyList<Hash> AwaitedParents => [.. _waitingOn.Keys];

        public void Add(ContextOp op, IReadOnlyList<Hash> missing)
        {
            _ops[op.Id] = (op, missing.Count);
            foreach (var parent in missing)
            {
                if (!_waitingOn.TryGetValue(parent, out var children))
                {
                    _waitingOn[parent] = children = [];
                }

                children.Add(op.Id);
            }
        }

        /// <summary>Marks <paramref name="parent"/> known and returns the ops that now have every parent.</summary>
        public IReadOnlyList<ContextOp> Release(Hash parent)
        {
            if (!_waitingOn.Remove(parent, out var children))
            {
                return [];
            }

            var ready = new List<ContextOp>();
            foreach (var child in children)
            {
                if (_ops.TryGetValue(child, out var entry))
                {
                    if (entry.Missing <= 1)
                    {
                        _ops.Remove(child);
                        ready.Add(entry.Op);
                    }
                    else
                    {
                        _ops[child] = (entry.Op, entry.Missing - 1);
                    }
                }
            }

            return ready;
        }
    }
}

internal sealed record ApplyRemoteOpsCommand(IReadOnlyList<ContextOp> Ops, CancellationToken Token) : ContextCommand<RemoteApplyResult[]>;
