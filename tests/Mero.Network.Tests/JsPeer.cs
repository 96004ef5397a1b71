using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using Mero.Network.Multiformats;

namespace Mero.Network.Tests;

/// <summary>
/// A js-libp2p peer (tests/interop/peer.mjs) run as a child process. Installs the pinned npm
/// packages with <c>npm ci</c> when node_modules is missing or the lock file changed. Also compiled
/// into bench/Mero.Network.Bench.
/// </summary>
public sealed class JsPeer : IAsyncDisposable
{
    private static readonly SemaphoreSlim InstallGate = new(1, 1);
    private static bool s_installed;

    private readonly Process _process;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly Channel<JsonElement> _events = Channel.CreateUnbounded<JsonElement>();
    private readonly Action<string>? _output;
    private int _nextId;

    private JsPeer(Process process, Action<string>? output)
    {
        _process = process;
        _output = output;
    }

    public PeerId PeerId { get; private set; } = null!;

    /// <summary>Every gossipsub message event received (kept apart from the event stream so none is lost).</summary>
    public ConcurrentQueue<JsonElement> Messages { get; } = new();

    /// <summary>Gossip latencies (ms) reported for benchmark messages.</summary>
    public ConcurrentQueue<double> Latencies { get; } = new();

    /// <summary>Waits until a received gossip message carries <paramref name="data"/>.</summary>
    public async Task<JsonElement> WaitForMessageAsync(string data, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var m in Messages)
            {
                if (m.GetProperty("data").GetString() == data)
                {
                    return m;
                }
            }

            await Task.Delay(20, ct);
        }

        throw new TimeoutException($"js peer: no gossip message '{data}' within {timeout}");
    }

    /// <summary>The listen address with /p2p.</summary>
    public Multiaddr Address { get; private set; } = null!;

    public static string InteropDirectory { get; } = Path.Combine(FindRepositoryRoot(), "tests", "interop");

    public static Task<JsPeer> StartAsync(Action<string>? output, CancellationToken ct) => StartAsync(output, [], ct);

    /// <summary>Starts peer.mjs with extra arguments (<c>--gossip</c>, <c>--kad PROTOCOL</c>).</summary>
    public static async Task<JsPeer> StartAsync(Action<string>? output, IReadOnlyList<string> arguments, CancellationToken ct)
    {
        await EnsureInstalledAsync(ct);
        var start = new ProcessStartInfo("node", ["--import", "./polyfill.mjs", "peer.mjs", .. arguments])
        {
            WorkingDirectory = InteropDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        var peer = new JsPeer(process, output);
        _ = Task.Run(peer.ReadStdoutAsync, CancellationToken.None);
        _ = Task.Run(peer.ReadStderrAsync, CancellationToken.None);
        var ready = await peer.WaitForEventAsync("ready", _ => true, TimeSpan.FromSeconds(20), ct);
        peer.PeerId = PeerId.Parse(ready.GetProperty("peerId").GetString()!);
        peer.Address = Multiaddr.Parse(ready.GetProperty("addrs")[0].GetString()!);
        return peer;
    }

    /// <summary>Runs a command; throws if the peer answers ok:false.</summary>
    public async Task<JsonElement> CommandAsync(string command, CancellationToken ct, params string[] args)
    {
        var result = await TryCommandAsync(command, ct, args);
        if (!result.GetProperty("ok").GetBoolean())
        {
            throw new InvalidOperationException($"js peer: {command} failed: {result.GetProperty("error").GetString()}");
        }

        return result;
    }

    public async Task<JsonElement> TryCommandAsync(string command, CancellationToken ct, params string[] args)
    {
        var id = Interlocked.Increment(ref _nextId);
        var completion = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = completion;
        var line = string.Join(' ', [id.ToString(System.Globalization.CultureInfo.InvariantCulture), command, .. args]);
        Log("> " + line);
        await _process.StandardInput.WriteLineAsync(line.AsMemory(), ct);
        await _process.StandardInput.FlushAsync(ct);
        return await completion.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
    }

    public async Task<JsonElement> WaitForEventAsync(string name, Func<JsonElement, bool> match, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await foreach (var e in _events.Reader.ReadAllAsync(cts.Token))
            {
                if (e.GetProperty("event").GetString() == name && match(e))
                {
                    return e;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }

        throw new TimeoutException($"js peer: no '{name}' event within {timeout}");
    }

    private async Task ReadStdoutAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            Log("< " + line);
            JsonElement json;
            try
            {
                json = JsonDocument.Parse(line).RootElement.Clone();
            }
            catch (JsonException)
            {
                continue;
            }

            if (json.TryGetProperty("id", out var id) && _pending.TryRemove(id.GetInt32(), out var completion))
            {
                completion.TrySetResult(json);
            }
            else if (json.TryGetProperty("event", out var name))
            {
                if (name.GetString() == "message")
                {
                    Messages.Enqueue(json);
                }
                else if (name.GetString() == "latency")
                {
                    Latencies.Enqueue(json.GetProperty("ms").GetDouble());
                    continue;
                }

                _events.Writer.TryWrite(json);
            }
        }

        foreach (var pending in _pending.Values)
        {
            pending.TrySetException(new IOException("js peer exited"));
        }

        _events.Writer.TryComplete();
    }

    private async Task ReadStderrAsync()
    {
        while (await _process.StandardError.ReadLineAsync() is { } line)
        {
            Log("! " + line);
        }
    }

    private void Log(string line)
    {
        try
        {
            _output?.Invoke($"{DateTime.UtcNow:HH:mm:ss.fff} js {line}");
        }
        catch (InvalidOperationException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private static async Task EnsureInstalledAsync(CancellationToken ct)
    {
        if (s_installed)
        {
            return;
        }

        await InstallGate.WaitAsync(ct);
        try
        {
            if (s_installed)
            {
                return;
            }

            var lockHash = Convert.ToHexStringLower(SHA256.HashData(
                [.. await File.ReadAllBytesAsync(Path.Combine(InteropDirectory, "package-lock.json"), ct),
                 .. await File.ReadAllBytesAsync(Path.Combine(InteropDirectory, "package.json"), ct)]));
            var stamp = Path.Combine(InteropDirectory, "node_modules", ".mero-install-stamp");
            if (!File.Exists(stamp) || (await File.ReadAllTextAsync(stamp, ct)).Trim() != lockHash)
            {
                // Serialise with other test processes sharing this checkout.
                await using var fileLock = await AcquireFileLockAsync(Path.Combine(Path.GetTempPath(), "mero-interop-npm-" + lockHash[..16] + ".lock"), ct);
                if (!File.Exists(stamp) || (await File.ReadAllTextAsync(stamp, ct)).Trim() != lockHash)
                {
                    var npm = Process.Start(new ProcessStartInfo("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                    {
                        WorkingDirectory = InteropDirectory,
                        RedirectStandardOutput = true,
                        RedirectStandardError = true,
                    }) ?? throw new InvalidOperationException("could not start npm");
                    var stderr = npm.StandardError.ReadToEndAsync(ct);
                    _ = npm.StandardOutput.ReadToEndAsync(ct);
                    await npm.WaitForExitAsync(ct);
                    if (npm.ExitCode != 0)
                    {
                        throw new InvalidOperationException($"npm ci in {InteropDirectory} failed: {await stderr}");
                    }

                    await File.WriteAllTextAsync(stamp, lockHash + "\n", ct);
                }
            }

            s_installed = true;
        }
        finally
        {
            InstallGate.Release();
        }
    }

    private static async Task<FileStream> AcquireFileLockAsync(string path, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(200, ct);
            }
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mero.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root (Mero.slnx) not found above " + AppContext.BaseDirectory);
    }
}
