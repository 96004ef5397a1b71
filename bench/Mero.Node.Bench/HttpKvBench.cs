using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Mero.Node.Bench;

/// <summary>
/// kv-store <c>set</c> over JSON-RPC against a real <c>merod</c> process: N concurrent clients, each
/// sending its next request as soon as the previous one is answered. Client and node share the
/// machine, so the figure includes the load generator's own CPU.
/// </summary>
internal static class HttpKvBench
{
    public static async Task<int> RunAsync(TimeSpan duration, int clients)
    {
        var home = Path.Combine(Path.GetTempPath(), "mero-bench-http-" + Guid.NewGuid().ToString("N"));
        var port = FreePort();
        await RunMerodAsync(home, ["init", "--server-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--swarm-port", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        using var node = StartMerod(home, ["run"]);
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
            {
                BaseAddress = new Uri($"http://127.0.0.1:{port}"),
                Timeout = TimeSpan.FromSeconds(30),
            };
            await WaitHealthyAsync(http, node);
            var install = await PostAsync(http, "/admin-api/install-dev-application", new { path = RepoPaths.App("kv-store"), metadata = Array.Empty<byte>() });
            var appId = install.GetProperty("data").GetProperty("applicationId").GetString()!;
            var created = await PostAsync(http, "/admin-api/contexts", new { applicationId = appId });
            var contextId = created.GetProperty("data").GetProperty("contextId").GetString()!;

            await LoadAsync(http, contextId, clients, TimeSpan.FromSeconds(2), "warm");
            var (count, errors, elapsed, latencies) = await LoadAsync(http, contextId, clients, duration, "run");
            latencies.Sort();
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                bench = "kv-set-http",
                clients,
                requests = count,
                errors,
                seconds = Math.Round(elapsed.TotalSeconds, 2),
                requests_per_s = Math.Round(count / elapsed.TotalSeconds),
                p50_ms = Math.Round(InProcessKvBench.Percentile(latencies, 0.50) / 1000, 2),
                p99_ms = Math.Round(InProcessKvBench.Percentile(latencies, 0.99) / 1000, 2),
            }));
            return errors == 0 ? 0 : 1;
        }
        finally
        {
            if (!node.HasExited)
            {
                node.Kill(entireProcessTree: true);
                await node.WaitForExitAsync();
            }

            Directory.Delete(home, recursive: true);
        }
    }

    private static async Task<(int Count, int Errors, TimeSpan Elapsed, List<double> LatenciesUs)> LoadAsync(HttpClient http, string contextId, int clients, TimeSpan duration, string tag)
    {
        var total = Stopwatch.StartNew();
        var perClient = await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
        {
            var latencies = new List<double>(4096);
            var errors = 0;
            for (var i = 0; total.Elapsed < duration; i++)
            {
                var body = "{\"jsonrpc\":\"2.0\",\"id\":" + i + ",\"method\":\"execute\",\"params\":{\"contextId\":\"" + contextId
                    + "\",\"method\":\"set\",\"argsJson\":{\"key\":\"" + tag + "-" + client + "-" + i + "\",\"value\":\"v" + i + "\"}}}";
                var started = Stopwatch.GetTimestamp();
                using var response = await http.PostAsync("/jsonrpc", new StringContent(body, Encoding.UTF8, "application/json"));
                var text = await response.Content.ReadAsStringAsync();
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                if (!response.IsSuccessStatusCode || !text.Contains("\"result\"", StringComparison.Ordinal))
                {
                    errors++;
                }
            }

            return (latencies, errors);
        }));
        var elapsed = total.Elapsed;
        var all = perClient.SelectMany(c => c.latencies).ToList();
        return (all.Count, perClient.Sum(c => c.errors), elapsed, all);
    }

    private static async Task<JsonElement> PostAsync(HttpClient http, string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode
            ? JsonDocument.Parse(text).RootElement.Clone()
            : throw new InvalidOperationException($"POST {path}: HTTP {(int)response.StatusCode}: {text}");
    }

    private static async Task WaitHealthyAsync(HttpClient http, Process node)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if (node.HasExited)
            {
                throw new InvalidOperationException($"merod exited with {node.ExitCode}");
            }

            try
            {
                using var response = await http.GetAsync("/admin-api/health");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("merod did not become healthy in 30 s");
    }

    private static async Task RunMerodAsync(string home, string[] args)
    {
        using var process = StartMerod(home, args);
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"merod {string.Join(' ', args)} exited with {process.ExitCode}");
        }
    }

    private static Process StartMerod(string home, string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = false, RedirectStandardError = false };
        info.ArgumentList.Add(RepoPaths.MerodDll);
        foreach (var arg in (string[])["--home", home, "--node", "bench", .. args])
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["Logging__LogLevel__Default"] = "Warning";
        return Process.Start(info) ?? throw new InvalidOperationException("could not start merod");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
