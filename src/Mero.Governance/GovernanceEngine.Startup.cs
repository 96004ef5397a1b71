using Mero.Dag;
using Mero.Primitives;
using Mero.Store;

namespace Mero.Governance;

/// <summary>Creating a namespace and reloading one from the op log.</summary>
public sealed partial class GovernanceEngine
{
    /// <summary>
    /// Opens the engine of a namespace on this node, rebuilding the DAG, heads, keyring and state
    /// from the op log and re-offering persisted pending ops. The node's namespace identity is
    /// read from the store, or created from <paramref name="identity"/> (or freshly) and persisted.
    /// </summary>
    public static GovernanceEngine Open(MeroStore store, GroupId ns, NamespaceIdentity? identity = null, DagOptions? dagOptions = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        var identityKey = StoreLayout.Prefix(ns, StoreLayout.Identity);
        if (store.Get(Column.Group, identityKey) is { } seed)
        {
            identity = NamespaceIdentity.FromSeed(seed);
        }
        else
        {
            identity ??= NamespaceIdentity.Generate();
            using var batch = store.CreateBatch();
            batch.Put(Column.Group, identityKey, identity.Seed);
            store.Commit(batch);
        }

        var engine = new GovernanceEngine(store, ns, identity, dagOptions);
        engine.Reload();
        return engine;
    }

    /// <summary>Starts a namespace with this node's identity as founder: the parentless genesis op.</summary>
    public ApplyResult CreateNamespace(ApplicationId targetApplication, StoreBatch batch) =>
        Issue(new CreateNamespaceOp(Namespace, Identity.Agreement.PublicKey, targetApplication), batch).Result;

    private void Reload()
    {
        foreach (var (_, record) in _store.Scan(Column.Group, StoreLayout.Prefix(Namespace, StoreLayout.GroupKey)))
        {
            _keyring.Load(record);
        }

        var log = new List<(ulong Sequence, SignedGroupOp Envelope)>();
        foreach (var (key, wire) in _store.Scan(Column.Group, StoreLayout.Prefix(Namespace, StoreLayout.OpLog)))
        {
            log.Add((StoreLayout.OpLogSequence(key), SignedGroupOp.Decode(wire)));
        }

        // Every key this node holds is stored (generated here, or persisted with the op that delivered it),
        // and the materialized records are the fold of the log, so nothing needs reopening or refolding.
        foreach (var (sequence, envelope) in log)
        {
            _dag.Restore(envelope);
            var generation = envelope.Parents.Count == 0 ? 0UL : envelope.Parents.Max(p => _applied[p].Generation) + 1;
            _applied[envelope.Id] = new AppliedOp(envelope, null, generation);
            _order.Add(new FoldKey(generation, envelope.Id));
            _nextSequence = sequence + 1;
        }

        _state = new GovernanceState(Namespace);
        foreach (var (key, value) in _store.Scan(Column.Group, StoreLayout.Prefix(Namespace, StoreLayout.StateRecord)))
        {
            _state.Load(key[33..], value);
        }

        var noncePrefix = StoreLayout.Prefix(Namespace, StoreLayout.Nonce);
        foreach (var (key, value) in _store.Scan(Column.Group, noncePrefix))
        {
            _state.Nonces[PublicKey.FromBytes(key.AsSpan(noncePrefix.Length))] = BitConverter.ToUInt64(value);
        }

        _state.TrackChanges();

        var pending = _store.Scan(Column.Group, StoreLayout.Prefix(Namespace, StoreLayout.Pending)).Select(p => p.Value).ToList();
        if (pending.Count > 0)
        {
            using var batch = _store.CreateBatch();
            foreach (var wire in pending)
            {
                var envelope = SignedGroupOp.Decode(wire);
                _persistedPending.Add(envelope.Id);
                Receive(envelope, batch);
            }

            _store.Commit(batch);
        }
    }

    /// <summary>Heads as last persisted (for checking a reload against the store).</summary>
    public IReadOnlyList<Hash> PersistedHeads()
    {
        if (_store.Get(Column.Group, StoreLayout.Prefix(Namespace, StoreLayout.Heads)) is not { } bytes)
        {
            return [];
        }

        var r = new BorshReader(bytes);
        var count = r.ReadCount(32);
        var heads = new Hash[count];
        for (var i = 0; i < count; i++)
        {
            heads[i] = r.ReadId<IdKinds.Hash>();
        }

        return heads;
    }

    /// <summary>State records as materialized in RocksDB (record key → value).</summary>
    public IReadOnlyDictionary<string, string> PersistedStateRecords() =>
        _store.Scan(Column.Group, StoreLayout.Prefix(Namespace, StoreLayout.StateRecord))
            .ToDictionary(kv => Convert.ToHexString(kv.Key.AsSpan(33)), kv => Convert.ToHexString(kv.Value));

    /// <summary>Live state records in the same form, to compare against <see cref="PersistedStateRecords"/>.</summary>
    public IReadOnlyDictionary<string, string> LiveStateRecords() =>
        _state.Records.ToDictionary(kv => Convert.ToHexString(kv.Key), kv => Convert.ToHexString(kv.Value));
}
