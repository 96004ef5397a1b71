using System.IO.Compression;
using System.Text.Json;

namespace Mero.Bench;

/// <summary>One patch of a trace: at Position delete Deleted code points, then insert Inserted.</summary>
internal readonly record struct TracePatch(int Position, int Deleted, string Inserted);

/// <summary>One transaction: its patches, and for concurrent traces its agent and parent txns.</summary>
internal sealed record TraceTxn(TracePatch[] Patches, int Agent, int[] Parents);

/// <summary>An editing trace in the josephg/editing-traces format (sequential or concurrent).</summary>
internal sealed record EditingTrace(string StartContent, string EndContent, TraceTxn[] Txns, int Agents)
{
    public int PatchCount => Txns.Sum(t => t.Patches.Length);

    public static EditingTrace Load(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var json = JsonDocument.Parse(gzip);
        var root = json.RootElement;
        var start = root.TryGetProperty("startContent", out var s) ? s.GetString() ?? "" : "";
        var end = root.GetProperty("endContent").GetString() ?? "";
        var txns = new List<TraceTxn>();
        var agents = 1;
        var previous = -1;
        foreach (var txn in root.GetProperty("txns").EnumerateArray())
        {
            var patches = txn.GetProperty("patches").EnumerateArray()
                .Select(p => new TracePatch(p[0].GetInt32(), p[1].GetInt32(), p[2].GetString() ?? ""))
                .ToArray();
            var agent = txn.TryGetProperty("agent", out var a) ? a.GetInt32() : 0;

            // Sequential traces have no parents: each txn follows the previous one.
            var parents = txn.TryGetProperty("parents", out var ps)
                ? ps.EnumerateArray().Select(p => p.GetInt32()).ToArray()
                : previous >= 0 ? [previous] : [];
            txns.Add(new TraceTxn(patches, agent, parents));
            agents = Math.Max(agents, agent + 1);
            previous++;
        }

        if (root.TryGetProperty("numAgents", out var n))
        {
            agents = Math.Max(agents, n.GetInt32());
        }

        return new EditingTrace(start, end, [.. txns], agents);
    }
}
