using System.Text;
using Mero.Node.Replication;
using Mero.Node.Replication.Simulation;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Mero.Node.Tests.Replication;

public class SimulatedNetworkTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task Gossip_reaches_subscribers_only_after_the_simulated_delay()
    {
        var time = new FakeTimeProvider();
        var network = new SimulatedNetwork(new SimulationOptions { MinDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(10) }, time);
        var a = network.AddPeer("a");
        var b = network.AddPeer("b");
        var c = network.AddPeer("c");
        await b.SubscribeAsync("context/x", Ct);
        await a.SubscribeAsync("context/x", Ct);

        Assert.Equal(["b"], await a.TopicPeersAsync("context/x", Ct));
        await a.PublishAsync("context/x", "hello"u8.ToArray(), Ct);
        Assert.False(b.Messages.TryRead(out _));
        time.Advance(TimeSpan.FromMilliseconds(9));
        Assert.False(b.Messages.TryRead(out _));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(b.Messages.TryRead(out var message));
        Assert.Equal(("context/x", "a", "hello"), (message.Topic, message.From, Encoding.UTF8.GetString(message.Payload.Span)));
        Assert.False(c.Messages.TryRead(out _));
        Assert.False(a.Messages.TryRead(out _));
    }

    [Fact]
    public async Task The_same_seed_drops_and_reorders_the_same_way()
    {
        static async Task<(int Dropped, string Order)> RunAsync(int seed)
        {
            var time = new FakeTimeProvider();
            var network = new SimulatedNetwork(new SimulationOptions { Seed = seed, DropRate = 0.3, MinDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(50) }, time);
            var sender = network.AddPeer("s");
            var receivers = Enumerable.Range(0, 3).Select(i => network.AddPeer($"r{i}")).ToList();
            foreach (var r in receivers)
            {
                await r.SubscribeAsync("t", Ct);
            }

            for (var i = 0; i < 40; i++)
            {
                await sender.PublishAsync("t", new[] { (byte)i }, Ct);
            }

            time.Advance(TimeSpan.FromSeconds(1));
            var order = new StringBuilder();
            foreach (var r in receivers)
            {
                while (r.Messages.TryRead(out var m))
                {
                    order.Append(m.Payload.Span[0]).Append(',');
                }

                order.Append('|');
            }

            return (network.Dropped, order.ToString());
        }

        var first = await RunAsync(42);
        var again = await RunAsync(42);
        var other = await RunAsync(43);
        Assert.Equal(first, again);
        Assert.NotEqual(first.Order, other.Order);
        Assert.InRange(first.Dropped, 20, 60); // 120 deliveries at 30%
        Assert.DoesNotContain("0,1,2,3,4,5,6,7,8,9,", first.Order); // delays reorder
    }

    [Fact]
    public async Task A_partition_blocks_gossip_and_requests_until_healed()
    {
        var time = new FakeTimeProvider();
        var network = new SimulatedNetwork(new SimulationOptions { MinDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero }, time);
        var a = network.AddPeer("a");
        var b = network.AddPeer("b");
        await b.SubscribeAsync("t", Ct);
        b.SetRequestHandler("/echo", (from, request, ct) => Task.FromResult<byte[]>([.. Encoding.UTF8.GetBytes(from + ":"), .. request.ToArray()]));

        network.Partition(["a"], ["b"]);
        await a.PublishAsync("t", new byte[] { 1 }, Ct);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(b.Messages.TryRead(out _));
        Assert.Equal(1, network.Dropped);
        await Assert.ThrowsAsync<PeerUnreachableException>(() => a.RequestAsync("b", "/echo", "x"u8.ToArray(), Ct));

        network.Heal();
        await a.PublishAsync("t", new byte[] { 2 }, Ct);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(b.Messages.TryRead(out var delivered));
        Assert.Equal(2, delivered.Payload.Span[0]);
        var response = await a.RequestAsync("b", "/echo", "x"u8.ToArray(), Ct);
        Assert.Equal("a:x", Encoding.UTF8.GetString(response));

        var unknown = await Assert.ThrowsAsync<PeerUnreachableException>(() => a.RequestAsync("b", "/nope", "x"u8.ToArray(), Ct));
        Assert.Contains("does not speak /nope", unknown.Message);
        network.Disconnect("b");
        await Assert.ThrowsAsync<PeerUnreachableException>(() => a.RequestAsync("b", "/echo", "x"u8.ToArray(), Ct));
        Assert.True(b.Messages.Completion.IsCompleted);
    }

    [Fact]
    public void Invalid_fault_models_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimulatedNetwork(new SimulationOptions { DropRate = 1.5 }, TimeProvider.System));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimulatedNetwork(new SimulationOptions { MinDelay = TimeSpan.FromSeconds(2), MaxDelay = TimeSpan.FromSeconds(1) }, TimeProvider.System));
    }
}
