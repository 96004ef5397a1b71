using CsCheck;
using Mero.State;
using Xunit;

namespace Mero.Store.Tests;

public class StateTransactionTests
{
    private static readonly ContextId Context = ContextId.FromBytes(Enumerable.Repeat((byte)7, 32).ToArray());

    [Fact]
    public void Writes_stay_in_the_overlay_until_written_to_a_batch()
    {
        using var dir = new TempDirectory();
        using var store = MeroStore.Open(dir.Path);
        var tx = new StateTransaction(store, Context, StateDigest.Empty);
        Assert.Null(tx.Write("k"u8, "v1"u8));
        Assert.Equal("v1"u8.ToArray(), tx.Read("k"u8));
        Assert.Equal("v1"u8.ToArray(), tx.Write("k"u8, "v2"u8));
        Assert.Empty(store.Scan(Column.State, Context.ToArray()));

        using var batch = store.CreateBatch();
        tx.WriteTo(batch);
        store.Commit(batch);
        Assert.Equal("v2"u8.ToArray(), new StateTransaction(store, Context, tx.Digest).Read("k"u8));
    }

    [Fact]
    public void Removes_return_the_old_value_and_delete_on_commit()
    {
        using var dir = new TempDirectory();
        using var store = MeroStore.Open(dir.Path);
        var first = new StateTransaction(store, Context, StateDigest.Empty);
        first.Write("k"u8, "v"u8);
        Commit(store, first);

        var second = new StateTransaction(store, Context, first.Digest);
        Assert.Equal("v"u8.ToArray(), second.Remove("k"u8));
        Assert.Null(second.Remove("k"u8));
        Assert.Null(second.Read("k"u8));
        Commit(store, second);
        Assert.Empty(store.Scan(Column.State, Context.ToArray()));
        Assert.Equal(StateDigest.Empty.ToHash(), second.Digest.ToHash());
    }

    [Fact]
    public void The_digest_depends_on_the_final_state_not_on_the_order_of_writes()
    {
        var entries = Gen.Select(Gen.Byte.Array[1, 8], Gen.Byte.Array[0, 16]).Array[1, 20];
        entries.Sample(list =>
        {
            var forward = list.Aggregate(StateDigest.Empty, (d, e) => d.Add(e.Item1, e.Item2));
            var backward = list.Reverse().Aggregate(StateDigest.Empty, (d, e) => d.Add(e.Item1, e.Item2));
            var addThenRemoveFirst = forward.Add([9, 9], [1]).Remove([9, 9], [1]);
            return forward.ToHash() == backward.ToHash() && addThenRemoveFirst.ToHash() == forward.ToHash();
        });
    }

    [Fact]
    public void Different_state_gives_a_different_digest()
    {
        var a = StateDigest.Empty.Add("k"u8, "v1"u8).ToHash();
        var b = StateDigest.Empty.Add("k"u8, "v2"u8).ToHash();
        Assert.NotEqual(a, b);
        Assert.Equal(a, StateDigest.FromHash(a).ToHash());
    }

    private static void Commit(MeroStore store, StateTransaction tx)
    {
        using var batch = store.CreateBatch();
        tx.WriteTo(batch);
        store.Commit(batch);
    }
}
