using System.Diagnostics;
using Mero.State.Text;

namespace Mero.Bench;

/// <summary>
/// rga-trace: replays a sequential trace as local edits of one replica (ops produced as a user
/// typing would), best of several runs after a warm-up, JSON parsing excluded.
/// </summary>
internal static class TraceReplay
{
    public static int Run(string path, int runs)
    {
        var trace = EditingTrace.Load(path);
        var best = double.MaxValue;
        RgaText? doc = null;
        for (var run = 0; run <= runs; run++)
        {
            var (text, ms) = Replay(trace);
            doc = text;
            if (run > 0)
            {
                best = Math.Min(best, ms);
            }
        }

        var state = doc!.EncodeState();
        var decoded = RgaText.DecodeState(state, Replicas.Key(1));
        var ok = doc.GetText() == trace.EndContent
            && decoded.GetText() == trace.EndContent
            && decoded.EncodeState().AsSpan().SequenceEqual(state);
        Console.WriteLine($"{{\"ops\":{trace.PatchCount},\"ms\":{best:F1},\"bytes\":{state.Length},\"ok\":{(ok ? "true" : "false")}}}");
        return ok ? 0 : 1;
    }

    private static (RgaText Text, double Ms) Replay(EditingTrace trace)
    {
        var text = new RgaText(Replicas.Key(0));
        if (trace.StartContent.Length > 0)
        {
            text.Insert(0, trace.StartContent);
        }

        RgaOp? last = null;
        var clock = Stopwatch.StartNew();
        foreach (var txn in trace.Txns)
        {
            foreach (var (pos, deleted, inserted) in txn.Patches)
            {
                if (deleted > 0)
                {
                    last = text.Delete(pos, deleted);
                }

                if (inserted.Length > 0)
                {
                    last = text.Insert(pos, inserted);
                }
            }
        }

        var ms = clock.Elapsed.TotalMilliseconds;
        GC.KeepAlive(last);
        return (text, ms);
    }
}
