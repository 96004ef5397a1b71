using BenchmarkDotNet.Attributes;
using Mero.State.Text;

namespace Mero.Bench;

/// <summary>Micro-benchmarks of the RGA text: local typing, mid-document inserts, remote apply.</summary>
[MemoryDiagnoser]
public class RgaMicroBenchmarks
{
    private const int Ops = 1000;
    private RgaText _big = null!;
    private RgaOp[] _remote = null!;

    [GlobalSetup]
    public void Setup()
    {
        _big = new RgaText(Replicas.Key(0));
        _big.Insert(0, new string('x', 100_000));

        // Another replica types a paragraph; we measure applying its ops.
        var author = new RgaText(Replicas.Key(1));
        _remote = new RgaOp[Ops];
        for (var i = 0; i < Ops; i++)
        {
            _remote[i] = author.Insert(i, "a");
        }
    }

    [Benchmark(OperationsPerInvoke = Ops, Description = "insert at end (typing)")]
    public int InsertAtEnd()
    {
        var text = new RgaText(Replicas.Key(0));
        for (var i = 0; i < Ops; i++)
        {
            text.Insert(i, "a");
        }

        return text.Length;
    }

    [Benchmark(OperationsPerInvoke = Ops, Description = "insert in middle of 100k chars")]
    public int InsertInMiddle()
    {
        var length = 0;
        for (var i = 0; i < Ops; i++)
        {
            // Scattered positions, so each insert splits a run.
            var pos = (int)((uint)(i * 2654435761u) % (uint)_big.Length);
            length += _big.Insert(pos, "b").Length;
        }

        return length;
    }

    [Benchmark(OperationsPerInvoke = Ops, Description = "apply remote insert op")]
    public int ApplyRemote()
    {
        var text = new RgaText(Replicas.Key(0));
        foreach (var op in _remote)
        {
            text.Apply(op);
        }

        return text.Length;
    }

    [Benchmark(OperationsPerInvoke = Ops, Description = "encode + decode single-char op")]
    public int OpCodec()
    {
        var n = 0;
        for (var i = 0; i < Ops; i++)
        {
            n += RgaText.EncodeOp(RgaText.DecodeOp(RgaText.EncodeOp(_remote[i]))).Length;
        }

        return n;
    }
}
