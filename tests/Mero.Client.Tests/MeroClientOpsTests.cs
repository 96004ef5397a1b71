using System.Net;
using Mero.TestSupport;
using Xunit;

namespace Mero.Client.Tests;

/// <summary>The operator routes: bare bodies for peers and network status, envelopes and errors for the rest.</summary>
public sealed class MeroClientOpsTests : FakeNodeClientTest
{
    [Fact]
    public async Task Peers_and_network_status_are_read_without_a_data_envelope()
    {
        Node.On("GET", "/admin-api/peers", 200, """{"count":2}""");
        Node.On("GET", "/admin-api/network/status", 200, """{"localPeerId":"12D3KooWMe","listenAddrs":["/ip4/0.0.0.0/tcp/1"],"externalAddrs":[],"connectedPeers":[{"peerId":"12D3KooWYou","addrs":["/ip4/1.2.3.4/tcp/2"],"directions":["outbound","inbound"]}],"subscribedTopics":["context/x"]}""");

        Assert.Equal(2, (await Client.GetPeersCountAsync()).Count);
        var status = await Client.GetNetworkStatusAsync();
        Assert.Equal("12D3KooWMe", status.LocalPeerId);
        var peer = Assert.Single(status.ConnectedPeers);
        Assert.Equal("12D3KooWYou", peer.PeerId);
        Assert.Equal(["outbound", "inbound"], peer.Directions);
        Assert.Null(peer.AgentVersion);
        Assert.Equal(["context/x"], status.SubscribedTopics);
    }

    [Fact]
    public async Task Sync_posts_to_the_context_or_the_collection()
    {
        const string Body = """{"data":{"contexts":1,"synced":1,"failed":0,"noPeers":0,"results":[{"contextId":"c","status":"synced","peersAsked":2,"peersOk":1,"rootHash":"r"}]}}""";
        Node.On("POST", $"/admin-api/contexts/sync/{Canned.ContextId}", 200, Body);
        Node.On("POST", "/admin-api/contexts/sync", 200, Body);

        var one = await Client.SyncContextsAsync(Canned.ContextId);
        Assert.Equal((2, 1, "r"), (one.Results[0].PeersAsked, one.Results[0].PeersOk, one.Results[0].RootHash));
        await Client.SyncContextsAsync();
        Assert.Single(Node.Requests, r => r.Method == "POST" && r.Path == "/admin-api/contexts/sync");
    }

    [Fact]
    public async Task Uninstall_returns_the_id_and_a_refusal_is_a_409_with_the_nodes_message()
    {
        Node.On("DELETE", $"/admin-api/applications/{Canned.OtherId}", 200, $$$"""{"data":{"applicationId":"{{{Canned.OtherId}}}"}}""");
        Node.On("DELETE", $"/admin-api/applications/{Canned.AppId}", 409, """{"error":"application is used by 1 context: delete it first"}""");

        Assert.Equal(Canned.OtherId, (await Client.UninstallApplicationAsync(Canned.OtherId)).ApplicationId);
        var ex = await Assert.ThrowsAsync<MeroApiException>(() => Client.UninstallApplicationAsync(Canned.AppId));
        Assert.Equal(HttpStatusCode.Conflict, ex.StatusCode);
        Assert.Contains("used by 1 context", ex.ServerMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Contexts_for_an_application_use_upstreams_path()
    {
        Node.On("GET", $"/admin-api/contexts/for-application/{Canned.AppId}", 200, $$$"""{"data":{"contexts":[{"id":"{{{Canned.ContextId}}}","applicationId":"{{{Canned.AppId}}}","contextStateHash":"{{{Canned.RootHash}}}"}]}}""");

        var data = await Client.ListContextsForApplicationAsync(Canned.AppId);
        Assert.Equal(Canned.ContextId, Assert.Single(data.Contexts).Id);
    }
}
