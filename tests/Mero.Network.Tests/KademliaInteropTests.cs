using Mero.Crypto;
using Mero.Network.Host;
using Mero.Network.Kademlia;
using Mero.Network.Multiformats;
using Xunit;
using Xunit.Abstractions;

namespace Mero.Network.Tests;

/// <summary>
/// Kademlia against js-libp2p's kad-dht (with its protocol id, /ipfs/kad/1.0.0): a provider record put
/// by a C# node is found by a js node, and one put by a js node is found by a C# node that only knows
/// a js boot node.
/// </summary>
[Trait("Category", "Interop")]
public sealed class KademliaInteropTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string JsProtocol = "/ipfs/kad/1.0.0";
    private readonly CancellationTokenSource _cts = new(TimeSpan.FromSeconds(120));
    private readonly List<(Kademlia.Kademlia Dht, Libp2pHost Host, Ed25519KeyPair Key)> _nodes = [];
    private readonly List<JsPeer> _js = [];

    private CancellationToken Ct => _cts.Token;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var js in _js)
        {
            await js.DisposeAsync();
        }

        foreach (var (dht, host, key) in _nodes)
        {
            await dht.DisposeAsync();
            await host.DisposeAsync();
            key.Dispose();
        }

        _cts.Dispose();
    }

    private async Task<(Kademlia.Kademlia Dht, Libp2pHost Host)> StartAsync(string name, IReadOnlyList<Multiaddr>? boot = null)
    {
        var key = Ed25519KeyPair.Generate();
        var logs = new TestLoggerFactory(output, name + " ");
        var host = new Libp2pHost(key, new Libp2pHostOptions { PingInterval = null }, logs);
        var dht = new Kademlia.Kademlia(host, new KademliaOptions { Protocol = JsProtocol, BootNodes = boot ?? [], RefreshInterval = null }, loggerFactory: logs);
        await dht.StartAsync(Ct);
        await host.StartAsync(Ct);
        _nodes.Add((dht, host, key));
        return (dht, host);
    }

    private async Task<JsPeer> StartJsAsync()
    {
        var js = await JsPeer.StartAsync(output.WriteLine, ["--kad", JsProtocol], Ct);
        _js.Add(js);
        return js;
    }

    [Fact]
    public async Task ProviderRecordsCrossBothWays()
    {
        // c0 - j0 - j1, then c1 bootstraps from j0 alone.
        var c0 = await StartAsync("c0");
        var j0 = await StartJsAsync();
        var j1 = await StartJsAsync();
        await c0.Host.DialAsync(j0.Address, Ct);
        await j0.CommandAsync("dial", Ct, j1.Address.ToString());
        await GossipNodes.UntilAsync(async () => (await c0.Dht.RoutingTablePeersAsync(Ct)).Any(p => p.Id == j0.PeerId), TimeSpan.FromSeconds(20), "c0 adds j0 after identify");

        // C# provides; the js node that is not connected to it finds the record.
        var fromCs = KademliaTests.Sha256Multihash("provided by c0");
        Assert.True(await c0.Dht.ProvideAsync(fromCs, Ct) >= 1);
        var found = await j1.CommandAsync("providers", Ct, Convert.ToHexStringLower(fromCs));
        Assert.Contains(c0.Host.PeerId.ToString(), found.GetProperty("providers").EnumerateArray().Select(p => p.GetString()));

        // js provides; a fresh C# node that only knows j0 as its boot node finds it.
        var fromJs = KademliaTests.Sha256Multihash("provided by j1");
        await j1.CommandAsync("provide", Ct, Convert.ToHexStringLower(fromJs));
        var c1 = await StartAsync("c1", [j0.Address]);
        Assert.True(await c1.Dht.BootstrapAsync(Ct) >= 1);
        var providers = await c1.Dht.FindProvidersAsync(fromJs, 1, Ct);
        var provider = Assert.Single(providers);
        Assert.Equal(j1.PeerId, provider.Id);
        Assert.Contains(provider.Addresses, a => a.TryGetTcpEndPoint(out _));
    }
}
