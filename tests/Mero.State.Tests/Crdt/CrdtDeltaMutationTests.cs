using CsCheck;
using Mero.State.Crdt;
using Mero.Store;
using Xunit;

namespace Mero.State.Tests.Crdt;

/// <summary>
/// Deltas from a peer with bytes changed, dropped or added: each is refused without a trace, or
/// applied leaving a state whose stored records still verify to its root (what a joiner checks).
/// </summary>
public sealed class CrdtDeltaMutationTests : IDisposable
{
    private readonly CrdtStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public void Mutated_deltas_are_refused_or_leave_a_state_that_verifies() =>
        Gen.Select(Gen.Int[0, int.MaxValue], Gen.Int[0, int.MaxValue]).Sample(
            (seed, mutationSeed) =>
            {
                var random = new Random(seed);
                var mutation = new Random(mutationSeed);
                var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
                var author = new CrdtReplica(_store.Store, Keys.Random(random), time);
                var receiver = new CrdtReplica(_store.Store, Keys.Random(random), time);
                var deltas = new List<byte[]>();
                for (var i = 0; i < 12; i++)
                {
                    time.Advance(TimeSpan.FromMilliseconds(random.Next(0, 3)));
                    deltas.Add(author.Execute(t => RandomWorkload.RandomOp(t, random, withText: true)));
                }

                foreach (var delta in deltas)
                {
                    var bytes = mutation.Next(2) == 0 ? Mutate(delta, mutation) : delta;
                    var root = receiver.Root;
                    var records = Dump(receiver);
                    try
                    {
                        receiver.Apply(bytes);
                    }
                    catch (CrdtException)
                    {
                        Assert.Equal(root, receiver.Root);
                        Assert.Equal(records, Dump(receiver));
                        continue;
                    }

                    Assert.Equal(receiver.Read(t => t.RootHash()), receiver.Root);
                    var verifier = new CrdtStateVerifier(receiver.Context);
                    foreach (var (key, value) in Records(receiver))
                    {
                        verifier.Add(key, value);
                    }

                    Assert.Equal(receiver.Root, verifier.Finish());
                }
            },
            iter: 15,
            print: sample => $"seed {sample.Item1}, mutation seed {sample.Item2}");

    /// <summary>One or two random byte changes, deletions or insertions.</summary>
    private static byte[] Mutate(byte[] delta, Random random)
    {
        var bytes = delta.ToList();
        for (var m = random.Next(1, 3); m > 0 && bytes.Count > 0; m--)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 3:
                    bytes.RemoveAt(at);
                    break;
                case 4:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                default:
                    bytes[at] = (byte)random.Next(256);
                    break;
            }
        }

        return [.. bytes];
    }

    private string Dump(CrdtReplica replica) =>
        string.Join('\n', Records(replica).Select(r => Convert.ToHexString(r.Key) + "=" + Convert.ToHexString(r.Value)));

    private List<(byte[] Key, byte[] Value)> Records(CrdtReplica replica) =>
        [.. _store.Store.Scan(Column.State, replica.Context.ToArray()).Select(r => (r.Key, r.Value))];
}
