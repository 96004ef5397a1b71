using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mero.Integration.Tests;

/// <summary>
/// A real <c>merod</c> process in a temp home on a free loopback port. Tests talk to it over HTTP
/// only, exactly as operators and apps do.
/// </summary>
public sealed class MerodProcess : IAsyncDisposable
{
    /// <summary>
    /// A merod start costs a few CPU-seconds (JIT, RocksDB, Wasmtime); on two cores shared with a dozen
    /// test processes that has taken over 30 s of wall time. Slow under load is not a failure; a process
    /// that exits, or never answers, still is.
    /// </summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Shutdown normally takes 1-3 s; the bound only catches a node that ignores the signal.</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    private readonly StringBuilder _output = new();
    private Process? _process;

    private MerodProcess(string home, string nodeName, int port, int swarmPort)
    {
        Home = home;
        NodeName = nodeName;
        Port = port;
        SwarmPort = swarmPort;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public string Home { get; }

    public string NodeName { get; }

    public int Port { get; }

    public int SwarmPort { get; }

    public HttpClient Http { get; }

    public string NodeHome => Path.Combine(Home, NodeName);

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<MerodProcess> StartAsync(string nodeName = "node1")
    {
        var node = await InitAsync(nodeName);
        try
        {
            await node.StartAsync();
            return node;
        }
        catch
        {
            // The caller never gets the node, so nobody else would stop it or delete its home.
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>Inits a node in a fresh temp home without running it (so several can init at once, then be configured).</summary>
    public static async Task<MerodProcess> InitAsync(string nodeName)
    {
        var home = Path.Combine(Path.GetTempPath(), "merod-it-" + Guid.NewGuid().ToString("N"));
        var node = new MerodProcess(home, nodeName, FreePort(), FreePort());
        var init = await RunToEndAsync([
            "--home", home, "--node", nodeName, "init",
            "--server-port", node.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--swarm-port", node.SwarmPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ]);
        if (init.ExitCode != 0)
        {
            throw new InvalidOperationException($"merod init failed ({init.ExitCode}): {init.Output}");
        }

        return node;
    }

    public async Task StartAsync()
    {
        _process = Process.Start(StartInfo(["--home", Home, "--node", NodeName, "run"]))!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"merod exited with {_process.ExitCode}: {Output}");
            }

            try
            {
                using var response = await Http.GetAsync("/admin-api/health");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        _process.Kill(entireProcessTree: true);
        throw new TimeoutException($"merod did not answer /admin-api/health within {StartTimeout.TotalSeconds} s: {Output}");
    }

    /// <summary>
    /// Stops the node the way an operator's Ctrl-C does (SIGINT), or a service manager does with
    /// <paramref name="signal"/> "TERM", and waits for it to exit.
    /// </summary>
    public async Task StopAsync(string signal = "INT")
    {
        if (_process is null || _process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(StopTimeout);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"merod ignored SIG{signal} for {StopTimeout.TotalSeconds} s: {Output}");
        }
    }

    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    public bool IsRunning => _process is { HasExited: false };

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        Http.Dispose();
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static async Task<(int ExitCode, string Output)> RunToEndAsync(string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    private static ProcessStartInfo StartInfo(string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "merod.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
