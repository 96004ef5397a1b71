using Mero.Crypto;
using Mero.Network.Host;
using Mero.Network.Pubsub;
using Xunit.Abstractions;

namespace Mero.Network.Tests;

/// <summary>C# hosts each running a gossipsub router, disposed together.</summary>
public sealed class GossipNodes(ITestOutputHelper? output) : IAsyncDisposable
{
    private readonly List<(Gossipsub Router, Libp2pHost Host, Ed25519KeyPair Key)> _nodes = [];

    public static GossipsubOptions FastOptions { get; } = new() { HeartbeatInterval = TimeSpan.FromMilliseconds(200), HeartbeatInitialDelay = TimeSpan.FromMilliseconds(50) };

    public async Task<(Gossipsub Router, Libp2pHost Host, TestLoggerFactory Logs)> StartAsync(string name, GossipsubOptions? options = null, CancellationToken ct = default, TimeProvider? time = null)
    {
        var key = Ed25519KeyPair.Generate();
        var logs = new TestLoggerFactory(output, name + " ");
        var host = new Libp2pHost(key, new Libp2pHostOptions { PingInterval = null }, logs);
        var router = new Gossipsub(host, key, options ?? FastOptions, time, logs, _nodes.Count);
        await router.StartAsync(ct);
        await host.StartAsync(ct);
        _nodes.Add((router, host, key));
        return (router, host, logs);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (router, host, key) in _nodes)
        {
            await router.DisposeAsync();
            await host.DisposeAsync();
            key.Dispose();
        }
    }

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("timed out waiting for " + what);
            }

            await Task.Delay(50);
        }
    }

    public static async Task<GossipMessage> ReceiveAsync(System.Threading.Channels.ChannelReader<GossipMessage> reader, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        return await reader.ReadAsync(cts.Token);
    }
}
