using System.Text;
using System.Threading.Channels;
using Mero.Network.Host;
using Mero.Network.Multiformats;
using Mero.Network.Pubsub;
using Xunit;
using Xunit.Abstractions;

namespace Mero.Network.Tests;

/// <summary>
/// A mixed gossipsub mesh of 3 C# and 3 js-libp2p routers in a line (c0 - j0 - c1 - j1 - c2 - j2), so
/// every message crosses both implementations as publisher, forwarder and receiver.
/// </summary>
[Trait("Category", "Interop")]
public sealed class GossipsubInteropTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Topic = "mero-interop";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly CancellationTokenSource _cts = new(TimeSpan.FromSeconds(120));
    private readonly GossipNodes _nodes = new(output);
    private readonly List<JsPeer> _js = [];

    private CancellationToken Ct => _cts.Token;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var js in _js)
        {
            await js.DisposeAsync();
        }

        await _nodes.DisposeAsync();
        _cts.Dispose();
    }

    [Fact]
    public async Task MixedMeshOfThreeAndThreeDeliversEveryMessageBothWays()
    {
        var cs = new List<(Gossipsub Router, Libp2pHost Host, TestLoggerFactory Logs)>();
        var readers = new List<ChannelReader<GossipMessage>>();
        for (var i = 0; i < 3; i++)
        {
            var node = await _nodes.StartAsync("c" + i, ct: Ct);
            cs.Add(node);
            readers.Add(await node.Router.SubscribeAsync(Topic, Ct));
            var js = await JsPeer.StartAsync(output.WriteLine, ["--gossip"], Ct);
            _js.Add(js);
            await js.CommandAsync("subscribe", Ct, Topic);
        }

        string CsAddress(int i) => cs[i].Host.ListenAddresses[0].WithPeerId(cs[i].Host.PeerId).ToString();
        await cs[0].Host.DialAsync(_js[0].Address, Ct);            // c0 -> j0
        await _js[0].CommandAsync("dial", Ct, CsAddress(1));       // j0 -> c1
        await cs[1].Host.DialAsync(_js[1].Address, Ct);            // c1 -> j1
        await _js[1].CommandAsync("dial", Ct, CsAddress(2));       // j1 -> c2
        await cs[2].Host.DialAsync(_js[2].Address, Ct);            // c2 -> j2

        PeerId[][] csMesh = [[_js[0].PeerId], [_js[0].PeerId, _js[1].PeerId], [_js[1].PeerId, _js[2].PeerId]];
        PeerId[][] jsMesh = [[cs[0].Host.PeerId, cs[1].Host.PeerId], [cs[1].Host.PeerId, cs[2].Host.PeerId], [cs[2].Host.PeerId]];
        for (var i = 0; i < 3; i++)
        {
            var router = cs[i].Router;
            var expected = csMesh[i].ToHashSet();
            await GossipNodes.UntilAsync(async () => (await router.MeshPeersAsync(Topic, Ct)).ToHashSet().SetEquals(expected), Wait, $"mesh of c{i}");
            var js = _js[i];
            var jsExpected = jsMesh[i].Select(p => p.ToString()).ToHashSet();
            await GossipNodes.UntilAsync(async () =>
                (await js.CommandAsync("mesh", Ct, Topic)).GetProperty("peers").EnumerateArray().Select(p => p.GetString()!).ToHashSet().SetEquals(jsExpected),
                Wait, $"mesh of j{i}");
        }

        for (var i = 0; i < 3; i++)
        {
            // A C# publisher: every js peer and the other C# peers receive it.
            var text = $"from c{i}";
            await cs[i].Router.PublishAsync(Topic, Encoding.UTF8.GetBytes(text), Ct);
            foreach (var js in _js)
            {
                var got = await js.WaitForMessageAsync(text, Wait, Ct);
                Assert.Equal(cs[i].Host.PeerId.ToString(), got.GetProperty("from").GetString());
            }

            for (var k = 0; k < 3; k++)
            {
                if (k != i)
                {
                    var got = await GossipNodes.ReceiveAsync(readers[k], Wait, Ct);
                    Assert.Equal(text, Encoding.UTF8.GetString(got.Data));
                }
            }

            // A js publisher: every C# peer (StrictSign verified) and the other js peers receive it.
            text = $"from j{i}";
            await _js[i].CommandAsync("publish", Ct, Topic, text);
            foreach (var (reader, k) in readers.Select((r, k) => (r, k)))
            {
                var got = await GossipNodes.ReceiveAsync(reader, Wait, Ct);
                Assert.Equal(text, Encoding.UTF8.GetString(got.Data));
                Assert.Equal(_js[i].PeerId, got.From);
            }

            for (var k = 0; k < 3; k++)
            {
                if (k != i)
                {
                    await _js[k].WaitForMessageAsync(text, Wait, Ct);
                }
            }
        }

        // Each message reached each C# router exactly once.
        foreach (var reader in readers)
        {
            Assert.False(reader.TryRead(out var extra), extra is null ? null : "duplicate: " + Encoding.UTF8.GetString(extra.Data));
        }
    }
}
