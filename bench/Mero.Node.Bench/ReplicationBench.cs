using System.Diagnostics;
using System.Text.Json;
using Mero.Node.Replication;
using Mero.Node.Replication.Wire;

namespace Mero.Node.Bench;

/// <summary>
/// Replication over real libp2p on loopback, full nodes in one process (issue #7 targets):
/// <c>converge</c>: N nodes, W writes spread over them, time from the last write until every node
/// holds the same root and heads; <c>snapshot</c>: a node joins a context of E kv entries and
/// fetches it as a snapshot, rate = plain state bytes / time from first page request to install.
/// </summary>
internal static class ReplicationBench
{
    private static readonly ReplicationOptions Options = new()
    {
        HeartbeatInterval = TimeSpan.FromSeconds(1),
        FollowRetryInterval = TimeSpan.FromMilliseconds(100),
    };

    public static async Task<int> ConvergeAsync(int nodes, int writes)
    {
        await using var cluster = new InProcessCluster(nodes, replication: Options, transport: ClusterTransport.Libp2p);
        await cluster.StartAsync();
        var (_, context) = await cluster.CreateKvContextAsync();
        if (!await cluster.WaitConvergedAsync(context, TimeSpan.FromSeconds(60)))
        {
            throw new InvalidOperationException("the joiners never caught up: " + cluster.Describe(context));
        }

        var total = Stopwatch.StartNew();
        await Task.WhenAll(cluster.Running.Select(node => Task.Run(async () =>
        {
            for (var i = node.Index; i < writes; i += nodes)
            {
                await node.CallAsync(context, "set", $$"""{"key":"key-{{i}}","value":"value-{{i}}"}""");
            }
        })));
        var writing = total.Elapsed;
        var afterLast = Stopwatch.StartNew();
        while (!cluster.IsConverged(context))
        {
            if (afterLast.Elapsed > TimeSpan.FromSeconds(120))
            {
                throw new InvalidOperationException("no convergence in 120 s: " + cluster.Describe(context));
            }

            await Task.Delay(1);
        }

        var converge = afterLast.Elapsed;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            bench = "replication-converge",
            nodes,
            writes,
            write_seconds = Math.Round(writing.TotalSeconds, 2),
            converge_ms_after_last_write = Math.Round(converge.TotalMilliseconds, 1),
            root_mismatches = cluster.Running.Sum(n => n.Contexts.RootMismatches),
            ops_fetched_by_sync = cluster.Running.Sum(n => n.Replication.FetchedBySync),
        }));
        return 0;
    }

    public static async Task<int> SnapshotAsync(int entries)
    {
        await using var cluster = new InProcessCluster(2, replication: Options, transport: ClusterTransport.Libp2p);
        await cluster.StartAsync();
        var (app, context) = await cluster.CreateKvContextAsync(joiners: []);
        var writer = cluster[0];
        await Task.WhenAll(Enumerable.Range(0, 8).Select(lane => Task.Run(async () =>
        {
            for (var i = lane; i < entries; i += 8)
            {
                await writer.CallAsync(context, "set", $$"""{"key":"key-{{i}}","value":"value-{{i}}-{{new string('x', 32)}}"}""");
            }
        })));

        // Each side's share alone, one thread, no network: freeze the context, read and seal every
        // page; then open every page and write its records and op ids into sorted files.
        var serverWatch = Stopwatch.StartNew();
        var key = (await cluster.Authority.CurrentKeyAsync(context, CancellationToken.None))!;
        var pages = new List<(byte[] Payload, uint Length)>();
        using (var pager = new SnapshotPager((await writer.Contexts.OpenSnapshotAsync(context, CancellationToken.None))!))
        {
            while (!pager.Done)
            {
                pages.Add(pager.Next(Options.SnapshotPageBytes, key));
            }
        }

        var serverMs = serverWatch.Elapsed.TotalMilliseconds;
        var openWatch = Stopwatch.StartNew();
        using (var received = writer.Contexts.CreateSnapshotReceiver(context))
        {
            foreach (var (payload, length) in pages)
            {
                SnapshotCodec.OpenInto(received, context, payload, length, key, SyncProtocol.MaxDecompressedPageBytes);
            }
        }

        var openMs = openWatch.Elapsed.TotalMilliseconds;
        var join = Stopwatch.StartNew();
        await cluster.JoinAsync(1, app, context);
        if (!await cluster.WaitConvergedAsync(context, TimeSpan.FromSeconds(Math.Max(20, entries / 1000))))
        {
            throw new InvalidOperationException("the joiner never converged: " + cluster.Describe(context) + "\nfirst lines:\n" + string.Join("\n", cluster.Log.Where(l => l.Contains("Replication", StringComparison.Ordinal) || l.Contains("Warn", StringComparison.Ordinal)).Take(15)));
        }

        var joined = join.Elapsed;

        // The stats are recorded just after the install that made the roots equal.
        for (var i = 0; i < 100 && cluster[1].Replication.LastSnapshot is null; i++)
        {
            await Task.Delay(10);
        }

        var stats = cluster[1].Replication.LastSnapshot ?? throw new InvalidOperationException("the joiner took no snapshot: " + string.Join("\n", cluster.Log.Where(l => l.Contains("node1", StringComparison.Ordinal)).TakeLast(20)));
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            bench = "replication-snapshot",
            entries,
            records = stats.Records,
            plain_mb = Math.Round(stats.PlainBytes / 1e6, 2),
            wire_mb = Math.Round(stats.WireBytes / 1e6, 2),
            snapshot_ms = Math.Round(stats.Elapsed.TotalMilliseconds, 1),
            fetch_ms = Math.Round(stats.Fetching.TotalMilliseconds, 1),
            server_pages_ms = Math.Round(serverMs, 1),
            client_open_ms = Math.Round(openMs, 1),
            pages = pages.Count,
            plain_mb_per_s = Math.Round(stats.PlainBytes / 1e6 / stats.Elapsed.TotalSeconds, 1),
            join_to_converged_ms = Math.Round(joined.TotalMilliseconds, 1),
        }));
        return 0;
    }
}
