using Xunit;
using CsCheck;
using Mero.State.Crdt;

namespace Mero.State.Tests.Crdt;

/// <summary>
/// The convergence property: replicas run random operations on random nested collections while
/// seeing only some of each other's deltas; then every delta reaches every replica in a random
/// order, some twice. All replicas must end with identical values and identical root hashes.
/// </summary>
public sealed class CrdtConvergenceTests : IDisposable
{
    private readonly CrdtStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public void RandomConcurrentOperationsConverge() =>
        Gen.Int[0, int.MaxValue].Sample(seed => Converges(seed, replicas: 3, rounds: 30), iter: 40);

    [Fact]
    public void FiveReplicasWithLongHistoriesConverge() =>
        Gen.Int[0, int.MaxValue].Sample(seed => Converges(seed, replicas: 5, rounds: 80), iter: 8);

    [Fact]
    public void ADeltaAppliedTwiceChangesNothing() =>
        Gen.Int[0, int.MaxValue].Sample(
            seed =>
            {
                var random = new Random(seed);
                var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
                var author = new CrdtReplica(_store.Store, Keys.Random(random), time);
                var deltas = Enumerable.Range(0, 10).Select(_ => author.Execute(t => RandomWorkload.RandomOp(t, random))).ToList();
                var receiver = new CrdtReplica(_store.Store, Keys.Random(random), time);
                foreach (var delta in deltas)
                {
                    receiver.Apply(delta);
                }

                var root = receiver.Root;
                var snapshot = receiver.Read(RandomWorkload.Snapshot);
                var records = receiver.StoredRecords;
                foreach (var delta in deltas)
                {
                    receiver.Apply(delta);
                    Assert.Equal(root, receiver.Root);
                }

                Assert.Equal(snapshot, receiver.Read(RandomWorkload.Snapshot));
                Assert.Equal(records, receiver.StoredRecords);
                Assert.Equal(author.Root, receiver.Root);
            },
            iter: 20);

    private void Converges(int seed, int replicas, int rounds)
    {
        var random = new Random(seed);
        var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        var nodes = Enumerable.Range(0, replicas).Select(_ => new CrdtReplica(_store.Store, Keys.Random(random), time)).ToArray();
        var all = new List<byte[]>();
        var delivered = nodes.Select(_ => new HashSet<int>()).ToArray();
        for (var round = 0; round < rounds; round++)
        {
            var r = random.Next(replicas);

            // Partial, out-of-order sync before acting: causal gaps are allowed.
            for (var k = random.Next(3); k > 0 && all.Count > 0; k--)
            {
                var pick = random.Next(all.Count);
                nodes[r].Apply(all[pick]);
                delivered[r].Add(pick);
            }

            var ops = random.Next(1, 4);
            all.Add(nodes[r].Execute(t =>
            {
                for (var i = 0; i < ops; i++)
                {
                    RandomWorkload.RandomOp(t, random);
                }
            }));
            delivered[r].Add(all.Count - 1);
            if (random.Next(5) == 0)
            {
                time.Advance(TimeSpan.FromMilliseconds(random.Next(1, 5)));
            }
        }

        for (var r = 0; r < replicas; r++)
        {
            var order = Enumerable.Range(0, all.Count).Concat(Enumerable.Range(0, all.Count).Where(_ => random.Next(4) == 0)).OrderBy(_ => random.Next()).ToList();
            foreach (var i in order)
            {
                nodes[r].Apply(all[i]);
            }
        }

        var expected = nodes[0].Read(RandomWorkload.Snapshot);
        for (var r = 1; r < replicas; r++)
        {
            Assert.Equal(expected, nodes[r].Read(RandomWorkload.Snapshot));
            Assert.Equal(nodes[0].Root, nodes[r].Root);
        }

        Assert.NotEqual(default, nodes[0].Root);
        Assert.Equal(nodes[0].Read(t => t.RootHash()), nodes[0].Root);
    }
}
