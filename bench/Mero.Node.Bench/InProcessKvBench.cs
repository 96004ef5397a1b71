using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Mero.Node.Applications;
using Mero.Node.Configuration;
using Mero.Node.Contexts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mero.Node.Bench;

/// <summary>
/// kv-store <c>set</c> through the node's context manager, in process: Wasmtime execution, the state
/// overlay and one RocksDB batch commit per call. The manager runs commands one at a time, so this
/// is the single-core execute rate the HTTP path can at best reach.
/// </summary>
internal static class InProcessKvBench
{
    public static async Task<int> RunAsync(TimeSpan duration, int submitters)
    {
        var home = Path.Combine(Path.GetTempPath(), "mero-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(home);
        try
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.Services.AddMeroNode(new NodeOptions
            {
                HomeDirectory = home,
                DataPath = Path.Combine(home, "data"),
                BlobPath = Path.Combine(home, "blobs"),
                ServerEndpoints = [new IPEndPoint(IPAddress.Loopback, 0)],
            });
            using var host = builder.Build();
            await host.StartAsync();
            var applications = host.Services.GetRequiredService<ApplicationManager>();
            var contexts = host.Services.GetRequiredService<ContextManager>();
            var appId = await applications.InstallFromPathAsync(RepoPaths.App("kv-store"), null, null, null, CancellationToken.None);
            var context = await contexts.CreateAsync(appId, null, null, null, CancellationToken.None);

            // Warm-up: JIT, Wasmtime instance paths, RocksDB memtable.
            await RunForAsync(contexts, context.ContextId, TimeSpan.FromSeconds(2), 0, submitters);
            var (count, elapsed, latencies) = await RunForAsync(contexts, context.ContextId, duration, 1_000_000, submitters);
            await host.StopAsync();

            latencies.Sort();
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                bench = "kv-set-inproc",
                submitters,
                executes = count,
                seconds = Math.Round(elapsed.TotalSeconds, 2),
                executes_per_s = Math.Round(count / elapsed.TotalSeconds),
                p50_us = Math.Round(Percentile(latencies, 0.50), 1),
                p99_us = Math.Round(Percentile(latencies, 0.99), 1),
            }));
            return 0;
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    // Each submitter awaits its own call before sending the next; with more than one, the manager's
    // loop finds work queued and never parks between calls, which is what a busy node sees.
    private static async Task<(int Count, TimeSpan Elapsed, List<double> LatenciesUs)> RunForAsync(ContextManager contexts, ContextId contextId, TimeSpan duration, int offset, int submitters)
    {
        var total = Stopwatch.StartNew();
        var counter = offset;
        var workers = Enumerable.Range(0, submitters).Select(_ => Task.Run(async () =>
        {
            var latencies = new List<double>(1 << 16);
            while (total.Elapsed < duration)
            {
                var n = Interlocked.Increment(ref counter);
                var args = Encoding.UTF8.GetBytes($$"""{"key":"key-{{n}}","value":"value-{{n}}"}""");
                var started = Stopwatch.GetTimestamp();
                var report = await contexts.ExecuteMethodAsync(contextId, "set", args, null, CancellationToken.None);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                if (!report.Outcome.Success)
                {
                    throw new InvalidOperationException($"set failed: {report.Outcome.Error?.Message}");
                }
            }

            return latencies;
        })).ToArray();
        var all = (await Task.WhenAll(workers)).SelectMany(l => l).ToList();
        return (all.Count, total.Elapsed, all);
    }

    internal static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
