using Xunit;

namespace Mero.Store.Tests;

/// <summary>
/// Disposing the store while other threads still use it: RocksDB's handles are raw pointers, so
/// any call that reached a closed database would kill the test host rather than fail a test.
/// </summary>
public class StoreLifetimeTests
{
    [Fact]
    public void Every_call_after_dispose_is_refused_with_ObjectDisposedException()
    {
        using var dir = new TempDirectory();
        var store = MeroStore.Open(dir.Path);
        using (var batch = store.CreateBatch())
        {
            store.Commit(batch.Put(Column.State, "k"u8, "v"u8));
        }

        var late = store.CreateBatch();
        store.Dispose();
        store.Dispose();

        Assert.Throws<ObjectDisposedException>(() => store.Get(Column.State, "k"u8));
        Assert.Throws<ObjectDisposedException>(() => store.Has(Column.State, "k"u8));
        Assert.Throws<ObjectDisposedException>(() => store.Range(Column.State, ""u8, null));
        Assert.Throws<ObjectDisposedException>(() => store.Scan(Column.State, []).ToList());
        Assert.Throws<ObjectDisposedException>(() => store.Snapshot());
        Assert.Throws<ObjectDisposedException>(() => late.Put(Column.State, "x"u8, "y"u8));
        Assert.Throws<ObjectDisposedException>(() => store.Commit(late));
        Assert.False(store.Ping());
        late.Dispose();

        // Closed for real: the directory's lock is free again and the write survived.
        using var reopened = MeroStore.Open(dir.Path);
        Assert.Equal("v"u8.ToArray(), reopened.Get(Column.State, "k"u8));
    }

    [Fact]
    public async Task Dispose_waits_for_an_open_range_and_the_range_keeps_reading()
    {
        using var dir = new TempDirectory();
        var store = MeroStore.Open(dir.Path);
        using (var batch = store.CreateBatch())
        {
            for (var i = 0; i < 100; i++)
            {
                batch.Put(Column.State, [(byte)i], [(byte)(i * 2)]);
            }

            store.Commit(batch);
        }

        var range = store.Range(Column.State, ""u8, null);
        Assert.True(range.MoveNext());
        var disposing = Task.Run(store.Dispose);
        await Task.Delay(200);
        Assert.False(disposing.IsCompleted);
        Assert.Throws<ObjectDisposedException>(() => store.Get(Column.State, [1]));

        var read = 1;
        while (range.MoveNext())
        {
            Assert.Equal(read * 2, range.Value[0]);
            read++;
        }

        Assert.Equal(100, read);
        range.Dispose();
        range.Dispose();
        await disposing.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Throws<ObjectDisposedException>(() => range.MoveNext());
        using var reopened = MeroStore.Open(dir.Path);
        Assert.Equal(new byte[] { 198 }, reopened.Get(Column.State, [99]));
    }

    [Fact]
    public async Task An_open_snapshot_holds_the_store_open_until_it_is_released()
    {
        using var dir = new TempDirectory();
        var store = MeroStore.Open(dir.Path);
        using (var batch = store.CreateBatch())
        {
            store.Commit(batch.Put(Column.Context, "a"u8, "before"u8));
        }

        var snapshot = store.Snapshot();
        var disposing = Task.Run(store.Dispose);
        await Task.Delay(200);
        Assert.False(disposing.IsCompleted);
        using (var range = snapshot.Range(Column.Context, ""u8, null))
        {
            Assert.True(range.MoveNext());
            Assert.Equal("before"u8.ToArray(), range.Value.ToArray());
        }

        snapshot.Dispose();
        await disposing.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Throws<ObjectDisposedException>(() => snapshot.Range(Column.Context, ""u8, null));
    }

    [Fact]
    public void A_reader_that_never_finishes_leaves_the_database_open_instead_of_freeing_it_under_the_reader()
    {
        using var dir = new TempDirectory();
        var store = MeroStore.Open(dir.Path, StoreOptions.Default with { CloseWait = TimeSpan.FromMilliseconds(100) });
        using (var batch = store.CreateBatch())
        {
            store.Commit(batch.Put(Column.State, "k"u8, "v"u8));
        }

        var range = store.Range(Column.State, ""u8, null);
        store.Dispose();

        // The wait ran out: new callers are refused, but the reader still works on a live database.
        Assert.Throws<ObjectDisposedException>(() => store.Get(Column.State, "k"u8));
        Assert.True(range.MoveNext());
        Assert.Equal("v"u8.ToArray(), range.Value.ToArray());
        range.Dispose();
    }

    [Fact]
    public async Task Readers_and_writers_racing_a_dispose_see_only_results_or_ObjectDisposedException()
    {
        for (var round = 0; round < 20; round++)
        {
            using var dir = new TempDirectory();
            var store = MeroStore.Open(dir.Path);
            using var start = new Barrier(5);
            var workers = Enumerable.Range(0, 4).Select(worker => Task.Factory.StartNew(
                () =>
                {
                    start.SignalAndWait();
                    var completed = 0;
                    try
                    {
                        for (var i = 0; ; i++)
                        {
                            var key = new[] { (byte)worker, (byte)i };
                            using (var batch = store.CreateBatch())
                            {
                                store.Commit(batch.Put(Column.State, key, key));
                            }

                            Assert.Equal(key, store.Get(Column.State, key));
                            using (var snapshot = store.Snapshot())
                            using (var range = snapshot.Range(Column.State, [(byte)worker], null))
                            {
                                Assert.True(range.MoveNext());
                            }

                            completed++;
                        }
                    }
                    catch (ObjectDisposedException)
                    {
                    }

                    return completed;
                },
                TaskCreationOptions.LongRunning)).ToArray();

            start.SignalAndWait();
            await Task.Delay(round % 5);
            store.Dispose();
            var completed = await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(30));

            // Every commit that returned before the close is on disk.
            using var reopened = MeroStore.Open(dir.Path);
            for (var worker = 0; worker < completed.Length; worker++)
            {
                for (var i = 0; i < Math.Min(completed[worker], 256); i++)
                {
                    Assert.NotNull(reopened.Get(Column.State, [(byte)worker, (byte)i]));
                }
            }
        }
    }
}
