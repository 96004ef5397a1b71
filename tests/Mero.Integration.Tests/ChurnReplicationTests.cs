using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Mero.Node.Configuration;
using Xunit;
using Xunit.Abstractions;

namespace Mero.Integration.Tests;

/// <summary>
/// Churn on four real merod processes over loopback libp2p (nodes 2-4 bootstrap to node 1): every
/// node writes concurrently to one namespace context, with distinct keys and a few keys all nodes
/// write (last-writer-wins conflicts); node 4 gets SIGTERM halfway through its own writes, the
/// others keep writing, then node 4 restarts on the same home, catches up by sync and writes again.
/// At the end all four show the same root and DAG heads, every key reads the same on every node, and
/// every write node 4 acknowledged during its shutdown survived.
/// </summary>
public sealed partial class ChurnReplicationTests(ITestOutputHelper output)
{
    private const int Nodes = 4;
    private const int WritesPerNode = 400;

    // Node 4 stops after this many of its writes; the others wait for the stop here, then write
    // up to ResumeAt while node 4 is surely down (it restarts only once all of them got there).
    private const int StopAt = 200;
    private const int ResumeAt = 300;

    // Every fifth write goes to one of these keys, which every node writes.
    private const int SharedKeys = 8;

    [Fact]
    public async Task Concurrent_writes_on_four_nodes_with_one_restarted_midway_converge()
    {
        var clock = Stopwatch.StartNew();
        // Init all four at once; node 1 runs first because the others dial it once at startup.
        var inited = await Task.WhenAll(Enumerable.Range(1, Nodes).Select(n => MerodProcess.InitAsync($"node{n}")));
        await using var node1 = inited[0];
        await using var node2 = inited[1];
        await using var node3 = inited[2];
        await using var node4 = inited[3];
        var nodes = inited;
        var peer1 = NodeConfigFile.Load(Path.Combine(node1.NodeHome, NodeConfigFile.FileName)).Identity.PeerId;
        foreach (var node in nodes)
        {
            Configure(node, node == node1 ? null : $"/ip4/127.0.0.1/tcp/{node1.SwarmPort}/p2p/{peer1}");
        }

        await node1.StartAsync();
        await Task.WhenAll(nodes[1..].Select(n => n.StartAsync()));
        output.WriteLine($"nodes up {clock.Elapsed.TotalSeconds:F1} s");
        var apps = await Task.WhenAll(nodes.Select(n => n.Http.InstallAppAsync(RepoPaths.App("kv-store"))));
        Assert.Single(apps.Distinct());

        var created = await MerodCluster.AdminAsync(node1, HttpMethod.Post, "/admin-api/namespaces", new { applicationId = apps[0] });
        var ns = created.GetProperty("namespaceId").GetString()!;
        var context = created.GetProperty("contextId").GetString()!;
        output.WriteLine($"apps installed, namespace created {clock.Elapsed.TotalSeconds:F1} s");
        await Task.WhenAll(nodes[1..].Select(joiner => MerodCluster.JoinAsync(joiner, node1, ns, context)));

        output.WriteLine($"setup {clock.Elapsed.TotalSeconds:F1} s");
        var writesStarted = clock.Elapsed;

        var node4Stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var othersResumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waitingForResume = Nodes - 1;
        var restartOutputStart = 0;
        TimeSpan downFor = default, stopTook = default, startTook = default;
        int? stopExit = null;
        var acknowledgedDuringStop = 0;
        var failedDuringStop = "none";
        var done = new int[Nodes];
        var progressAtStop = "";

        async Task WriteAsync(int k, int i)
        {
            var (key, value) = Write(k, i);
            var rpc = await nodes[k].Http.ExecuteAsync(context, "set", new { key, value });
            Assert.True(rpc.TryGetProperty("result", out _), $"{nodes[k].NodeName} set {key}: {rpc}");
        }

        async Task OtherAsync(int k)
        {
            for (var i = 0; i < WritesPerNode; i++)
            {
                if (i == StopAt)
                {
                    await node4Stopped.Task.WaitAsync(TimeSpan.FromSeconds(60));
                }
                else if (i == ResumeAt && Interlocked.Decrement(ref waitingForResume) == 0)
                {
                    othersResumed.SetResult();
                }

                await WriteAsync(k, i);
                done[k] = i + 1;
            }
        }

        async Task Node4Async()
        {
            const int k = Nodes - 1;
            for (var i = 0; i < StopAt; i++)
            {
                await WriteAsync(k, i);
            }

            // SIGTERM while node 4's own writes and the others' ops are in flight: writes go on until
            // one fails; every write it acknowledged must survive, and the failed one is sent again.
            progressAtStop = string.Join("/", done.Take(Nodes - 1));
            var stopping = Stopwatch.GetTimestamp();
            var stop = node4.StopAsync("TERM");
            var next = StopAt;
            while (!stop.IsCompleted && next < ResumeAt)
            {
                try
                {
                    await WriteAsync(k, next);
                    next++;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or Xunit.Sdk.XunitException)
                {
                    failedDuringStop = $"{ex.GetType().Name}: {ex.Message[..Math.Min(ex.Message.Length, 160)]}";
                    break;
                }
            }

            await stop;
            stopTook = Stopwatch.GetElapsedTime(stopping);
            stopExit = node4.ExitCode;
            acknowledgedDuringStop = next - StopAt;
            node4Stopped.SetResult();

            // Restart once the others wrote on without node 4.
            await othersResumed.Task.WaitAsync(TimeSpan.FromSeconds(60));
            restartOutputStart = node4.Output.Length;
            var starting = Stopwatch.GetTimestamp();
            await node4.StartAsync();
            startTook = Stopwatch.GetElapsedTime(starting);
            downFor = Stopwatch.GetElapsedTime(stopping);
            for (var i = next; i < WritesPerNode; i++)
            {
                await WriteAsync(k, i);
            }
        }

        var writers = Enumerable.Range(0, Nodes - 1).Select(k => Task.Run(() => OtherAsync(k))).Append(Task.Run(Node4Async)).ToArray();
        await Task.WhenAll(writers);
        output.WriteLine($"{Nodes * WritesPerNode} writes in {(clock.Elapsed - writesStarted).TotalSeconds:F1} s; node4 down {downFor.TotalSeconds:F1} s ({acknowledgedDuringStop} writes acknowledged after SIGTERM, exit code {stopExit} after {stopTook.TotalSeconds:F1} s, restart {startTook.TotalSeconds:F1} s)");

        output.WriteLine($"node4's write during shutdown failed with {failedDuringStop}; nodes 1-3 had written {progressAtStop} when it got SIGTERM");
        Assert.Equal(0, stopExit); // SIGTERM is a clean shutdown, not a crash
        var convergeStarted = clock.Elapsed;
        var converged = await MerodCluster.ConvergedAsync(nodes, context, TimeSpan.FromSeconds(60));
        Assert.True(converged.Ok, converged.Views);
        output.WriteLine($"converged {(clock.Elapsed - convergeStarted).TotalSeconds:F1} s after the last write: {converged.Views}");

        // Every key on every node: own keys hold their one value; shared keys the same winner everywhere,
        // and that winner is one of the values written to it.
        var readStarted = clock.Elapsed;
        var views = await Task.WhenAll(nodes.Select(node => ReadAllAsync(node, context)));
        var written = Enumerable.Range(0, Nodes).SelectMany(k => Enumerable.Range(0, WritesPerNode).Select(i => Write(k, i))).ToList();
        foreach (var (key, value) in written.Where(w => !w.Key.StartsWith('s')))
        {
            foreach (var (node, view) in nodes.Zip(views))
            {
                Assert.True(view[key] == value, $"{node.NodeName}: {key} = {view[key] ?? "<missing>"}, expected {value}");
            }
        }

        for (var s = 0; s < SharedKeys; s++)
        {
            var key = $"s{s}";
            var winners = views.Select(v => v[key]).Distinct().ToList();
            Assert.True(winners.Count == 1, $"{key} differs across nodes: {string.Join(", ", views.Select(v => v[key]))}");
            Assert.Contains(winners[0], written.Where(w => w.Key == key).Select(w => w.Value));
        }

        output.WriteLine($"read {views.Sum(v => v.Count)} keys in {(clock.Elapsed - readStarted).TotalSeconds:F1} s");

        // Node 4 caught up what it missed by sync after its restart (delta catch-up or snapshot).
        var beforeStop = node4.Output[..restartOutputStart];
        output.WriteLine($"node4 before its stop: fetched {CaughtUpLine().Matches(beforeStop).Sum(m => int.Parse(m.Groups["fetched"].Value, System.Globalization.CultureInfo.InvariantCulture))} ops by sync in {CaughtUpLine().Count(beforeStop)} sessions");
        var afterRestart = node4.Output[restartOutputStart..];
        var fetched = CaughtUpLine().Matches(afterRestart).Where(m => m.Groups["ctx"].Value == context).Sum(m => int.Parse(m.Groups["fetched"].Value, System.Globalization.CultureInfo.InvariantCulture));
        var snapshot = afterRestart.Contains($"snapshot of {context} from", StringComparison.Ordinal) && afterRestart.Contains("installed=True", StringComparison.Ordinal);
        output.WriteLine($"node4 after restart: fetched {fetched} ops by sync, snapshot installed: {snapshot}");
        foreach (var line in afterRestart.Split('\n').Where(l => l.Contains(context, StringComparison.Ordinal)))
        {
            output.WriteLine("  node4: " + line.TrimEnd());
        }

        Assert.True(fetched > 0 || snapshot, $"node4 shows no catch-up by sync after its restart:\n{afterRestart}");

        foreach (var node in nodes)
        {
            foreach (var line in node.Output.Split('\n').Where(l => l.Contains(" warn: ", StringComparison.Ordinal) || l.Contains(" fail: ", StringComparison.Ordinal)).Take(20))
            {
                output.WriteLine($"  {node.NodeName}: {line.TrimEnd()}");
            }

            // Errors (a root mismatch logs one) or a crash anywhere fail the run, even if the nodes converged.
            Assert.True(node.IsRunning, $"{node.NodeName} exited: {node.Output}");
            var lines = node.Output.Split('\n');
            var failure = Array.FindIndex(lines, l => l.Contains(" fail: ", StringComparison.Ordinal) || l.Contains(" crit: ", StringComparison.Ordinal));
            Assert.True(failure < 0, $"{node.NodeName} logged an error:\n{string.Join('\n', lines.Skip(failure).Take(6))}");
        }

        output.WriteLine($"total {clock.Elapsed.TotalSeconds:F1} s");
    }

    private static (string Key, string Value) Write(int node, int i) =>
        i % 5 == 0 ? ($"s{i / 5 % SharedKeys}", $"n{node}-{i}") : ($"n{node}-{i}", $"v{i}");

    /// <summary>Each key written anywhere, read on <paramref name="node"/> a few at a time (null when missing).</summary>
    private static async Task<ConcurrentDictionary<string, string?>> ReadAllAsync(MerodProcess node, string context)
    {
        var keys = Enumerable.Range(0, Nodes).SelectMany(k => Enumerable.Range(0, WritesPerNode).Select(i => Write(k, i).Key)).Distinct();
        var view = new ConcurrentDictionary<string, string?>();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (key, _) =>
        {
            var rpc = await node.Http.ExecuteAsync(context, "get", new { key });
            var result = rpc.Result();
            view[key] = result.TryGetProperty("output", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        });
        return view;
    }

    /// <summary>Points the node at <paramref name="boot"/> (when given) and shortens its sync intervals.</summary>
    private static void Configure(MerodProcess node, string? boot)
    {
        var path = Path.Combine(node.NodeHome, NodeConfigFile.FileName);
        var config = NodeConfigFile.Load(path);
        if (boot is not null)
        {
            config.Bootstrap.Nodes = [boot];
        }

        config.Sync.IntervalMs = 500;
        config.Sync.HeartbeatIntervalMs = 1000;
        config.Save(path);
    }

    [GeneratedRegex(@"caught up (?<ctx>\S+) from \S+: fetched (?<fetched>\d+) ops")]
    private static partial Regex CaughtUpLine();
}
