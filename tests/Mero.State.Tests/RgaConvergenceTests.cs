using CsCheck;
using Mero.State.Text;
using Xunit;

namespace Mero.State.Tests;

/// <summary>Replicas editing concurrently, with random delivery order and duplicates, converge.</summary>
public class RgaConvergenceTests
{
    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 4)]
    [InlineData(3, 5)]
    [InlineData(42, 3)]
    [InlineData(1234, 5)]
    public void Fixed_seeds_converge(int seed, int replicas) => AssertConverges(seed, replicas, steps: 400);

    [Fact]
    public void Random_seeds_converge() =>

        // A failure message carries the seed; Fixed_seeds_converge takes it to replay.
        Gen.Select(Gen.Int[0, int.MaxValue], Gen.Int[3, 5]).Sample(
            (seed, replicas) => AssertConverges(seed, replicas, steps: 150),
            iter: 150,
            print: sample => $"seed {sample.Item1}, {sample.Item2} replicas");

    [Fact]
    public void Long_run_with_big_documents_converges() => AssertConverges(seed: 7, replicas: 3, steps: 6000, checkEvery: false);

    private static void AssertConverges(int seed, int replicas, int steps, bool checkEvery = true)
    {
        var sim = new Simulation(seed, replicas);
        sim.Run(steps, checkEvery);
        sim.Flush();

        var first = sim.Replicas[0];
        var text = first.GetText();
        var state = first.EncodeState();
        foreach (var doc in sim.Replicas)
        {
            doc.CheckInvariants();
            Assert.Equal(text, doc.GetText());
            Assert.Equal(state, doc.EncodeState());
            Assert.Equal(text.EnumerateRunes().Count(), doc.Length);
        }

        // The run-length tree agrees with a naive per-character implementation of the same rules.
        var reference = new ReferenceList();
        foreach (var op in sim.History)
        {
            reference.Apply(op);
        }

        Assert.Equal(reference.Text, text);

        // Applying any op again changes nothing.
        foreach (var op in sim.History)
        {
            Assert.Equal(RgaApplyResult.AlreadyApplied, first.Apply(op));
        }

        Assert.Equal(state, first.EncodeState());

        // The state decodes to the same document, which keeps merging with the others.
        var decoded = RgaText.DecodeState(state, first.Replica);
        decoded.CheckInvariants();
        Assert.Equal(text, decoded.GetText());
        Assert.Equal(state, decoded.EncodeState());
        var fromDecoded = decoded.Insert(decoded.Length / 2, "Δ");
        var fromOther = sim.Replicas[1].Insert(sim.Replicas[1].Length / 2, "Ω");
        Assert.Equal(RgaApplyResult.Applied, decoded.Apply(fromOther));
        Assert.Equal(RgaApplyResult.Applied, sim.Replicas[1].Apply(fromDecoded));
        Assert.Equal(decoded.GetText(), sim.Replicas[1].GetText());
        Assert.Equal(decoded.EncodeState(), sim.Replicas[1].EncodeState());
    }
}
