using Mero.State.Crdt;
using Mero.State.Text;
using Mero.Store;
using Xunit;

namespace Mero.State.Tests.Crdt;

/// <summary>Text storage: snapshot + op log, the cached document and the per-character digest.</summary>
public sealed class CrdtTextStorageTests : IDisposable
{
    private readonly CrdtStore _store = new();
    private readonly ManualTimeProvider _time = new(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));

    public void Dispose() => _store.Dispose();

    private static CollectionRef Doc(CrdtTransaction t) => t.Child(CollectionRef.Root, "doc"u8, CrdtKind.Text);

    [Fact]
    public void TheRunningDigestEqualsOneComputedFromScratchAfterRandomEditsAndDecoding()
    {
        var random = new Random(5);
        var a = new RgaText(Keys.Ordered(1)) { TrackDigest = true };
        var b = new RgaText(Keys.Ordered(2)) { TrackDigest = true };
        for (var i = 0; i < 400; i++)
        {
            var (author, other) = random.Next(2) == 0 ? (a, b) : (b, a);
            RgaOp op = author.Length > 0 && random.Next(3) == 0
                ? author.Delete(random.Next(author.Length), 1)
                : author.Insert(random.Next(author.Length + 1), random.Next(4) == 0 ? "xyz" : "q");
            if (random.Next(4) != 0)
            {
                other.Apply(op);
            }
        }

        foreach (var doc in new[] { a, b })
        {
            var running = doc.TakeDigestDelta();
            Assert.Equal(doc.ComputeDigest(), running);
            Assert.Equal(running, RgaText.DecodeState(doc.EncodeState(), Keys.Ordered(3)).ComputeDigest());
        }
    }

    [Fact]
    public void ManyCommitsFoldTheLogIntoASnapshotAndAColdReadSeesTheSameTextAndRoot()
    {
        var context = ContextId.FromBytes(Enumerable.Repeat((byte)7, 32).ToArray());
        var clock = new Mero.Primitives.Clock.HybridLogicalClock(Keys.Ordered(1), _time, TimeSpan.FromDays(1));
        var expected = "";
        Hash root = default;
        for (var i = 0; i < CrdtTransaction.TextSnapshotEvery + 40; i++)
        {
            var t = new CrdtTransaction(_store.Store, context, Keys.Ordered(1), clock);
            t.TextInsert(Doc(t), i % 3 == 0 ? 0 : t.TextLength(Doc(t)), "a" + (char)('a' + (i % 26)));
            if (i % 50 == 7)
            {
                t.TextDelete(Doc(t), 1, 1);
            }

            expected = t.TextGet(Doc(t));
            using var batch = _store.Store.CreateBatch();
            root = t.Commit(batch).RootHash;
            _store.Store.Commit(batch);
        }

        // The log was folded at least once: fewer log records than commits.
        var logRecords = _store.Store.Scan(Column.State, context.ToArray()).Count(kv => kv.Key[32] == CrdtTransaction.TextLogTag);
        Assert.InRange(logRecords, 1, CrdtTransaction.TextSnapshotEvery);

        // Cold: the cache forgets the document, the state is decoded from snapshot + log.
        TextCache.For(_store.Store).Clear();
        var cold = new CrdtTransaction(_store.Store, context, Keys.Ordered(1), clock);
        Assert.Equal(expected, cold.TextGet(Doc(cold)));
        Assert.Equal(root, cold.RootHash());
    }

    [Fact]
    public void ATransactionThatIsNotCommittedLeavesNoTraceInTheCachedDocument()
    {
        var context = ContextId.FromBytes(Enumerable.Repeat((byte)9, 32).ToArray());
        var clock = new Mero.Primitives.Clock.HybridLogicalClock(Keys.Ordered(1), _time, TimeSpan.FromDays(1));
        Commit(context, clock, t => t.TextInsert(Doc(t), 0, "hello"));

        // Warm the cache, then change the document in a transaction that is dropped.
        Assert.Equal("hello", new CrdtTransaction(_store.Store, context, Keys.Ordered(1), clock).TextGet(Doc(new CrdtTransaction(_store.Store, context, Keys.Ordered(1), clock))));
        var dropped = new CrdtTransaction(_store.Store, context, Keys.Ordered(1), clock);
        dropped.TextInsert(Doc(dropped), 5, " world");
        Assert.Equal("hello world", dropped.TextGet(Doc(dropped)));

        // A batch that is prepared but never written does not count either.
        var unwritten = new CrdtTransaction(_store.Store, context, Keys.Ordered(1), clock);
        unwritten.TextInsert(Doc(unwritten), 0, ">");
        using (var batch = _store.Store.CreateBatch())
        {
            unwritten.Commit(batch);
        }

        var next = new CrdtTransaction(_store.Store, context, Keys.Ordered(1), clock);
        Assert.Equal("hello", next.TextGet(Doc(next)));
        Commit(context, clock, t => t.TextInsert(Doc(t), 5, "!"));
        var after = new CrdtTransaction(_store.Store, context, Keys.Ordered(1), clock);
        Assert.Equal("hello!", after.TextGet(Doc(after)));
    }

    private void Commit(ContextId context, Mero.Primitives.Clock.HybridLogicalClock clock, Action<CrdtTransaction> body)
    {
        var t = new CrdtTransaction(_store.Store, context, Keys.Ordered(1), clock);
        body(t);
        using var batch = _store.Store.CreateBatch();
        t.Commit(batch);
        _store.Store.Commit(batch);
    }
}
