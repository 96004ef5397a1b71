using System.Diagnostics;
using Mero.State.Text;

namespace Mero.Bench;

/// <summary>
/// rga-merge: replays a concurrent trace with one replica per agent. Before each txn, its agent's
/// replica applies exactly the txn's missing ancestors (shipped as encoded ops); the txn's patches
/// then become local ops there. At the end every replica applies everything it lacks, and all
/// must hold endContent with byte-identical encoded states.
/// </summary>
internal static class TraceMerge
{
    public static int Run(string path, int runs, bool tryOrders)
    {
        var trace = EditingTrace.Load(path);
        var identity = Enumerable.Range(0, trace.Agents).ToArray();
        var best = double.MaxValue;
        var ok = false;
        for (var run = 0; run <= runs; run++)
        {
            var result = Merge(trace, identity);
            ok = result.Ok;
            if (run > 0)
            {
                best = Math.Min(best, result.Ms);
            }
        }

        if (tryOrders)
        {
            // Which tie-break orders between agents reproduce the trace's end text?
            foreach (var order in Permutations(identity))
            {
                var result = Merge(trace, order);
                Console.Error.WriteLine($"agent ranks [{string.Join(",", order)}]: {(result.Ok ? "matches" : $"differs ({result.Detail})")}");
            }
        }

        Console.WriteLine($"{{\"txns\":{trace.Txns.Length},\"ms\":{best:F1},\"ok\":{(ok ? "true" : "false")},\"replicas\":{trace.Agents}}}");
        return ok ? 0 : 1;
    }

    internal sealed record Result(bool Ok, double Ms, string Detail);

    internal static Result Merge(EditingTrace trace, int[] rank)
    {
        var txns = trace.Txns;
        var agents = trace.Agents;
        var replicas = new RgaText[agents];
        var applied = new bool[agents][];
        for (var a = 0; a < agents; a++)
        {
            replicas[a] = new RgaText(Replicas.Key(rank[a]));
            applied[a] = new bool[txns.Length];
        }

        var shipped = new byte[txns.Length][][];
        var visited = new int[txns.Length];
        var stack = new Stack<int>();
        var missing = new List<int>();
        var unexpected = 0;

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < txns.Length; i++)
        {
            var txn = txns[i];
            var replica = replicas[txn.Agent];
            var done = applied[txn.Agent];

            // The applied set is closed under ancestors, so the walk stops at applied txns.
            missing.Clear();
            foreach (var p in txn.Parents)
            {
                stack.Push(p);
            }

            while (stack.TryPop(out var j))
            {
                if (done[j] || visited[j] == i + 1)
                {
                    continue;
                }

                visited[j] = i + 1;
                missing.Add(j);
                foreach (var p in txns[j].Parents)
                {
                    stack.Push(p);
                }
            }

            missing.Sort();
            foreach (var j in missing)
            {
                unexpected += ApplyAll(replica, shipped[j]);
                done[j] = true;
            }

            var ops = new List<byte[]>(txn.Patches.Length);
            foreach (var (pos, deleted, inserted) in txn.Patches)
            {
                if (deleted > 0)
                {
                    ops.Add(RgaText.EncodeOp(replica.Delete(pos, deleted)));
                }

                if (inserted.Length > 0)
                {
                    ops.Add(RgaText.EncodeOp(replica.Insert(pos, inserted)));
                }
            }

            shipped[i] = [.. ops];
            done[i] = true;
        }

        for (var a = 0; a < agents; a++)
        {
            for (var j = 0; j < txns.Length; j++)
            {
                if (!applied[a][j])
                {
                    unexpected += ApplyAll(replicas[a], shipped[j]);
                }
            }
        }

        var ms = clock.Elapsed.TotalMilliseconds;
        var text = replicas[0].GetText();
        var state = replicas[0].EncodeState();
        var same = replicas.All(r => r.GetText() == text && r.EncodeState().AsSpan().SequenceEqual(state));
        var matches = text == trace.EndContent;
        var detail = matches ? "" : $"first difference at {FirstDifference(text, trace.EndContent)}, lengths {text.Length}/{trace.EndContent.Length}";
        return new Result(same && matches && unexpected == 0, ms, same ? detail : "replicas diverged; " + detail);
    }

    private static int ApplyAll(RgaText replica, byte[][] ops)
    {
        var unexpected = 0;
        foreach (var bytes in ops)
        {
            if (replica.Apply(RgaText.DecodeOp(bytes)) != RgaApplyResult.Applied)
            {
                unexpected++;
            }
        }

        return unexpected;
    }

    private static int FirstDifference(string a, string b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            if (a[i] != b[i])
            {
                return i;
            }
        }

        return n;
    }

    private static IEnumerable<int[]> Permutations(int[] items)
    {
        if (items.Length <= 1)
        {
            yield return items;
            yield break;
        }

        for (var i = 0; i < items.Length; i++)
        {
            var rest = items.Where((_, k) => k != i).ToArray();
            foreach (var tail in Permutations(rest))
            {
                yield return [items[i], .. tail];
            }
        }
    }
}
