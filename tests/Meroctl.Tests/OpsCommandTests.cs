using Mero.TestSupport;
using Xunit;

namespace Meroctl.Tests;

/// <summary><c>peers</c>, <c>network status</c>, <c>context sync</c>, <c>app uninstall</c>: routes, output and failures.</summary>
public sealed class OpsCommandTests : IAsyncLifetime
{
    private const string Peer = "12D3KooWJ4s4cVq8tZ2o6LQ5qH6c8Ur2kLWNdCoo3PtV8CrHTa8v";
    private FakeNode _node = null!;

    public async Task InitializeAsync()
    {
        _node = await FakeNode.StartAsync();
        _node.On("GET", "/admin-api/peers", 200, """{"count":3}""");
        _node.On("GET", "/admin-api/network/status", 200, $$$"""
            {"localPeerId":"{{{Peer}}}","listenAddrs":["/ip4/127.0.0.1/tcp/2428"],"externalAddrs":[],
             "connectedPeers":[{"peerId":"12D3KooWOther","addrs":["/ip4/10.0.0.2/tcp/2428"],"directions":["inbound"],"agentVersion":"merod/1.0"}],
             "subscribedTopics":["context/abc"]}
            """);
        _node.On("POST", $"/admin-api/contexts/sync/{Canned.ContextId}", 200, $$$"""
            {"data":{"contexts":1,"synced":0,"failed":0,"noPeers":1,"results":[{"contextId":"{{{Canned.ContextId}}}","status":"no_peers","peersAsked":0,"peersOk":0}]}}
            """);
        _node.On("POST", "/admin-api/contexts/sync", 200, """{"data":{"contexts":0,"synced":0,"failed":0,"noPeers":0,"results":[]}}""");
        _node.On("DELETE", $"/admin-api/applications/{Canned.AppId}", 409, $$$"""{"error":"application {{{Canned.AppId}}} is used by 2 contexts: delete them first"}""");
        _node.On("DELETE", $"/admin-api/applications/{Canned.OtherId}", 200, $$$"""{"data":{"applicationId":"{{{Canned.OtherId}}}"}}""");
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task Peers_prints_the_count_as_json_and_as_a_table()
    {
        var (code, output, _) = await CliRun.JsonAsync(_node.Url, "peers");
        Assert.Equal(0, code);
        Assert.Equal(3, CliRun.Parse(output).GetProperty("count").GetInt32());

        var (human, table, _) = await Human("peers");
        Assert.Equal(0, human);
        Assert.Contains("Connected peers", table, StringComparison.Ordinal);
        Assert.Contains("3", table, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Network_status_shows_peer_id_addresses_peers_and_topics()
    {
        var (code, output, _) = await CliRun.JsonAsync(_node.Url, "network", "status");
        Assert.Equal(0, code);
        var json = CliRun.Parse(output);
        Assert.Equal(Peer, json.GetProperty("localPeerId").GetString());
        Assert.Equal("12D3KooWOther", json.GetProperty("connectedPeers")[0].GetProperty("peerId").GetString());

        var (human, table, _) = await Human("network", "status");
        Assert.Equal(0, human);
        foreach (var text in new[] { Peer, "/ip4/127.0.0.1/tcp/2428", "12D3KooWOther", "inbound", "context/abc", "(none)" })
        {
            Assert.Contains(text, table, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Context_sync_posts_one_context_or_all_and_needs_exactly_one_of_the_flags()
    {
        var (code, output, _) = await CliRun.JsonAsync(_node.Url, "context", "sync", "--context", Canned.ContextId);
        Assert.Equal(0, code);
        Assert.Equal("no_peers", CliRun.Parse(output).GetProperty("results")[0].GetProperty("status").GetString());
        Assert.Equal("POST", _node.Last("POST", $"/admin-api/contexts/sync/{Canned.ContextId}").Method);

        var (all, allOutput, _) = await Human("context", "sync", "--all");
        Assert.Equal(0, all);
        Assert.Contains("No contexts to sync", allOutput, StringComparison.Ordinal);
        Assert.Single(_node.Requests, r => r.Method == "POST" && r.Path == "/admin-api/contexts/sync");

        foreach (var args in new[] { new[] { "context", "sync" }, ["context", "sync", "--all", "-c", Canned.ContextId] })
        {
            var (usage, _, stderr) = await Human(args);
            Assert.Equal(Cli.UsageError, usage);
            Assert.Contains("exactly one of --context", stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task App_uninstall_sends_delete_and_reports_a_refusal()
    {
        var (code, output, _) = await CliRun.JsonAsync(_node.Url, "app", "uninstall", Canned.OtherId);
        Assert.Equal(0, code);
        Assert.Equal(Canned.OtherId, CliRun.Parse(output).GetProperty("applicationId").GetString());

        var (refused, _, stderr) = await Human("app", "uninstall", Canned.AppId);
        Assert.Equal(Cli.Failure, refused);
        Assert.Contains("used by 2 contexts", stderr, StringComparison.Ordinal);
    }

    private async Task<(int Code, string Out, string Err)> Human(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await Cli.RunAsync(["--api", _node.Url.ToString(), .. args], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
