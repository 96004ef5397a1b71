using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Mero.Crypto;
using Mero.Network.Host;
using Mero.Network.Tests;

// Throughput of one Yamux stream over Noise on loopback, and ping round trips.
//
//   dotnet run -c Release --project bench/Mero.Network.Bench [-- --mib 256] [--js] [--rounds 3]
//
// cs->cs always runs; --js adds cs->js, js->cs and js->js (needs node and tests/interop).
// --gossip runs only the gossip latency benchmark (10 C# routers, then 10 js-libp2p routers).
if (args.Contains("--gossip"))
{
    using var gossipCts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
    await GossipLatency.RunAsync(nodes: 10, messages: 200, size: 1024, gossipCts.Token);
    return 0;
}

var mib = 256;
var rounds = 3;
var js = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--mib":
            mib = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--rounds":
            rounds = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--js":
            js = true;
            break;
        default:
            Console.Error.WriteLine($"unknown argument {args[i]}");
            return 2;
    }
}

var bytes = (long)mib * 1024 * 1024;
using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(10));
var ct = cts.Token;
Console.WriteLine($"{Environment.ProcessorCount} cores, .NET {Environment.Version}, {mib} MiB per run, best of {rounds}");

using var keyA = Ed25519KeyPair.Generate();
using var keyB = Ed25519KeyPair.Generate();
var window = Environment.GetEnvironmentVariable("MERO_BENCH_WINDOW_KIB") is { } w ? int.Parse(w, CultureInfo.InvariantCulture) * 1024 : Mero.Network.Yamux.YamuxOptions.InitialStreamWindow;
var options = new Libp2pHostOptions { PingInterval = null, Yamux = new Mero.Network.Yamux.YamuxOptions { ReceiveWindow = window } };
await using var a = new Libp2pHost(keyA, options);
await using var b = new Libp2pHost(keyB, options);
a.SetHandler("/mero/sink/1.0.0", SinkAsync);
b.SetHandler("/mero/sink/1.0.0", SinkAsync);
await a.StartAsync(ct);
await b.StartAsync(ct);
await a.DialAsync(b.ListenAddresses[0].WithPeerId(b.PeerId), ct);

Report("cs -> cs", await BestAsync(() => SendAsync(a, b.PeerId, bytes, ct)));
await ReportPingsAsync("cs -> cs ping", a, b.PeerId, ct);

if (js)
{
    await using var peer = await JsPeer.StartAsync(null, ct);
    await using var peer2 = await JsPeer.StartAsync(null, ct);
    await a.DialAsync(peer.Address, ct);
    await peer.CommandAsync("dial", ct, a.ListenAddresses[0].WithPeerId(a.PeerId).ToString());
    await peer.CommandAsync("dial", ct, peer2.Address.ToString());

    Report("cs -> js", await BestAsync(() => SendAsync(a, peer.PeerId, bytes, ct)));
    Report("js -> cs", await BestAsync(() => JsSendAsync(peer, a.PeerId.ToString(), bytes, ct)));
    Report("js -> js", await BestAsync(() => JsSendAsync(peer, peer2.PeerId.ToString(), bytes, ct)));
    await ReportPingsAsync("cs -> js ping", a, peer.PeerId, ct);
}

return 0;

async Task<double> BestAsync(Func<Task<TimeSpan>> run)
{
    var best = double.MaxValue;
    for (var r = 0; r < rounds; r++)
    {
        best = Math.Min(best, (await run()).TotalSeconds);
    }

    return best;
}

void Report(string name, double seconds) =>
    Console.WriteLine($"{name,-10} {bytes / seconds / 1e6,8:0.0} MB/s  ({mib} MiB in {seconds * 1000:0} ms)");

static async Task<TimeSpan> SendAsync(Libp2pHost from, Mero.Network.Multiformats.PeerId to, long total, CancellationToken ct)
{
    await using var stream = await from.OpenStreamAsync(to, "/mero/sink/1.0.0", ct);
    var chunk = new byte[256 * 1024];
    var started = Stopwatch.GetTimestamp();
    for (long sent = 0; sent < total; sent += chunk.Length)
    {
        await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, total - sent)), ct);
    }

    await stream.CloseWriteAsync(ct);
    var reply = new byte[8];
    await stream.ReadExactlyAsync(reply, ct);
    var elapsed = Stopwatch.GetElapsedTime(started);
    if (BinaryPrimitives.ReadInt64BigEndian(reply) != total)
    {
        throw new InvalidOperationException("sink counted a different number of bytes");
    }

    return elapsed;
}

static async Task<TimeSpan> JsSendAsync(JsPeer peer, string to, long total, CancellationToken ct)
{
    var result = await peer.CommandAsync("send", ct, to, "/mero/sink/1.0.0", total.ToString(CultureInfo.InvariantCulture));
    if (result.GetProperty("count").GetInt64() != total)
    {
        throw new InvalidOperationException("sink counted a different number of bytes");
    }

    return TimeSpan.FromMilliseconds(result.GetProperty("ms").GetDouble());
}

static async Task ReportPingsAsync(string name, Libp2pHost from, Mero.Network.Multiformats.PeerId to, CancellationToken ct)
{
    var samples = new List<double>();
    for (var i = 0; i < 200; i++)
    {
        samples.Add((await from.PingAsync(to, ct)).TotalMicroseconds);
    }

    samples.Sort();
    Console.WriteLine($"{name,-14} p50 {samples[100]:0} µs  p99 {samples[198]:0} µs");
}

static async Task SinkAsync(Libp2pStream stream, CancellationToken ct)
{
    var buffer = new byte[256 * 1024];
    long total = 0;
    int n;
    while ((n = await stream.ReadAsync(buffer, ct)) > 0)
    {
        total += n;
    }

    var reply = new byte[8];
    BinaryPrimitives.WriteInt64BigEndian(reply, total);
    await stream.WriteAsync(reply, ct);
    await stream.CloseWriteAsync(ct);
}
