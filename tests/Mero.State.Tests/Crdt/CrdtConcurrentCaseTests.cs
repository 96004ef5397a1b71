using System.Text;
using Mero.State.Crdt;
using Xunit;

namespace Mero.State.Tests.Crdt;

/// <summary>The concurrent cases docs/crdt.md describes, one test each, with exact outcomes.</summary>
public sealed class CrdtConcurrentCaseTests : IDisposable
{
    private readonly CrdtStore _store = new();
    private readonly ManualTimeProvider _time = new(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));

    public void Dispose() => _store.Dispose();

    [Fact]
    public void EmptyContextHasZeroRootAndAWriteChangesIt()
    {
        var a = Replica(1);
        Assert.Equal(default, a.Read(t => t.RootHash()));
        a.Execute(t => t.Write("k"u8, "v"u8));
        Assert.NotEqual(default, a.Root);
        Assert.Equal("v"u8.ToArray(), a.Read(t => t.Read("k"u8)));
    }

    [Fact]
    public void RemovingEveryEntryKeepsTombstonesSoTheRootIsNotEmpty()
    {
        var a = Replica(1);
        a.Execute(t => t.Write("k"u8, "v"u8));
        a.Execute(t => Assert.Equal("v"u8.ToArray(), t.Remove("k"u8)));
        Assert.Null(a.Read(t => t.Read("k"u8)));
        Assert.NotEqual(default, a.Root);
    }

    [Fact]
    public void PutVersusRemoveOfOneKeyTheLaterStampWins()
    {
        var a = Replica(1);
        var b = Replica(2);
        var m = (CrdtTransaction t) => t.Child(CollectionRef.Root, "m"u8, CrdtKind.Map);
        var seed = a.Execute(t => t.MapInsert(m(t), "k"u8, "old"u8));
        b.Apply(seed);

        // Concurrent: b removes first (earlier stamp), a puts later.
        var remove = b.Execute(t => t.MapRemove(m(t), "k"u8));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var put = a.Execute(t => t.MapInsert(m(t), "k"u8, "new"u8));
        a.Apply(remove);
        b.Apply(put);
        Assert.Equal("new"u8.ToArray(), a.Read(t => t.MapGet(m(t), "k"u8)));
        Assert.Equal("new"u8.ToArray(), b.Read(t => t.MapGet(m(t), "k"u8)));
        Assert.Equal(a.Root, b.Root);

        // And the other way round: a later remove beats an earlier put.
        var put2 = a.Execute(t => t.MapInsert(m(t), "k"u8, "newer"u8));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var remove2 = b.Execute(t => t.MapRemove(m(t), "k"u8));
        a.Apply(remove2);
        b.Apply(put2);
        Assert.Null(a.Read(t => t.MapGet(m(t), "k"u8)));
        Assert.Null(b.Read(t => t.MapGet(m(t), "k"u8)));
        Assert.Equal(0, b.Read(t => t.MapLength(m(t))));
        Assert.Equal(a.Root, b.Root);
    }

    [Fact]
    public void EqualTimesAreBrokenByTheNodeKey()
    {
        var low = Replica(1);
        var high = Replica(2);
        var x = low.Execute(t => t.Write("k"u8, "low"u8));
        var y = high.Execute(t => t.Write("k"u8, "high"u8));
        low.Apply(y);
        high.Apply(x);
        Assert.Equal("high"u8.ToArray(), low.Read(t => t.Read("k"u8)));
        Assert.Equal(low.Root, high.Root);
    }

    [Fact]
    public void ConcurrentInsertsAtTheSameIndexKeepBothInOneOrder()
    {
        var a = Replica(1);
        var b = Replica(2);
        var doc = (CrdtTransaction t) => t.Child(CollectionRef.Root, "doc"u8, CrdtKind.Text);
        b.Apply(a.Execute(t => t.TextInsert(doc(t), 0, "ac")));
        var fromA = a.Execute(t => t.TextInsert(doc(t), 1, "X"));
        var fromB = b.Execute(t => t.TextInsert(doc(t), 1, "Y"));
        a.Apply(fromB);
        b.Apply(fromA);
        var text = a.Read(t => t.TextGet(doc(t)));
        Assert.Equal(text, b.Read(t => t.TextGet(doc(t))));
        Assert.True(text is "aXYc" or "aYXc", text);
        Assert.Equal(a.Root, b.Root);
    }

    [Fact]
    public void ConcurrentInsertsAtOnePositionAreOrderedByTheirHlcTimesNotByReplicaKey()
    {
        var low = Replica(1);
        var high = Replica(2);
        var doc = (CrdtTransaction t) => t.Child(CollectionRef.Root, "doc"u8, CrdtKind.Text);
        high.Apply(low.Execute(t => t.TextInsert(doc(t), 0, "ac")));

        // The higher key types first (earlier HLC time): its char goes first although its key is greater.
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var first = high.Execute(t => t.TextInsert(doc(t), 1, "H"));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var second = low.Execute(t => t.TextInsert(doc(t), 1, "L"));
        low.Apply(first);
        high.Apply(second);
        Assert.Equal("aHLc", low.Read(t => t.TextGet(doc(t))));
        Assert.Equal("aHLc", high.Read(t => t.TextGet(doc(t))));
        Assert.Equal(low.Root, high.Root);

        // Same times: the replica key decides (low first).
        var x = low.Execute(t => t.TextInsert(doc(t), 0, "x"));
        var y = high.Execute(t => t.TextInsert(doc(t), 0, "y"));
        low.Apply(y);
        high.Apply(x);
        Assert.StartsWith("xy", low.Read(t => t.TextGet(doc(t))), StringComparison.Ordinal);
        Assert.Equal(low.Root, high.Root);
    }

    [Fact]
    public void ATextActionWhoseCharactersAreStampedAfterItIsRefused()
    {
        var a = Replica(1);
        var doc = (CrdtTransaction t) => t.Child(CollectionRef.Root, "doc"u8, CrdtKind.Text);
        var delta = CrdtDelta.Decode(a.Execute(t => t.TextInsert(doc(t), 0, "hello")));
        var action = delta.Actions[0];

        // The same op claiming an action time 2 ticks earlier: its last char would be after it.
        var op = (Mero.State.Text.RgaInsertOp)Mero.State.Text.RgaText.DecodeOp(action.Value, action.Time);
        var forged = new CrdtDelta(delta.Author, delta.Declarations, [action with { Time = action.Time - 2, Value = Mero.State.Text.RgaText.EncodeOp(op, op.Time) }]);
        var b = Replica(2);
        var error = Assert.Throws<CrdtException>(() => b.Apply(forged.Encode()));
        Assert.Contains("after its own time", error.Message, StringComparison.Ordinal);
        Assert.Equal(default, b.Read(t => t.RootHash()));
    }

    [Fact]
    public void DeletingADeletedCharacterIsANoOp()
    {
        var a = Replica(1);
        var b = Replica(2);
        var doc = (CrdtTransaction t) => t.Child(CollectionRef.Root, "doc"u8, CrdtKind.Text);
        b.Apply(a.Execute(t => t.TextInsert(doc(t), 0, "abc")));
        var fromA = a.Execute(t => t.TextDelete(doc(t), 1, 1));
        var fromB = b.Execute(t => t.TextDelete(doc(t), 1, 1));
        a.Apply(fromB);
        b.Apply(fromA);
        Assert.Equal("ac", a.Read(t => t.TextGet(doc(t))));
        Assert.Equal("ac", b.Read(t => t.TextGet(doc(t))));
        Assert.Equal(a.Root, b.Root);
    }

    [Fact]
    public void CountersAddEveryExecutorsSlot()
    {
        var a = Replica(1);
        var b = Replica(2);
        var c = (CrdtTransaction t) => t.Child(CollectionRef.Root, "c"u8, CrdtKind.Counter);
        var x = a.Execute(t => t.CounterIncrement(c(t), 5));
        var y = b.Execute(t =>
        {
            t.CounterIncrement(c(t), 3);
            t.CounterDecrement(c(t), 1);
        });
        var z = a.Execute(t => t.CounterIncrement(c(t)));
        b.Apply(z);
        b.Apply(x);
        b.Apply(z);
        a.Apply(y);
        Assert.Equal(8, a.Read(t => t.CounterValue(c(t))));
        Assert.Equal(8, b.Read(t => t.CounterValue(c(t))));
        Assert.Equal(6UL, b.Read(t => t.CounterExecutorCount(c(t), a.Executor)));
        Assert.Equal(a.Root, b.Root);
    }

    [Fact]
    public void NestedContainersCreatedConcurrentlyMergeTheirContents()
    {
        var a = Replica(1);
        var b = Replica(2);
        var log = (CrdtTransaction t) => t.Child(t.Child(CollectionRef.Root, "users"u8, CrdtKind.Map), "alice"u8, CrdtKind.Vector);
        var fromA = a.Execute(t => t.VectorPush(log(t), "1"u8));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var fromB = b.Execute(t => t.VectorPush(log(t), "2"u8));
        a.Apply(fromB);
        b.Apply(fromA);
        Assert.Equal(["1", "2"], a.Read(t => t.VectorItems(log(t)).Select(Encoding.UTF8.GetString).ToArray()));
        Assert.Equal("2"u8.ToArray(), b.Read(t => t.VectorGet(log(t), 1)));
        Assert.Equal(2, b.Read(t => t.VectorLength(log(t))));
        Assert.Equal(a.Root, b.Root);
    }

    [Fact]
    public void ConcurrentPopsOfTheSameElementRemoveItOnce()
    {
        var a = Replica(1);
        var b = Replica(2);
        var v = (CrdtTransaction t) => t.Child(CollectionRef.Root, "v"u8, CrdtKind.Vector);
        b.Apply(a.Execute(t =>
        {
            t.VectorPush(v(t), "1"u8);
            t.VectorPush(v(t), "2"u8);
        }));
        var fromA = a.Execute(t => Assert.Equal("2"u8.ToArray(), t.VectorPop(v(t))));
        var fromB = b.Execute(t => Assert.Equal("2"u8.ToArray(), t.VectorPop(v(t))));
        a.Apply(fromB);
        b.Apply(fromA);
        Assert.Equal(1, a.Read(t => t.VectorLength(v(t))));
        Assert.Equal(a.Root, b.Root);
    }

    [Fact]
    public void ReadingACollectionThatWasNeverWrittenChangesNothing()
    {
        var a = Replica(1);
        var delta = a.Execute(t =>
        {
            var m = t.Child(CollectionRef.Root, "m"u8, CrdtKind.Map);
            Assert.Null(t.MapGet(m, "k"u8));
            Assert.Equal("", t.TextGet(t.Child(CollectionRef.Root, "doc"u8, CrdtKind.Text)));
            Assert.Null(t.MapRemove(m, "k"u8));
            Assert.Null(t.Remove("absent"u8));
            Assert.False(t.HasChanges);
        });
        Assert.True(CrdtDelta.Decode(delta).IsEmpty);
        Assert.Equal(0, a.StoredRecords);
    }

    [Fact]
    public void ATextEditIsAChangeBeforeCommit()
    {
        var a = Replica(1);
        a.Execute(t =>
        {
            t.TextInsert(t.Child(CollectionRef.Root, "doc"u8, CrdtKind.Text), 0, "x");
            Assert.True(t.HasChanges);
        });
        var b = Replica(2);
        b.Execute(t =>
        {
            t.Create(CrdtKind.Counter);
            Assert.True(t.HasChanges);
        });
    }

    [Fact]
    public void WrongKindAndBadIndexAreClearErrors()
    {
        var a = Replica(1);
        a.Execute(t =>
        {
            var v = t.Child(CollectionRef.Root, "v"u8, CrdtKind.Vector);
            Assert.Throws<CrdtException>(() => t.MapInsert(v, "k"u8, "v"u8));
            Assert.Throws<CrdtException>(() => t.VectorUpdate(v, 0, "x"u8));
            Assert.Throws<CrdtException>(() => t.MapInsert(new CollectionRef(Hash.FromBytes(new byte[32].Select(_ => (byte)7).ToArray()), CrdtKind.Map), "k"u8, "v"u8));
            Assert.Throws<CrdtException>(() => t.Child(v, "x"u8, CrdtKind.Map));
        });
    }

    [Fact]
    public void SingleCharacterInsertDeltaIsUnder128Bytes()
    {
        var a = Replica(1);
        a.Execute(t => t.TextInsert(t.Child(CollectionRef.Root, "doc"u8, CrdtKind.Text), 0, "hello"));
        var delta = a.Execute(t => t.TextInsert(t.Child(CollectionRef.Root, "doc"u8, CrdtKind.Text), 3, "x"));
        Assert.True(delta.Length < 128, $"{delta.Length} bytes");

        var created = a.Execute(t => t.TextInsert(t.Create(CrdtKind.Text), 0, "x"));
        Assert.True(created.Length < 128, $"{created.Length} bytes");
    }

    [Fact]
    public void MalformedDeltasAreRejectedAndChangeNothing()
    {
        var a = Replica(1);
        var b = Replica(2);
        var good = a.Execute(t =>
        {
            t.Write("k"u8, "v"u8);
            t.TextInsert(t.Child(CollectionRef.Root, "doc"u8, CrdtKind.Text), 0, "hi");
        });
        b.Apply(a.Execute(t => t.Write("base"u8, "1"u8)));
        var root = b.Root;
        var records = b.StoredRecords;

        var rng = new Random(7);
        for (var i = 0; i < 300; i++)
        {
            var bad = (byte[])good.Clone();
            bad[rng.Next(bad.Length)] ^= (byte)rng.Next(1, 256);
            if (i % 3 == 0)
            {
                bad = bad[..rng.Next(bad.Length)];
            }

            try
            {
                b.Apply(bad);
            }
            catch (CrdtException)
            {
                Assert.Equal(records, b.StoredRecords);
                Assert.Equal(root, b.Read(t => t.RootHash()));
                continue;
            }

            // A mutation can still be a well-formed delta (another value, another key): then it applied.
            root = b.Root;
            records = b.StoredRecords;
        }

        Assert.Throws<CrdtException>(() => CrdtDelta.Decode([]));
        Assert.Throws<CrdtException>(() => CrdtDelta.Decode([9]));
        Assert.Throws<CrdtException>(() => CrdtDelta.Decode([.. good, 0]));
    }

    [Fact]
    public void TextOpsArrivingBeforeTheirDependenciesWaitAndThenApply()
    {
        var a = Replica(1);
        var b = Replica(2);
        var doc = (CrdtTransaction t) => t.Child(CollectionRef.Root, "doc"u8, CrdtKind.Text);
        var first = a.Execute(t => t.TextInsert(doc(t), 0, "ab"));
        var second = a.Execute(t => t.TextInsert(doc(t), 1, "X"));
        var third = a.Execute(t => t.TextDelete(doc(t), 0, 1));
        b.Apply(third);
        b.Apply(second);
        Assert.Equal("", b.Read(t => t.TextGet(doc(t))));
        b.Apply(first);
        Assert.Equal("Xb", b.Read(t => t.TextGet(doc(t))));
        Assert.Equal(a.Root, b.Root);
    }

    private static CollectionRef Users(CrdtTransaction t) => t.Child(CollectionRef.Root, "users"u8, CrdtKind.Map);

    private static CollectionRef Alice(CrdtTransaction t) => t.Child(Users(t), "alice"u8, CrdtKind.Map);

    private static CollectionRef AliceLog(CrdtTransaction t) => t.Child(Alice(t), "log"u8, CrdtKind.Vector);

    private static CollectionRef AliceNotes(CrdtTransaction t) => t.Child(Alice(t), "notes"u8, CrdtKind.Text);

    private static CollectionRef AliceVisits(CrdtTransaction t) => t.Child(Alice(t), "visits"u8, CrdtKind.Counter);

    [Fact]
    public void RemovingAMapKeyRemovesItsNestedCollectionsAndTheRootIsAsIfTheyNeverExisted()
    {
        var a = Replica(1);
        var bob = a.Execute(t => t.MapInsert(Users(t), "bob"u8, "x"u8));
        var before = a.StoredRecords;
        var nested = a.Execute(t =>
        {
            t.MapInsert(Alice(t), "name"u8, "Alice"u8);
            t.VectorPush(AliceLog(t), "hello"u8);
            t.TextInsert(AliceNotes(t), 0, "hi");
            t.CounterIncrement(AliceVisits(t));
            t.MapInsert(t.Child(Alice(t), "deeper"u8, CrdtKind.Map), "k"u8, "v"u8);
        });
        var removal = a.Execute(t => Assert.Null(t.MapRemove(Users(t), "alice"u8)));

        Assert.Null(a.Read(t => t.MapGet(Alice(t), "name"u8)));
        Assert.Equal(0, a.Read(t => t.VectorLength(AliceLog(t))));
        Assert.Equal("", a.Read(t => t.TextGet(AliceNotes(t))));
        Assert.Equal(0, a.Read(t => t.CounterValue(AliceVisits(t))));
        Assert.False(a.Read(t => t.Exists(Alice(t)) || t.Exists(AliceLog(t)) || t.Exists(AliceNotes(t)) || t.Exists(AliceVisits(t))));

        // Left behind: the users map's tombstone for "alice" and the removal watermark (not hashed).
        Assert.Equal(before + 2, a.StoredRecords);

        // c never had alice's collections: it gets bob and the removal only. Same root.
        var c = Replica(3);
        c.Apply(removal);
        c.Apply(bob);
        Assert.Equal(a.Root, c.Root);

        // d gets everything, the nested writes last: they are older than the removal and dropped.
        var d = Replica(4);
        d.Apply(removal);
        d.Apply(bob);
        d.Apply(nested);
        d.Apply(nested);
        Assert.Equal(a.Root, d.Root);
        Assert.Equal(0, d.Read(t => t.VectorLength(AliceLog(t))));
    }

    [Fact]
    public void AWriteIntoANestedCollectionNewerThanTheRemovalOfItsKeySurvivesAnOlderOneIsDropped()
    {
        var a = Replica(1);
        var b = Replica(2);
        var seed = a.Execute(t =>
        {
            t.VectorPush(AliceLog(t), "old"u8);
            t.MapInsert(Alice(t), "name"u8, "Alice"u8);
        });
        b.Apply(seed);

        // Concurrent: a writes before (older stamp), b removes, then a writes after (newer stamp).
        var older = a.Execute(t => t.MapInsert(Alice(t), "older"u8, "1"u8));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var removal = b.Execute(t => t.MapRemove(Users(t), "alice"u8));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var newer = a.Execute(t =>
        {
            t.MapInsert(Alice(t), "newer"u8, "2"u8);
            t.VectorPush(AliceLog(t), "new"u8);
        });

        // Every delivery order gives the same state: only the newer writes are left.
        byte[][] deltas = [seed, older, removal, newer];
        var roots = new HashSet<Hash>();
        foreach (var order in Permutations([0, 1, 2, 3]))
        {
            var r = Replica((byte)(10 + roots.Count % 200));
            foreach (var i in order)
            {
                r.Apply(deltas[i]);
            }

            Assert.Equal("newer=2", r.Read(t => string.Join(",", t.MapEntries(Alice(t)).Select(e => Encoding.UTF8.GetString(e.Key) + "=" + Encoding.UTF8.GetString(e.Value)))));
            Assert.Equal(["new"], r.Read(t => t.VectorItems(AliceLog(t)).Select(Encoding.UTF8.GetString).ToArray()));
            roots.Add(r.Root);
        }

        Assert.Single(roots);
        a.Apply(removal);
        b.Apply(older);
        b.Apply(newer);
        Assert.Equal(roots.Single(), a.Root);
        Assert.Equal(roots.Single(), b.Root);
    }

    [Fact]
    public void ATextUnderARemovedKeyIsGoneForGoodAndRefusesWrites()
    {
        var a = Replica(1);
        var b = Replica(2);
        var seed = a.Execute(t => t.TextInsert(AliceNotes(t), 0, "hi"));
        b.Apply(seed);
        var removal = b.Execute(t => t.MapRemove(Users(t), "alice"u8));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var late = a.Execute(t => t.TextInsert(AliceNotes(t), 2, "!"));
        a.Apply(removal);
        b.Apply(late);
        Assert.Equal("", a.Read(t => t.TextGet(AliceNotes(t))));
        Assert.Equal("", b.Read(t => t.TextGet(AliceNotes(t))));
        Assert.Equal(a.Root, b.Root);
        var error = Assert.Throws<CrdtException>(() => b.Execute(t => t.TextInsert(AliceNotes(t), 0, "x")));
        Assert.Contains("removed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CollectionsMadeAtOneCallerChosenIdOnTwoReplicasMergeAndAnotherKindThereIsRefused()
    {
        var id = Hash.FromBytes(Enumerable.Repeat((byte)0x42, 32).ToArray());
        var a = Replica(1);
        var b = Replica(2);
        var fromA = a.Execute(t => t.MapInsert(t.CreateWithId(CrdtKind.Map, id), "x"u8, "1"u8));
        var fromB = b.Execute(t => t.MapInsert(t.CreateWithId(CrdtKind.Map, id), "y"u8, "2"u8));
        a.Apply(fromB);
        b.Apply(fromA);
        var map = new CollectionRef(id, CrdtKind.Map);
        Assert.Equal(2, a.Read(t => t.MapLength(map)));
        Assert.Equal("1"u8.ToArray(), b.Read(t => t.MapGet(map, "x"u8)));
        Assert.Equal(a.Root, b.Root);

        // A set at the same id elsewhere cannot land here.
        var c = Replica(3);
        var setDelta = c.Execute(t => t.SetInsert(t.CreateWithId(CrdtKind.Set, id), "s"u8));
        var root = a.Root;
        var error = Assert.Throws<CrdtException>(() => a.Apply(setDelta));
        Assert.Contains("is a Map, not a Set", error.Message, StringComparison.Ordinal);
        Assert.Equal(root, a.Read(t => t.RootHash()));
        Assert.Throws<CrdtException>(() => a.Execute(t => t.CreateWithId(CrdtKind.Set, id)));
        Assert.Throws<CrdtException>(() => a.Execute(t => t.CreateWithId(CrdtKind.Map, default)));
    }

    private static IEnumerable<int[]> Permutations(int[] items) =>
        items.Length <= 1
            ? [items]
            : items.SelectMany((x, i) => Permutations([.. items.Take(i), .. items.Skip(i + 1)]).Select(rest => (int[])[x, .. rest]));

    private CrdtReplica Replica(byte rank) => new(_store.Store, Keys.Ordered(rank), _time);
}
