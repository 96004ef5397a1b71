using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Mero.Crypto;
using Mero.Network.Host;
using Mero.Network.Pubsub;
using Mero.Network.Tests;

/// <summary>
/// Gossip latency (publish to delivery, every receiver) for 1 KB messages across 10 C# routers, and
/// across 10 js-libp2p routers in the same run. Each set is a ring plus chords (degree 4), default
/// gossipsub parameters on both sides (D 6, flood publish), publishers rotating; closed loop: the next message is published once every receiver has the previous one, so the figures are latency, not queueing. js stamps with Date.now() (1 ms resolution: process clocks disagree by a few ms at sub-ms precision).
/// </summary>
internal static class GossipLatency
{
    private const string Topic = "bench";

    public static async Task RunAsync(int nodes, int messages, int size, CancellationToken ct)
    {
        Console.WriteLine($"gossip latency: {nodes} nodes per implementation, {messages} messages of {size} B, {nodes - 1} receivers each");
        var cs = await RunCSharpAsync(nodes, messages, size, ct);
        Report("cs mesh", cs);
        var js = await RunJsAsync(nodes, messages, size, ct);
        Report("js mesh", js);
    }

    private static void Report(string name, List<double> samples)
    {
        samples.Sort();
        double P(double q) => samples[Math.Min(samples.Count - 1, (int)(q * samples.Count))];
        Console.WriteLine($"{name,-8} n={samples.Count,5}  p50 {P(0.50):0.00} ms  p99 {P(0.99):0.00} ms  max {samples[^1]:0.00} ms");
    }

    private static IEnumerable<(int From, int To)> Links(int n)
    {
        for (var i = 0; i < n; i++)
        {
            yield return (i, (i + 1) % n);
            yield return (i, (i + 3) % n);
        }
    }

    private static double NowMs() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds;

    private static async Task<List<double>> RunCSharpAsync(int n, int messages, int size, CancellationToken ct)
    {
        var keys = new List<Ed25519KeyPair>();
        var hosts = new List<Libp2pHost>();
        var routers = new List<Gossipsub>();
        var samples = new ConcurrentBag<double>();
        var received = 0;
        try
        {
            for (var i = 0; i < n; i++)
            {
                var key = Ed25519KeyPair.Generate();
                var host = new Libp2pHost(key, new Libp2pHostOptions { PingInterval = null });
                var router = new Gossipsub(host, key, new GossipsubOptions(), seed: i);
                await router.StartAsync(ct);
                await host.StartAsync(ct);
                var reader = await router.SubscribeAsync(Topic, ct);
                _ = Task.Run(async () =>
                {
                    await foreach (var m in reader.ReadAllAsync(ct))
                    {
                        var now = NowMs();
                        var text = Encoding.ASCII.GetString(m.Data, 0, Array.IndexOf(m.Data, (byte)'|'));
                        samples.Add(now - double.Parse(text, CultureInfo.InvariantCulture));
                        Interlocked.Increment(ref received);
                    }
                }, ct);
                keys.Add(key);
                hosts.Add(host);
                routers.Add(router);
            }

            foreach (var (from, to) in Links(n))
            {
                await hosts[from].DialAsync(hosts[to].ListenAddresses[0].WithPeerId(hosts[to].PeerId), ct);
            }

            await Task.Delay(TimeSpan.FromSeconds(3), ct);
            for (var i = 0; i < messages; i++)
            {
                var head = Encoding.ASCII.GetBytes(NowMs().ToString("R", CultureInfo.InvariantCulture) + "|");
                var payload = new byte[size];
                head.CopyTo(payload, 0);
                await routers[i % n].PublishAsync(Topic, payload, ct);
                var expected = (i + 1) * (n - 1);
                await WaitAsync(() => Volatile.Read(ref received) >= expected, ct);
            }

            await WaitAsync(() => Volatile.Read(ref received) >= messages * (n - 1), ct);
            return [.. samples];
        }
        finally
        {
            foreach (var router in routers)
            {
                await router.DisposeAsync();
            }

            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }

            keys.ForEach(k => k.Dispose());
        }
    }

    private static async Task<List<double>> RunJsAsync(int n, int messages, int size, CancellationToken ct)
    {
        var peers = new List<JsPeer>();
        try
        {
            for (var i = 0; i < n; i++)
            {
                var peer = await JsPeer.StartAsync(null, ["--gossip"], ct);
                await peer.CommandAsync("subscribe", ct, Topic);
                peers.Add(peer);
            }

            foreach (var (from, to) in Links(n))
            {
                await peers[from].CommandAsync("dial", ct, peers[to].Address.ToString());
            }

            await Task.Delay(TimeSpan.FromSeconds(3), ct);
            for (var i = 0; i < messages; i++)
            {
                await peers[i % n].CommandAsync("publishlat", ct, Topic, size.ToString(CultureInfo.InvariantCulture));
                var expected = (i + 1) * (n - 1);
                await WaitAsync(() => peers.Sum(p => p.Latencies.Count) >= expected, ct);
            }

            await WaitAsync(() => peers.Sum(p => p.Latencies.Count) >= messages * (n - 1), ct);
            return [.. peers.SelectMany(p => p.Latencies)];
        }
        finally
        {
            foreach (var peer in peers)
            {
                await peer.DisposeAsync();
            }
        }
    }

    private static async Task WaitAsync(Func<bool> done, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!done())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("not every receiver got every message within 30 s");
            }

            await Task.Delay(50, ct);
        }
    }
}
