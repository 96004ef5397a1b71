using Xunit;

namespace Mero.Store.Tests;

public class MeroStoreTests
{
    [Fact]
    public void A_batch_commits_all_of_its_writes_and_survives_reopen()
    {
        using var dir = new TempDirectory();
        using (var store = MeroStore.Open(dir.Path))
        {
            using var batch = store.CreateBatch();
            batch.Put(Column.State, "a"u8, "1"u8).Put(Column.Context, "a"u8, "ctx"u8);
            Assert.Null(store.Get(Column.State, "a"u8));
            store.Commit(batch);
        }

        using var reopened = MeroStore.Open(dir.Path);
        Assert.Equal("1"u8.ToArray(), reopened.Get(Column.State, "a"u8));
        Assert.Equal("ctx"u8.ToArray(), reopened.Get(Column.Context, "a"u8));
        Assert.True(reopened.Ping());
    }

    [Fact]
    public void Columns_are_separate_namespaces()
    {
        using var dir = new TempDirectory();
        using var store = MeroStore.Open(dir.Path);
        using var batch = store.CreateBatch();
        batch.Put(Column.State, "k"u8, "state"u8);
        store.Commit(batch);
        Assert.Null(store.Get(Column.PrivateState, "k"u8));
        Assert.False(store.Has(Column.Application, "k"u8));
    }

    [Fact]
    public void Scan_returns_only_the_prefix_in_key_order()
    {
        using var dir = new TempDirectory();
        using var store = MeroStore.Open(dir.Path);
        using var batch = store.CreateBatch();
        batch.Put(Column.State, "ab2"u8, "2"u8).Put(Column.State, "ab1"u8, "1"u8).Put(Column.State, "ac"u8, "x"u8).Put(Column.State, "a"u8, "y"u8);
        store.Commit(batch);
        var keys = store.Scan(Column.State, "ab"u8.ToArray()).Select(kv => System.Text.Encoding.ASCII.GetString(kv.Key)).ToList();
        Assert.Equal(["ab1", "ab2"], keys);
    }

    [Fact]
    public void Deletes_in_a_batch_remove_keys()
    {
        using var dir = new TempDirectory();
        using var store = MeroStore.Open(dir.Path);
        using (var put = store.CreateBatch())
        {
            put.Put(Column.State, "k"u8, "v"u8);
            store.Commit(put);
        }

        using var delete = store.CreateBatch();
        delete.Delete(Column.State, "k"u8);
        store.Commit(delete);
        Assert.Null(store.Get(Column.State, "k"u8));
    }
}
