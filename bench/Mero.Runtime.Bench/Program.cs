using System.Diagnostics;
using System.Globalization;
using System.Text;
using Mero.Runtime;

// Per-call cost of the WebAssembly engine alone (no node, no store, no HTTP): an empty method,
// and kv-store's get and set against an in-memory map. One JSON line per case.
var seconds = Option(args, "--seconds", 5);
var cases = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "all";

using var engine = new WasmEngine();
var context = new Mero.Runtime.ExecutionContext(Enumerable.Repeat((byte)1, 32).ToArray(), Enumerable.Repeat((byte)2, 32).ToArray());

var empty = engine.Compile(Wasmtime.Module.ConvertText("""(module (memory (export "memory") 1) (func (export "noop")))"""));
var kvPath = Path.Combine(FindRoot(), "apps", "kv-store", "build", "kv-store.wasm");
if (!File.Exists(kvPath))
{
    Console.Error.WriteLine($"{kvPath} is missing: run scripts/build-apps.sh first");
    return 2;
}

var kv = engine.Compile(File.ReadAllBytes(kvPath));
var storage = new MapStorage();
Check(engine.Run(kv, "init", "{}"u8.ToArray(), context, storage));
Check(engine.Run(kv, "set", """{"key":"greeting","value":"hello"}"""u8.ToArray(), context, storage));

var setInputs = Enumerable.Range(0, 1024).Select(i => Encoding.UTF8.GetBytes($$"""{"key":"k{{i}}","value":"value {{i}}"}""")).ToArray();
var getInput = """{"key":"greeting"}"""u8.ToArray();

if (cases is "all" or "empty")
{
    Measure("runtime.empty_method", seconds, _ => engine.Run(empty, "noop", [], context, storage));
}

if (cases is "all" or "kv-get")
{
    Measure("runtime.kv_get", seconds, _ => engine.Run(kv, "get", getInput, context, storage));
}

if (cases is "all" or "kv-set")
{
    Measure("runtime.kv_set", seconds, i => engine.Run(kv, "set", setInputs[i % setInputs.Length], context, storage));
}

return 0;

static void Measure(string name, int seconds, Func<int, Outcome> call)
{
    // Warm-up: JIT, pooled memory slots, module caches.
    for (var i = 0; i < 2000; i++)
    {
        Check(call(i));
    }

    var samples = new List<long>(1 << 20);
    var until = Stopwatch.GetTimestamp() + (seconds * Stopwatch.Frequency);
    var started = Stopwatch.GetTimestamp();
    var n = 0;
    while (Stopwatch.GetTimestamp() < until)
    {
        var t0 = Stopwatch.GetTimestamp();
        Check(call(n++));
        samples.Add(Stopwatch.GetTimestamp() - t0);
    }

    var elapsed = Stopwatch.GetElapsedTime(started);
    samples.Sort();
    double Us(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
    var line = string.Create(
        CultureInfo.InvariantCulture,
        $$"""{"bench":"{{name}}","calls":{{n}},"seconds":{{elapsed.TotalSeconds:0.00}},"calls_per_sec":{{n / elapsed.TotalSeconds:0}},"mean_us":{{elapsed.TotalMicroseconds / n:0.00}},"p50_us":{{Us(samples[n / 2]):0.00}},"p99_us":{{Us(samples[(int)(n * 0.99)]):0.00}}}""");
    Console.WriteLine(line);
}

static void Check(Outcome outcome)
{
    if (!outcome.Success)
    {
        throw new InvalidOperationException($"benchmark call failed: {outcome.Error}");
    }
}

static int Option(string[] args, string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var value) && value > 0 ? value : fallback;
}

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Mero.slnx")))
        {
            return dir.FullName;
        }
    }

    return Directory.GetCurrentDirectory();
}

/// <summary>The simplest storage: a dictionary, so the numbers are the engine's.</summary>
internal sealed class MapStorage : IRuntimeStorage
{
    private readonly Dictionary<string, byte[]> _map = new(StringComparer.Ordinal);

    public byte[]? Read(ReadOnlySpan<byte> key) => _map.GetValueOrDefault(Convert.ToHexString(key));

    public byte[]? Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var k = Convert.ToHexString(key);
        var previous = _map.GetValueOrDefault(k);
        _map[k] = value.ToArray();
        return previous;
    }

    public byte[]? Remove(ReadOnlySpan<byte> key) => _map.Remove(Convert.ToHexString(key), out var previous) ? previous : null;
}
