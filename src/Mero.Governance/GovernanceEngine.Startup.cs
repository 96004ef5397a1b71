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

        // Keys arrive in clear root ops or inside sealed rotations opened by earlier keys: open until no progress.
        var opened = new GroupOp?[log.Count];
        bool progress;
        do
        {
            progress = false;
            for (var i = 0; i < log.Count; i++)
            {
                var envelope = log[i].Envelope;
                if (opened[i] is null && envelope.Open(envelope.IsSealed ? _keyring.Cipher(envelope.SealedKeyId) : null) is { } op)
                {
                    opened[i] = op;
                    Harvest(op);
                    progress = true;
                }
            }
        }
        while (progress);

        for (var i = 0; i < log.Count; i++)
        {
            var envelope = log[i].Envelope;
            var op = opened[i] ?? throw new InvalidDataException($"op log entry {log[i].Sequence} ({envelope.Id}) cannot be opened with the stored keys");
            _dag.Restore(envelope);
            var generation = envelope.Parents.Count == 0 ? 0UL : envelope.Parents.Max(p => _applied[p].Generation) + 1;
            _applied[envelope.Id] = new AppliedOp(envelope, op, generation);
            _order.Add(new FoldKey(generation, envelope.Id));
            _nextSequence = log[i].Sequence + 1;
        }

        _state = FoldAll(_order.Select(k => _applied[k.Id]));
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
