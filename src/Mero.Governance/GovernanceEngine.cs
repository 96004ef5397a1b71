using Mero.Crypto;
using Mero.Dag;
using Mero.Primitives;
using Mero.Store;

namespace Mero.Governance;

/// <summary>
/// The governance engine of one namespace on one node: a pure state machine over signed ops.
/// Apply pipeline per op (upstream's 8 steps): cap parents, verify signature, check the state
/// hash (local ops), check the nonce, dispatch, append to the op log, recompute heads, set the
/// nonce; all writes of an op land in the caller's <see cref="StoreBatch"/>, committed as one.
///
/// Authorization runs against the state at the op's causal cut (the fold of its ancestors), so an
/// op authored before a revocation stays valid in any arrival order. The live state is the fold of
/// all accepted ops in <see cref="FoldKey"/> order, so every replica converges to the same state
/// and hash; an op arriving after a later-sorting one triggers a refold.
/// Not thread-safe: <see cref="GovernanceActor"/> owns it.
/// </summary>
public sealed partial class GovernanceEngine
{
    private readonly MeroStore _store;
    private readonly DagOptions _dagOptions;
    private readonly CausalDag<SignedGroupOp> _dag;
    private readonly Dictionary<Hash, AppliedOp> _applied = [];
    private readonly SortedSet<FoldKey> _order = [];
    private readonly Dictionary<Hash, GroupOp> _opened = [];
    private readonly Dictionary<Hash, SignedGroupOp> _sealed = [];
    private readonly HashSet<Hash> _persistedPending = [];
    private readonly Dictionary<Hash, Rejection> _rejections = [];
    private readonly Dictionary<Hash, List<(Hash KeyId, byte[] Record)>> _harvestedBy = [];
    private readonly GroupKeyring _keyring = new();
    private GovernanceState _state;
    private ulong _nextSequence;
    private StoreBatch? _batch;
    private Hash? _localOp;
    private (Hash KeyId, byte[] Key, GroupId Group)? _localNewKey;

    private GovernanceEngine(MeroStore store, GroupId ns, NamespaceIdentity identity, DagOptions? dagOptions)
    {
        _store = store;
        Namespace = ns;
        Identity = identity;
        _dagOptions = dagOptions ?? new DagOptions();
        _dag = new CausalDag<SignedGroupOp>(_dagOptions);
        _state = new GovernanceState(ns);
        _state.TrackChanges();
    }

    public GroupId Namespace { get; }

    public NamespaceIdentity Identity { get; }

    /// <summary>The live folded state. Read-only for callers.</summary>
    public GovernanceState State => _state;

    public Hash StateHash => _state.Hash;

    public IReadOnlyCollection<Hash> Heads => _dag.Heads;

    public int AppliedCount => _applied.Count;

    /// <summary>Ops waiting for parents plus ops waiting for a group key.</summary>
    public int PendingCount => _dag.PendingCount + _sealed.Count;

    public bool HoldsKeyFor(GroupId group) => _keyring.Latest(group) is not null;

    public IEnumerable<SignedGroupOp> AppliedOps => _order.Select(k => _applied[k.Id].Envelope);

    /// <summary>
    /// Offers a received envelope: malformed, foreign, forged or oversized input is refused before
    /// anything is kept; duplicates are no-ops.
    /// </summary>
    public ApplyResult Receive(byte[] wire, StoreBatch batch)
    {
        SignedGroupOp envelope;
        try
        {
            envelope = SignedGroupOp.Decode(wire);
        }
        catch (BorshException e)
        {
            return ApplyResult.Rejected(RejectCode.Malformed, e.Message);
        }

        return Receive(envelope, batch);
    }

    public ApplyResult Receive(SignedGroupOp envelope, StoreBatch batch)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        if (envelope.Namespace != Namespace)
        {
            return ApplyResult.Rejected(RejectCode.WrongNamespace, $"op belongs to namespace {envelope.Namespace}");
        }

        if (_applied.ContainsKey(envelope.Id) || _opened.ContainsKey(envelope.Id) || _sealed.ContainsKey(envelope.Id))
        {
            return ApplyResult.Duplicate;
        }

        // Step 1: parents are capped before any expensive work.
        if (envelope.Parents.Count > _dagOptions.MaxParents)
        {
            return ApplyResult.Rejected(RejectCode.TooManyParents, $"{envelope.Parents.Count} parents exceed the cap of {_dagOptions.MaxParents}");
        }

        // Step 2: the signature covers the ciphertext, so it is checked before anything is opened or kept.
        if (!envelope.VerifySignature())
        {
            return ApplyResult.Rejected(RejectCode.BadSignature, $"signature by {envelope.Signer} does not verify");
        }

        return Offer(envelope, batch);
    }

    private ApplyResult Offer(SignedGroupOp envelope, StoreBatch batch)
    {
        GroupOp? op;
        try
        {
            op = envelope.Open(envelope.IsSealed ? _keyring.Cipher(envelope.SealedKeyId) : null);
        }
        catch (BorshException e)
        {
            return ApplyResult.Rejected(RejectCode.Malformed, $"payload: {e.Message}");
        }

        if (op is null)
        {
            if (_keyring.Get(envelope.SealedKeyId) is not null)
            {
                return ApplyResult.Rejected(RejectCode.Malformed, "sealed payload does not open under the key it names");
            }

            if (PendingCount >= _dagOptions.MaxPending)
            {
                return ApplyResult.Rejected(RejectCode.PendingFull, $"pending queue is full ({_dagOptions.MaxPending} ops waiting)");
            }

            // Sealed under a key not delivered yet: park it; a KeyDelivery to us will release it.
            _sealed[envelope.Id] = envelope;
            PersistPending(envelope, batch);
            return new ApplyResult(ApplyStatus.Pending, new(RejectCode.MissingGroupKey, $"waiting for group key {envelope.SealedKeyId}"), []);
        }

        var harvested = Harvest(op, envelope.Id);
        _opened[envelope.Id] = op;
        _batch = batch;
        DagAddResult<SignedGroupOp> added;
        try
        {
            added = _dag.Add(envelope, ApplyOne);
        }
        finally
        {
            _batch = null;
        }

        foreach (var rejected in added.Rejections)
        {
            _opened.Remove(rejected.Entry.Id);
            _harvestedBy.Remove(rejected.Entry.Id);
            if (_persistedPending.Remove(rejected.Entry.Id))
            {
                batch.Delete(Column.Group, StoreLayout.Key(Namespace, StoreLayout.Pending, rejected.Entry.Id.AsSpan()));
            }
        }

        if (added.Applied.Count > 0)
        {
            var w = new BorshWriter(8 + (32 * _dag.Heads.Count));
            w.WriteVec(_dag.Heads, static (w, h) => w.WriteId(h));
            batch.Put(Column.Group, StoreLayout.Prefix(Namespace, StoreLayout.Heads), w.WrittenSpan);
        }

        ApplyResult result;
        switch (added.Status)
        {
            case DagAddStatus.Applied:
                result = new(ApplyStatus.Applied, null, [.. added.Applied.Select(a => a.Id)]);
                break;
            case DagAddStatus.Pending:
                PersistPending(envelope, batch);
                result = ApplyResult.Pending([]);
                break;
            case DagAddStatus.Duplicate:
                result = ApplyResult.Duplicate;
                break;
            default:
                var own = added.Rejections.FirstOrDefault(r => r.Entry.Id == envelope.Id);
                var rejection = own is not null && _rejections.Remove(own.Entry.Id, out var known)
                    ? known
                    : new Rejection(added.Reason?.Contains("pending", StringComparison.Ordinal) == true ? RejectCode.PendingFull : RejectCode.TooManyParents, added.Reason ?? "rejected");
                _opened.Remove(envelope.Id);
                result = new(ApplyStatus.Rejected, rejection, [.. added.Applied.Select(a => a.Id)]);
                break;
        }

        _rejections.Clear();
        if (harvested)
        {
            ReleaseSealed(batch);
        }

        return result;
    }

    /// <summary>The DAG's apply step: steps 3-8 for one op whose parents are all applied.</summary>
    private string? ApplyOne(SignedGroupOp envelope)
    {
        var op = _opened[envelope.Id];
        var rejection = Validate(envelope, op);
        if (rejection is not null)
        {
            _rejections[envelope.Id] = rejection;
            return rejection.ToString();
        }

        var generation = envelope.Parents.Count == 0 ? 0UL : envelope.Parents.Max(p => _applied[p].Generation) + 1;
        var applied = new AppliedOp(envelope, op, generation);
        var key = new FoldKey(generation, envelope.Id);
        var isLast = _order.Count == 0 || key.CompareTo(_order.Max) > 0;
        _applied[envelope.Id] = applied;
        _opened.Remove(envelope.Id);
        _order.Add(key);

        // Step 5: dispatch. In fold order it is one incremental step; otherwise refold everything.
        Dictionary<byte[], byte[]?> changes;
        if (isLast)
        {
            Fold(_state, applied);
            changes = _state.TakeChanges();
        }
        else
        {
            var rebuilt = FoldAll(_order.Select(k => _applied[k.Id]));
            changes = _state.DiffTo(rebuilt);
            _state = rebuilt;
            _state.TrackChanges();
        }

        var batch = _batch!;
        foreach (var (recordKey, value) in changes)
        {
            var storeKey = StoreLayout.Key(Namespace, StoreLayout.StateRecord, recordKey);
            if (value is null)
            {
                batch.Delete(Column.Group, storeKey);
            }
            else
            {
                batch.Put(Column.Group, storeKey, value);
            }
        }

        // Step 6: append to the op log; step 8: record the signer's nonce.
        batch.Put(Column.Group, StoreLayout.OpLogKey(Namespace, _nextSequence++), envelope.Wire);
        batch.Put(Column.Group, StoreLayout.Key(Namespace, StoreLayout.Nonce, envelope.Signer.AsSpan()), BitConverter.GetBytes(_state.Nonces[envelope.Signer]));
        if (_persistedPending.Remove(envelope.Id))
        {
            batch.Delete(Column.Group, StoreLayout.Key(Namespace, StoreLayout.Pending, envelope.Id.AsSpan()));
        }

        // Keys delivered to this node persist with the op that carried them, so a reload need not reopen ops.
        if (_harvestedBy.Remove(envelope.Id, out var learned))
        {
            foreach (var (keyId, record) in learned)
            {
                batch.Put(Column.Group, StoreLayout.Key(Namespace, StoreLayout.GroupKey, keyId.AsSpan()), record);
            }
        }

        if (_localOp == envelope.Id && _localNewKey is { } newKey)
        {
            var record = _keyring.Add(newKey.Group, newKey.KeyId, newKey.Key);
            batch.Put(Column.Group, StoreLayout.Key(Namespace, StoreLayout.GroupKey, newKey.KeyId.AsSpan()), record ?? KeyRecord(newKey.Group, newKey.Key));
        }

        return null;
    }

    private Rejection? Validate(SignedGroupOp envelope, GroupOp op)
    {
        if (envelope.Parents.Count == 0)
        {
            if (op is not CreateNamespaceOp genesis || genesis.Namespace != Namespace)
            {
                return new(RejectCode.BadGenesis, "only the namespace's genesis op may be parentless");
            }

            return envelope.Nonce == 1 ? null : new(RejectCode.NonceGap, "the genesis op carries nonce 1");
        }

        var cut = CutState(envelope.Parents);
        var last = cut.Nonces.GetValueOrDefault(envelope.Signer);
        if (envelope.Nonce <= last)
        {
            return new(RejectCode.NonceReplayed, $"nonce {envelope.Nonce} already used by {envelope.Signer} (last {last})");
        }

        if (envelope.Nonce != last + 1)
        {
            return new(RejectCode.NonceGap, $"nonce {envelope.Nonce} skips ahead of {last + 1}");
        }

        // Step 3: a local op is an optimistic lock on the state its author saw.
        if (_localOp == envelope.Id && envelope.StateHash != _state.Hash)
        {
            return new(RejectCode.StaleStateHash, $"op was built against state {envelope.StateHash}, current is {_state.Hash}");
        }

        return Authorizer.Check(cut, envelope.Signer, op);
    }

    /// <summary>The state at a causal cut: the live state when the cut is every head, else a fold of the ancestors.</summary>
    private GovernanceState CutState(IReadOnlyList<Hash> parents)
    {
        if (parents.Count == _dag.Heads.Count && parents.SequenceEqual(_dag.Heads))
        {
            return _state;
        }

        var ancestors = new HashSet<Hash>();
        var stack = new Stack<Hash>(parents);
        while (stack.TryPop(out var id))
        {
            if (ancestors.Add(id))
            {
                foreach (var parent in _applied[id].Envelope.Parents)
                {
                    stack.Push(parent);
                }
            }
        }

        return FoldAll(ancestors.Select(id => _applied[id]).OrderBy(a => new FoldKey(a.Generation, a.Envelope.Id)));
    }

    private GroupOp OpOf(AppliedOp applied)
    {
        var envelope = applied.Envelope;
        return applied.Op ??= envelope.Open(envelope.IsSealed ? _keyring.Cipher(envelope.SealedKeyId) : null)
            ?? throw new InvalidDataException($"applied op {envelope.Id} cannot be opened: its group key {envelope.SealedKeyId} is not stored");
    }

    private GovernanceState FoldAll(IEnumerable<AppliedOp> ordered)
    {
        var state = new GovernanceState(Namespace);
        foreach (var applied in ordered)
        {
            Fold(state, applied);
        }

        return state;
    }

    private void Fold(GovernanceState state, AppliedOp applied)
    {
        Effects.Apply(state, applied.Envelope.Signer, OpOf(applied));
        var signer = applied.Envelope.Signer;
        state.Nonces[signer] = Math.Max(state.Nonces.GetValueOrDefault(signer), applied.Envelope.Nonce);
    }

    private void PersistPending(SignedGroupOp envelope, StoreBatch batch)
    {
        if (_persistedPending.Add(envelope.Id))
        {
            batch.Put(Column.Group, StoreLayout.Key(Namespace, StoreLayout.Pending, envelope.Id.AsSpan()), envelope.Wire);
        }
    }

    /// <summary>Unwraps any key envelopes addressed to this node. Returns whether a new key was learned.</summary>
    private bool Harvest(GroupOp op, Hash? carriedBy = null)
    {
        var (group, envelopes) = op switch
        {
            CreateGroupOp o => (o.Group, o.Keys),
            RemoveMemberOp o => (o.Group, o.Keys),
            KeyDeliveryOp o => (o.Group, o.Keys),
            _ => (default, (IReadOnlyList<KeyEnvelope>)[]),
        };
        var learned = false;
        foreach (var envelope in envelopes)
        {
            if (envelope.Recipient != Identity.PublicKey || _keyring.Get(envelope.KeyId) is not null)
            {
                continue;
            }

            var key = KeyWrap.Unwrap(Identity.Agreement, envelope.Wrapped, GroupKeyring.WrapContext(Namespace, group, envelope.KeyId));
            if (key is not null && _keyring.Add(group, envelope.KeyId, key) is { } record)
            {
                learned = true;
                if (carriedBy is { } id)
                {
                    if (!_harvestedBy.TryGetValue(id, out var list))
                    {
                        _harvestedBy[id] = list = [];
                    }

                    list.Add((envelope.KeyId, record));
                }
            }
        }

        return learned;
    }

    private void ReleaseSealed(StoreBatch batch)
    {
        var ready = _sealed.Values.Where(e => _keyring.Get(e.SealedKeyId) is not null).ToList();
        foreach (var envelope in ready)
        {
            _sealed.Remove(envelope.Id);
            Offer(envelope, batch);
        }
    }

    private static byte[] KeyRecord(GroupId group, byte[] key)
    {
        var w = new BorshWriter(80);
        w.WriteId(group).WriteU64(0).WriteFixed(key);
        return w.ToArray();
    }
}
