using CsCheck;
using Xunit;

namespace Mero.Dag.Tests;

public class CausalDagTests
{
    private sealed record Node(Hash Id, IReadOnlyList<Hash> Parents) : IDagNode;

    private static Hash H(int n)
    {
        var bytes = new byte[32];
        BitConverter.TryWriteBytes(bytes, n);
        bytes[31] = 0xAB;
        return Hash.FromBytes(bytes);
    }

    private static Node N(int id, params int[] parents) => new(H(id), [.. parents.Select(H)]);

    private static string? Accept(Node _) => null;

    [Fact]
    public void Applies_in_causal_order_whatever_the_arrival_order()
    {
        var dag = new CausalDag<Node>();
        var order = new List<Hash>();
        string? Record(Node n)
        {
            order.Add(n.Id);
            return null;
        }

        Assert.Equal(DagAddStatus.Pending, dag.Add(N(3, 2), Record).Status);
        Assert.Equal(DagAddStatus.Pending, dag.Add(N(2, 1), Record).Status);
        Assert.Equal([H(1)], dag.MissingParents());
        var result = dag.Add(N(1), Record);
        Assert.Equal(DagAddStatus.Applied, result.Status);
        Assert.Equal([H(1), H(2), H(3)], order);
        Assert.Equal([H(3)], dag.Heads);
        Assert.Equal(0, dag.PendingCount);
    }

    [Fact]
    public void A_merge_waits_for_every_parent_and_becomes_the_single_head()
    {
        var dag = new CausalDag<Node>();
        dag.Add(N(1), Accept);
        dag.Add(N(2, 1), Accept);
        dag.Add(N(3, 1), Accept);
        Assert.Equal(new[] { H(2), H(3) }.Order(), dag.Heads);
        dag.Add(N(4, 2, 3), Accept);
        Assert.Equal([H(4)], dag.Heads);
    }

    [Fact]
    public void Duplicates_change_nothing()
    {
        var dag = new CausalDag<Node>();
        var applied = 0;
        string? Count(Node _)
        {
            applied++;
            return null;
        }

        dag.Add(N(1), Count);
        dag.Add(N(5, 4), Count);
        Assert.Equal(DagAddStatus.Duplicate, dag.Add(N(1), Count).Status);
        Assert.Equal(DagAddStatus.Duplicate, dag.Add(N(5, 4), Count).Status);
        Assert.Equal(1, applied);
        Assert.Equal(1, dag.PendingCount);
    }

    [Fact]
    public void Too_many_parents_and_a_full_pending_queue_are_refused()
    {
        var dag = new CausalDag<Node>(new DagOptions { MaxParents = 2, MaxPending = 1 });
        var tooMany = dag.Add(N(9, 1, 2, 3), Accept);
        Assert.Equal(DagAddStatus.Rejected, tooMany.Status);
        Assert.Contains("exceed the cap of 2", tooMany.Reason);
        Assert.Equal(DagAddStatus.Pending, dag.Add(N(10, 100), Accept).Status);
        var full = dag.Add(N(11, 101), Accept);
        Assert.Equal(DagAddStatus.Rejected, full.Status);
        Assert.Contains("pending queue is full", full.Reason);
        Assert.Equal(DagAddStatus.Rejected, dag.Add(N(12, 12), Accept).Status);
        Assert.Equal(DagAddStatus.Rejected, dag.Add(N(13, 1, 1), Accept).Status);
    }

    [Fact]
    public void A_refused_entry_is_not_applied_and_its_children_keep_waiting()
    {
        var dag = new CausalDag<Node>();
        dag.Add(N(2, 1), Accept);
        var result = dag.Add(N(1), n => n.Id == H(1) ? "forged" : null);
        Assert.Equal(DagAddStatus.Rejected, result.Status);
        Assert.Equal("forged", result.Reason);
        Assert.False(dag.Contains(H(1)));
        Assert.Equal(1, dag.PendingCount);
        Assert.Empty(dag.Heads);
    }

    [Fact]
    public void Restore_rebuilds_heads_and_refuses_a_log_out_of_causal_order()
    {
        var dag = new CausalDag<Node>();
        dag.Restore(N(1));
        dag.Restore(N(2, 1));
        dag.Restore(N(3, 1));
        Assert.Equal(new[] { H(2), H(3) }.Order(), dag.Heads);
        Assert.Throws<InvalidOperationException>(() => new CausalDag<Node>().Restore(N(2, 1)));
    }

    [Fact]
    public void Random_arrival_orders_with_duplicates_reach_the_same_heads_and_apply_each_entry_once()
    {
        // A random DAG of 60 entries, each with up to 3 earlier parents.
        var gen = Gen.Int[0, int.MaxValue].Select(seed =>
        {
            var random = new Random(seed);
            var nodes = new List<Node>();
            for (var i = 0; i < 60; i++)
            {
                var parents = i == 0 ? [] : Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(i)).Distinct().ToArray();
                nodes.Add(N(i, parents));
            }

            var delivery = nodes.Concat(nodes.Where(_ => random.Next(3) == 0)).OrderBy(_ => random.Next()).ToList();
            return (nodes, delivery);
        });

        gen.Sample(sample =>
        {
            var (nodes, delivery) = sample;
            var reference = new CausalDag<Node>();
            foreach (var n in nodes)
            {
                reference.Add(n, Accept);
            }

            var dag = new CausalDag<Node>();
            var seen = new HashSet<Hash>();
            var positions = new Dictionary<Hash, int>();
            foreach (var n in delivery)
            {
                foreach (var applied in dag.Add(n, Accept).Applied)
                {
                    Assert.True(seen.Add(applied.Id), "applied twice");
                    Assert.All(applied.Parents, p => Assert.Contains(p, seen));
                }
            }

            return seen.Count == nodes.Count && dag.Heads.SequenceEqual(reference.Heads) && dag.PendingCount == 0;
        }, iter: 200);
    }
}
