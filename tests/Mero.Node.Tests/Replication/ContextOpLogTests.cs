using Mero.Node.Replication;
using Mero.Primitives;
using Mero.Store;
using Xunit;

namespace Mero.Node.Tests.Replication;

/// <summary>The op log's known-id index: kept with every op and checkpoint, added to older stores, bulk-loaded from snapshots.</summary>
public sealed class ContextOpLogTests : IDisposable
{
    private static readonly ContextId Context = ContextId.FromBytes(Enumerable.Repeat((byte)1, 32).ToArray());
    private static readonly ContextId Other = ContextId.FromBytes(Enumerable.Repeat((byte)2, 32).ToArray());

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mero-oplog-" + Guid.NewGuid().ToString("N"));
    private readonly MeroStore _store;

    public ContextOpLogTests() => _store = MeroStore.Open(_dir);

    [Fact]
    public void A_store_from_before_the_index_gets_it_once_and_keeps_every_id_known()
    {
        // The old layout: op bodies and checkpoints only.
        using (var batch = _store.CreateBatch())
        {
            batch.Put(Column.Delta, [.. Context.AsSpan(), (byte)'o', .. H(5).AsSpan()], [1, 2, 3]);
            batch.Put(Column.Delta, [.. Context.AsSpan(), (byte)'c', .. H(3).AsSpan()], []);
            batch.Put(Column.Delta, [.. Other.AsSpan(), (byte)'o', .. H(9).AsSpan()], [4]);
            batch.Put(Column.Delta, [.. Context.AsSpan(), (byte)'h'], [0, 0, 0, 0]);
            _store.Commit(batch);
        }

        Assert.False(ContextOpLog.Contains(_store, Context, H(5)));
        ContextOpLog.EnsureIndexed(_store);

        Assert.True(ContextOpLog.Contains(_store, Context, H(5)));
        Assert.True(ContextOpLog.Contains(_store, Context, H(3)));
        Assert.False(ContextOpLog.Contains(_store, Context, H(9)));
        Assert.True(ContextOpLog.Contains(_store, Other, H(9)));
        Assert.Equal([H(3), H(5)], ContextOpLog.KnownIds(_store, Context));

        // Once marked, a later call does not rescan: an unindexed op written now stays unindexed.
        using (var batch = _store.CreateBatch())
        {
            batch.Put(Column.Delta, [.. Context.AsSpan(), (byte)'o', .. H(7).AsSpan()], [1]);
            _store.Commit(batch);
        }

        ContextOpLog.EnsureIndexed(_store);
        Assert.False(ContextOpLog.Contains(_store, Context, H(7)));
    }

    [Fact]
    public void Checkpoints_bulk_loaded_from_sorted_files_are_known_and_listed_once()
    {
        using var checkpoints = MeroStore.CreateSortedFile(Path.Combine(_dir, "checkpoints.sst"));
        using var index = MeroStore.CreateSortedFile(Path.Combine(_dir, "index.sst"));
        foreach (var id in new[] { H(2), H(4), H(8) })
        {
            ContextOpLog.AddCheckpoint(checkpoints, index, Context, id);
        }

        checkpoints.Finish();
        index.Finish();
        _store.Ingest(Column.Delta, checkpoints, index);

        Assert.Equal([H(2), H(4), H(8)], ContextOpLog.KnownIds(_store, Context));
        Assert.True(ContextOpLog.Contains(_store, Context, H(4)));
        Assert.Null(ContextOpLog.Get(_store, Context, H(4)));
        Assert.Empty(ContextOpLog.KnownIds(_store, Other));
        Assert.False(File.Exists(checkpoints.Path));
        Assert.False(File.Exists(index.Path));
    }

    [Fact]
    public void Checkpoints_out_of_id_order_are_refused()
    {
        using var checkpoints = MeroStore.CreateSortedFile(Path.Combine(_dir, "checkpoints.sst"));
        using var index = MeroStore.CreateSortedFile(Path.Combine(_dir, "index.sst"));
        ContextOpLog.AddCheckpoint(checkpoints, index, Context, H(4));
        Assert.Throws<InvalidDataException>(() => ContextOpLog.AddCheckpoint(checkpoints, index, Context, H(2)));
        Assert.Throws<InvalidDataException>(() => ContextOpLog.AddCheckpoint(checkpoints, index, Context, H(4)));
    }

    [Fact]
    public void A_checkpoint_put_in_a_batch_is_known()
    {
        using (var batch = _store.CreateBatch())
        {
            ContextOpLog.PutCheckpoint(batch, Context, H(6));
            _store.Commit(batch);
        }

        Assert.True(ContextOpLog.Contains(_store, Context, H(6)));
        Assert.Equal([H(6)], ContextOpLog.KnownIds(_store, Context));
    }

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static Hash H(byte fill) => Hash.FromBytes(Enumerable.Repeat(fill, 32).ToArray());
}
