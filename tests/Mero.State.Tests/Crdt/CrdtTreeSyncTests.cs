using System.Text;
using CsCheck;
using Mero.Primitives.Clock;
using Mero.State.Crdt;
using Mero.Store;
using Xunit;

namespace Mero.State.Tests.Crdt;

/// <summary>
/// Hash-tree comparison: two replicas of one context, each in its own store, walk their trees
/// down only where hashes differ and exchange the differing leaves; the leaf merge is state-based.
/// </summary>
public sealed class CrdtTreeSyncTests : IDisposable
{
    private static readonly ContextId Context = ContextId.FromBytes(Enumerable.Repeat((byte)7, 32).ToArray());
    private readonly List<TreeReplica> _replicas = [];

    public void Dispose()
    {
        foreach (var replica in _replicas)
        {
            replica.Dispose();
        }
    }

    [Fact]
    public void Divergent_replicas_reconciled_leaf_wise_end_with_the_root_delta_sync_gives() =>
        Gen.Int[0, int.MaxValue].Sample(
            seed => WithReplicas(open =>
            {
                var random = new Random(seed);
                var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
                var a = open(Keys.Random(random), time);
                var b = open(Keys.Random(random), time);
                var reference = open(Keys.Random(random), time);
                var common = Enumerable.Range(0, 10).Select(_ => a.Execute(t => RandomWorkload.RandomOp(t, random, withText: true))).ToList();
                foreach (var delta in common)
                {
                    b.Apply(delta);
                    reference.Apply(delta);
                }

                // Concurrent histories: each side never sees the other's ops.
                var deltas = new List<byte[]>();
                for (var i = 0; i < 25; i++)
                {
                    time.Advance(TimeSpan.FromMilliseconds(random.Next(0, 3)));
                    deltas.Add((random.Next(2) == 0 ? a : b).Execute(t => RandomWorkload.RandomOp(t, random, withText: true)));
                }

                foreach (var delta in deltas)
                {
                    reference.Apply(delta);
                }

                var diverged = a.Root != b.Root;
                var (toA, toB) = Reconcile(a, b);
                Assert.Equal(diverged, toA + toB > 0);
                Assert.Equal(a.Root, b.Root);
                Assert.Equal(reference.Root, a.Root);
                Assert.Equal(reference.Read(RandomWorkload.Snapshot), a.Read(RandomWorkload.Snapshot));
                Assert.Equal(reference.Read(RandomWorkload.Snapshot), b.Read(RandomWorkload.Snapshot));

                // A second pass finds nothing to exchange.
                Assert.Equal((0, 0), Reconcile(a, b));
            }),
            iter: 30);

    [Fact]
    public void Identical_trees_compare_at_the_root_and_exchange_nothing()
    {
        var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        var a = New(Keys.Ordered(1), time);
        var b = New(Keys.Ordered(2), time);
        var delta = a.Execute(t =>
        {
            t.Write("k"u8, "v"u8);
            t.MapInsert(t.Child(CollectionRef.Root, "m"u8, CrdtKind.Map), "x"u8, "1"u8);
        });
        b.Apply(delta);

        var nodeA = a.Read(t => t.ReadTreeNode(default))!;
        var nodeB = b.Read(t => t.ReadTreeNode(default))!;
        Assert.Equal(a.Root, nodeA.Hash);
        Assert.Equal(nodeA.Hash, nodeB.Hash);
        Assert.Equal(2, nodeA.Children.Count);
        Assert.Single(nodeA.Children, c => c.IsCollection && c.Kind == CrdtKind.Map);
        Assert.Single(nodeA.Children, c => !c.IsCollection && c.Key.AsSpan().SequenceEqual("k"u8));
        Assert.Equal((0, 0), Reconcile(a, b));
        Assert.Null(a.Read(t => t.ReadTreeNode(Hash.FromBytes(Enumerable.Repeat((byte)9, 32).ToArray()))));
    }

    [Fact]
    public void Counters_merge_per_executor_slot_and_never_double_count()
    {
        var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        var a = New(Keys.Ordered(1), time);
        var b = New(Keys.Ordered(2), time);
        static CollectionRef Hits(CrdtTransaction t) => t.Child(CollectionRef.Root, "hits"u8, CrdtKind.Counter);
        a.Execute(t => t.CounterIncrement(Hits(t), 5));
        b.Execute(t => t.CounterIncrement(Hits(t), 3));
        b.Execute(t => t.CounterDecrement(Hits(t), 1));

        Reconcile(a, b);
        Assert.Equal(7, a.Read(t => t.CounterValue(Hits(t))));
        Assert.Equal(7, b.Read(t => t.CounterValue(Hits(t))));

        // Every leaf of b merged into a again, twice: same value, same root.
        var root = a.Root;
        var leaves = b.Read(t => t.ReadSubtreeLeaves(default));
        Assert.False(a.Merge(leaves));
        Assert.False(a.Merge(leaves));
        Assert.Equal(root, a.Root);
        Assert.Equal(7, a.Read(t => t.CounterValue(Hits(t))));

        // A newer total of b's slot replaces the older one, in either order.
        b.Execute(t => t.CounterIncrement(Hits(t), 10));
        var newer = b.Read(t => t.ReadSubtreeLeaves(default));
        Assert.True(a.Merge(newer));
        Assert.False(a.Merge(leaves));
        Assert.Equal(17, a.Read(t => t.CounterValue(Hits(t))));
    }

    [Fact]
    public void Leaf_merge_is_commutative_and_idempotent() =>
        Gen.Int[0, int.MaxValue].Sample(
            seed => WithReplicas(open =>
            {
                var random = new Random(seed);
                var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
                var sources = Enumerable.Range(0, 3).Select(_ => open(Keys.Random(random), time)).ToList();
                foreach (var source in sources)
                {
                    for (var i = 0; i < 12; i++)
                    {
                        time.Advance(TimeSpan.FromMilliseconds(random.Next(0, 2)));
                        source.Execute(t => RandomWorkload.RandomOp(t, random, withText: true));
                    }
                }

                var leaves = sources.SelectMany(s => s.Read(t => t.ReadSubtreeLeaves(default))).ToList();
                var forward = open(Keys.Random(random), time);
                var backward = open(Keys.Random(random), time);
                var shuffled = open(Keys.Random(random), time);
                forward.Merge(leaves);
                backward.Merge([.. Enumerable.Reverse(leaves)]);
                shuffled.Merge([.. leaves.OrderBy(_ => random.Next())]);
                Assert.Equal(forward.Root, backward.Root);
                Assert.Equal(forward.Root, shuffled.Root);
                Assert.Equal(forward.Read(RandomWorkload.Snapshot), shuffled.Read(RandomWorkload.Snapshot));

                var root = forward.Root;
                var records = forward.StoredRecords;
                Assert.False(forward.Merge(leaves));
                Assert.Equal(root, forward.Root);
                Assert.Equal(records, forward.StoredRecords);
            }),
            iter: 25);

    [Fact]
    public void A_removed_map_key_wins_over_older_nested_leaves_and_its_watermark_travels_with_the_key()
    {
        var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        var a = New(Keys.Ordered(1), time);
        var b = New(Keys.Ordered(2), time);
        static CollectionRef Users(CrdtTransaction t) => t.Child(CollectionRef.Root, "users"u8, CrdtKind.Map);
        static CollectionRef Profile(CrdtTransaction t) => t.Child(Users(t), "alice"u8, CrdtKind.Map);
        b.Apply(a.Execute(t => t.MapInsert(Profile(t), "name"u8, "Alice"u8)));

        // b removes alice's profile and writes the key again; a never saw either.
        time.Advance(TimeSpan.FromMilliseconds(5));
        b.Execute(t => t.MapRemove(Users(t), "alice"u8));
        time.Advance(TimeSpan.FromMilliseconds(5));
        b.Execute(t => t.MapInsert(Users(t), "alice"u8, "back"u8));

        Reconcile(a, b);
        Assert.Equal(a.Root, b.Root);
        Assert.Null(a.Read(t => t.MapGet(Profile(t), "name"u8)));
        Assert.Equal("back"u8.ToArray(), a.Read(t => t.MapGet(Users(t), "alice"u8)));
    }

    [Fact]
    public void Concurrently_edited_texts_merge_by_state_and_a_second_merge_changes_nothing()
    {
        var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        var a = New(Keys.Ordered(1), time);
        var b = New(Keys.Ordered(2), time);
        static CollectionRef Doc(CrdtTransaction t) => t.Child(CollectionRef.Root, "doc"u8, CrdtKind.Text);
        b.Apply(a.Execute(t => t.TextInsert(Doc(t), 0, "hello")));
        time.Advance(TimeSpan.FromMilliseconds(1));
        a.Execute(t => t.TextInsert(Doc(t), 5, " world"));
        b.Execute(t => t.TextInsert(Doc(t), 0, ">> "));
        b.Execute(t => t.TextDelete(Doc(t), 3, 1));

        Reconcile(a, b);
        Assert.Equal(a.Root, b.Root);
        Assert.Equal(">> ello world", a.Read(t => t.TextGet(Doc(t))));
        Assert.Equal(">> ello world", b.Read(t => t.TextGet(Doc(t))));

        var root = a.Root;
        var leaves = b.Read(t => t.ReadSubtreeLeaves(default));
        var text = Assert.Single(leaves, l => l.IsText);
        Assert.Equal([Keys.Ordered(1), Keys.Ordered(2)], text.Writers().Order());
        Assert.False(a.Merge(leaves));
        Assert.Equal(root, a.Root);

        // A text that exists on one side only arrives whole.
        var c = New(Keys.Ordered(3), time);
        c.Merge(leaves);
        Assert.Equal(root, c.Root);
        Assert.Equal(">> ello world", c.Read(t => t.TextGet(Doc(t))));
    }

    [Fact]
    public void An_empty_collection_is_created_on_the_other_side()
    {
        var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        var a = New(Keys.Ordered(1), time);
        var b = New(Keys.Ordered(2), time);
        var created = default(CollectionRef);
        a.Execute(t => created = t.Create(CrdtKind.Set));
        Assert.NotEqual(a.Root, b.Root);

        Reconcile(a, b);
        Assert.Equal(a.Root, b.Root);
        Assert.True(b.Read(t => t.Exists(created)));
    }

    public static TheoryData<string, string> HostileLeaves() => new()
    {
        { "root-kind", "cannot be nested" },
        { "unknown-kind", "cannot be nested" },
        { "nested-in-set", "nests in a Set" },
        { "too-deep", "nests deeper" },
        { "oversize-key", "exceeds the limit" },
        { "oversize-name", "over 16384 bytes" },
        { "oversize-record", "exceeds the limit" },
        { "short-record", "shorter than" },
        { "bad-flags", "unknown flags" },
        { "no-time", "no timestamp" },
        { "counter-shape", "counter leaf" },
        { "counter-tombstone", "counter leaf" },
        { "vector-key", "vector leaf" },
        { "register-key", "register leaf" },
        { "text", "does not decode" },
        { "text-key", "whole state under the empty key" },
        { "other-context", "cannot merge into context" },
        { "future", "too far ahead" },
        { "record-without-key", "carries no record" },
        { "key-without-record", "needs a record" },
        { "removal-on-set", "only a map entry" },
        { "pinned-kind-clash", "is a Map, not a Set" },
    };

    [Theory]
    [MemberData(nameof(HostileLeaves))]
    public void Hostile_leaves_are_refused_with_a_clear_error_and_change_nothing(string name, string expected)
    {
        var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        var victim = New(Keys.Ordered(1), time);
        var pinned = Hash.FromBytes(Enumerable.Repeat((byte)3, 32).ToArray());
        victim.Execute(t =>
        {
            t.Write("k"u8, "v"u8);
            t.MapInsert(t.CreateWithId(CrdtKind.Map, pinned), "x"u8, "1"u8);
        });
        var root = victim.Root;
        var records = victim.StoredRecords;
        var stamp = new HybridTimestamp(HybridTimestamp.Pack(1_700_000_000_000, 0), Keys.Ordered(2));
        byte[] Record(ReadOnlySpan<byte> value, bool tombstone = false) => CrdtLeaf.EncodeRecord(stamp, tombstone, value);
        CrdtLeaf Leaf(IReadOnlyList<CrdtPathStep> path, byte[]? key, byte[]? record) => new(Context, path, key, record);
        var map = new CrdtPathStep(CrdtKind.Map, "m"u8.ToArray());
        var pinnedName = new byte[33];
        pinnedName[0] = 0xFF;
        pinned.AsSpan().CopyTo(pinnedName.AsSpan(1));
        var leaf = name switch
        {
            "root-kind" => Leaf([new CrdtPathStep(CrdtKind.Root, [])], "x"u8.ToArray(), Record("1"u8)),
            "unknown-kind" => Leaf([new CrdtPathStep((CrdtKind)9, "m"u8.ToArray())], "x"u8.ToArray(), Record("1"u8)),
            "nested-in-set" => Leaf([new CrdtPathStep(CrdtKind.Set, "s"u8.ToArray()), map], "x"u8.ToArray(), Record("1"u8)),
            "too-deep" => Leaf([.. Enumerable.Repeat(map, 17)], "x"u8.ToArray(), Record("1"u8)),
            "oversize-key" => Leaf([map], new byte[CrdtLeaf.MaxItemKeyBytes + 1], Record("1"u8)),
            "oversize-name" => Leaf([new CrdtPathStep(CrdtKind.Map, new byte[CrdtLeaf.MaxNameBytes + 1])], "x"u8.ToArray(), Record("1"u8)),
            "oversize-record" => Leaf([map], "x"u8.ToArray(), Record(new byte[CrdtLeaf.MaxRecordBytes])),
            "short-record" => Leaf([map], "x"u8.ToArray(), new byte[40]),
            "bad-flags" => Leaf([map], "x"u8.ToArray(), Flagged(Record("1"u8), 2)),
            "no-time" => Leaf([map], "x"u8.ToArray(), CrdtLeaf.EncodeRecord(new HybridTimestamp(0, Keys.Ordered(2)), false, "1"u8)),
            "counter-shape" => Leaf([new CrdtPathStep(CrdtKind.Counter, "c"u8.ToArray())], new byte[33], Record("1"u8)),
            "counter-tombstone" => Leaf([new CrdtPathStep(CrdtKind.Counter, "c"u8.ToArray())], new byte[33], Record(new byte[8], tombstone: true)),
            "vector-key" => Leaf([new CrdtPathStep(CrdtKind.Vector, "v"u8.ToArray())], new byte[40], Record("1"u8)),
            "register-key" => Leaf([new CrdtPathStep(CrdtKind.Register, "r"u8.ToArray())], "x"u8.ToArray(), Record("1"u8)),
            "text" => Leaf([new CrdtPathStep(CrdtKind.Text, "t"u8.ToArray())], [], Record("1"u8)),
            "text-key" => Leaf([new CrdtPathStep(CrdtKind.Text, "t"u8.ToArray())], "x"u8.ToArray(), Record("1"u8)),
            "other-context" => new CrdtLeaf(ContextId.FromBytes(new byte[32]), [map], "x"u8.ToArray(), Record("1"u8)),
            "future" => Leaf([map], "x"u8.ToArray(), CrdtLeaf.EncodeRecord(new HybridTimestamp(HybridTimestamp.Pack(1_800_000_000_000, 0), Keys.Ordered(2)), false, "1"u8)),
            "record-without-key" => Leaf([map], null, Record("1"u8)),
            "key-without-record" => Leaf([map], "x"u8.ToArray(), null),
            "removal-on-set" => Leaf([new CrdtPathStep(CrdtKind.Set, "s"u8.ToArray())], "x"u8.ToArray(), Record([])) with { Removed = stamp },
            "pinned-kind-clash" => Leaf([new CrdtPathStep(CrdtKind.Set, pinnedName)], "x"u8.ToArray(), Record([])),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };

        var error = Assert.Throws<CrdtException>(() => victim.MergeUncommitted(leaf, out var changes));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(root, victim.Root);
        Assert.Equal(records, victim.StoredRecords);

        // The refused leaf left the transaction clean: a good leaf after it commits alone.
        Assert.True(victim.Merge([Leaf([map], "ok"u8.ToArray(), Record("1"u8))]));
        Assert.Equal(records + 3, victim.StoredRecords);
        Assert.Equal("1"u8.ToArray(), victim.Read(t => t.MapGet(t.Child(CollectionRef.Root, "m"u8, CrdtKind.Map), "ok"u8)));
    }

    private static byte[] Flagged(byte[] record, byte flags)
    {
        record[40] = flags;
        return record;
    }

    /// <summary>
    /// Runs one sample with stores of its own, closed when it ends: CsCheck runs samples on several
    /// threads (an unsynchronised List.Add), and keeping every store open until the class ends held
    /// hundreds of RocksDB instances (and their preallocated logs) at once.
    /// </summary>
    private static void WithReplicas(Action<Func<PublicKey, TimeProvider, TreeReplica>> body)
    {
        var replicas = new List<TreeReplica>();
        try
        {
            body((executor, time) =>
            {
                var replica = new TreeReplica(executor, time);
                replicas.Add(replica);
                return replica;
            });
        }
        finally
        {
            foreach (var replica in replicas)
            {
                replica.Dispose();
            }
        }
    }

    private TreeReplica New(PublicKey executor, TimeProvider time)
    {
        var replica = new TreeReplica(executor, time);
        _replicas.Add(replica);
        return replica;
    }

    /// <summary>The comparison walk: descend where hashes differ, exchange the differing leaves. Returns leaves merged into a and into b.</summary>
    private static (int ToA, int ToB) Reconcile(TreeReplica a, TreeReplica b)
    {
        var toA = new List<CrdtLeaf>();
        var toB = new List<CrdtLeaf>();
        var ta = a.Begin();
        var tb = b.Begin();
        Walk(default);
        var mergedA = a.Merge(toA) ? toA.Count : 0;
        var mergedB = b.Merge(toB) ? toB.Count : 0;
        return (mergedA, mergedB);

        void Walk(Hash id)
        {
            var na = ta.ReadTreeNode(id);
            var nb = tb.ReadTreeNode(id);
            if (na is null || nb is null)
            {
                if (na is not null)
                {
                    toB.AddRange(ta.ReadSubtreeLeaves(id));
                }

                if (nb is not null)
                {
                    toA.AddRange(tb.ReadSubtreeLeaves(id));
                }

                return;
            }

            if (na.Hash == nb.Hash)
            {
                return;
            }

            var left = na.Children.ToDictionary(c => (c.IsCollection, Convert.ToHexString(c.Key)));
            var right = nb.Children.ToDictionary(c => (c.IsCollection, Convert.ToHexString(c.Key)));
            foreach (var key in left.Keys.Union(right.Keys))
            {
                left.TryGetValue(key, out var l);
                right.TryGetValue(key, out var r);
                if (l is not null && r is not null && l.Hash == r.Hash)
                {
                    continue;
                }

                var child = (l ?? r)!;
                if (child.IsCollection)
                {
                    Walk(Hash.FromBytes(child.Key));
                    continue;
                }

                if (ta.ReadLeaf(id, child.Key) is { } la)
                {
                    toB.Add(la);
                }

                if (tb.ReadLeaf(id, child.Key) is { } lb)
                {
                    toA.Add(lb);
                }
            }
        }
    }

    /// <summary>A replica of <see cref="Context"/> in a store of its own.</summary>
    private sealed class TreeReplica(PublicKey executor, TimeProvider time) : IDisposable
    {
        private readonly CrdtStore _store = new();

        public HybridLogicalClock Clock { get; } = new(executor, time, TimeSpan.FromDays(365));

        public Hash Root { get; private set; }

        public int StoredRecords => _store.Store.Scan(Column.State, Context.ToArray()).Count();

        public CrdtTransaction Begin() => new(_store.Store, Context, executor, Clock);

        public byte[] Execute(Action<CrdtTransaction> body)
        {
            var transaction = Begin();
            body(transaction);
            return Commit(transaction).Delta.Encode();
        }

        public void Apply(byte[] delta)
        {
            var transaction = Begin();
            transaction.Apply(delta);
            Commit(transaction);
        }

        public bool Merge(IReadOnlyList<CrdtLeaf> leaves)
        {
            var transaction = Begin();
            var changed = false;
            foreach (var leaf in leaves)
            {
                changed |= transaction.MergeLeaf(leaf);
            }

            Commit(transaction);
            return changed;
        }

        /// <summary>Merges without committing (a refusal must leave the transaction clean).</summary>
        public void MergeUncommitted(CrdtLeaf leaf, out int changes)
        {
            var transaction = Begin();
            try
            {
                transaction.MergeLeaf(leaf);
            }
            finally
            {
                changes = transaction.ChangeCount;
                Assert.False(transaction.HasChanges, "a refused leaf changed the transaction");
            }
        }

        public T Read<T>(Func<CrdtTransaction, T> body) => body(Begin());

        public void Dispose() => _store.Dispose();

        private CrdtCommit Commit(CrdtTransaction transaction)
        {
            using var batch = _store.Store.CreateBatch();
            var commit = transaction.Commit(batch);
            _store.Store.Commit(batch);
            Root = commit.RootHash;
            return commit;
        }
    }
}
