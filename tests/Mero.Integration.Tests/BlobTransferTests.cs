using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Mero.Node.Configuration;
using Mero.Primitives;
using Xunit;
using Xunit.Abstractions;

namespace Mero.Integration.Tests;

/// <summary>Blobs across two real merod processes: node 2 boots from node 1 and fetches on demand.</summary>
public sealed class BlobTransferTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_blob_uploaded_on_one_node_is_downloaded_byte_identical_on_another()
    {
        await using var node1 = await MerodProcess.StartAsync("node1");
        await using var node2 = await MerodProcess.StartAsync("node2");
        await BootFromAsync(node2, node1);

        var content = new byte[5 * 1000 * 1000];
        new Random(7).NextBytes(content);
        using var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var put = await node1.Http.PutAsync("/admin-api/blobs", body);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var info = JsonDocument.Parse(await put.Content.ReadAsStringAsync()).RootElement.GetProperty("data");
        var id = info.GetProperty("blob_id").GetString()!;
        Assert.Equal(content.Length, info.GetProperty("size").GetInt64());
        Assert.Equal(BlobId.FromBytes(BlobChunking.ComputeId(content)).ToString(), id);

        Assert.False(await ListsAsync(node2, id));
        var watch = Stopwatch.StartNew();
        using var get = await node2.Http.GetAsync($"/admin-api/blobs/{id}");
        var downloaded = await get.Content.ReadAsByteArrayAsync();
        watch.Stop();
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(id, get.Headers.GetValues("X-Blob-ID").Single());
        Assert.Equal(content.Length, downloaded.Length);
        Assert.True(content.AsSpan().SequenceEqual(downloaded), "node 2 served different bytes");
        output.WriteLine($"node1 -> node2: {content.Length} bytes in {watch.ElapsedMilliseconds} ms ({content.Length / 1e6 / watch.Elapsed.TotalSeconds:0.0} MB/s, including provider lookup)");

        // Node 2 now holds it, with the same id and content hash, and serves it locally.
        Assert.True(await ListsAsync(node2, id));
        using var head = new HttpRequestMessage(HttpMethod.Head, $"/admin-api/blobs/{id}");
        using var meta = await node2.Http.SendAsync(head);
        Assert.Equal(HttpStatusCode.OK, meta.StatusCode);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), meta.Headers.GetValues("X-Blob-Hash").Single());
        Assert.Equal(content.Length, meta.Content.Headers.ContentLength);
        var fetched = node2.Output.Split('\n').Single(l => l.Contains("fetched blob " + id, StringComparison.Ordinal));
        output.WriteLine("node2: " + fetched.Trim());
    }

    [Fact]
    public async Task An_unknown_or_malformed_blob_id_is_a_clear_error_and_delete_removes_a_blob()
    {
        await using var node = await MerodProcess.StartAsync();
        var unknown = BlobId.FromBytes(SHA256.HashData("nobody stored this"u8)).ToString();

        using var missing = await node.Http.GetAsync($"/admin-api/blobs/{unknown}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal($"Blob {unknown} not found locally or in network", JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());

        using var bad = await node.Http.GetAsync("/admin-api/blobs/not-a-blob-id");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("not a valid BlobId", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var put = await node.Http.PutAsync("/admin-api/blobs", new ByteArrayContent("small blob"u8.ToArray()));
        var id = JsonDocument.Parse(await put.Content.ReadAsStringAsync()).RootElement.GetProperty("data").GetProperty("blob_id").GetString()!;
        Assert.Equal("small blob", await node.Http.GetStringAsync($"/admin-api/blobs/{id}"));

        using var delete = await node.Http.DeleteAsync($"/admin-api/blobs/{id}");
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        Assert.True(JsonDocument.Parse(await delete.Content.ReadAsStringAsync()).RootElement.GetProperty("data").GetProperty("deleted").GetBoolean());
        Assert.False(await ListsAsync(node, id));
        using var again = await node.Http.DeleteAsync($"/admin-api/blobs/{id}");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    private static async Task<bool> ListsAsync(MerodProcess node, string id)
    {
        var list = JsonDocument.Parse(await node.Http.GetStringAsync("/admin-api/blobs")).RootElement.GetProperty("data").GetProperty("blobs");
        return list.EnumerateArray().Any(b => b.GetProperty("blob_id").GetString() == id);
    }

    /// <summary>Restarts <paramref name="node"/> with <paramref name="boot"/> as its boot node.</summary>
    private static async Task BootFromAsync(MerodProcess node, MerodProcess boot)
    {
        await node.StopAsync();
        var bootPeer = NodeConfigFile.Load(Path.Combine(boot.NodeHome, NodeConfigFile.FileName)).Identity.PeerId;
        var path = Path.Combine(node.NodeHome, NodeConfigFile.FileName);
        var config = NodeConfigFile.Load(path);
        config.Bootstrap.Nodes = [$"/ip4/127.0.0.1/tcp/{boot.SwarmPort}/p2p/{bootPeer}"];
        config.Save(path);
        await node.StartAsync();
    }
}
