using System.Text.Json;
using Mero.TestSupport;
using Xunit;

namespace Meroctl.Tests;

/// <summary><c>meroctl blob</c> against a stand-in node: requests sent, output, and failures.</summary>
public sealed class BlobCommandTests : IAsyncLifetime
{
    private FakeNode _node = null!;
    private string _home = null!;

    public async Task InitializeAsync()
    {
        _node = await FakeNode.StartAsync();
        _node.On("PUT", "/admin-api/blobs", 200, $$$"""{"data":{"blob_id":"{{{Canned.BlobId}}}","size":5}}""");
        _node.On("GET", "/admin-api/blobs", 200, $$$"""{"data":{"blobs":[{"blob_id":"{{{Canned.BlobId}}}","size":5}]}}""");
        _node.On("GET", $"/admin-api/blobs/{Canned.BlobId}", 200, "hello");
        _node.On("GET", $"/admin-api/blobs/{Canned.OtherId}", 404, $$$"""{"error":"Blob {{{Canned.OtherId}}} not found locally or in network"}""");
        _node.On("DELETE", $"/admin-api/blobs/{Canned.BlobId}", 200, $$$"""{"data":{"blob_id":"{{{Canned.BlobId}}}","deleted":true}}""");
        _home = Directory.CreateTempSubdirectory("meroctl-blob-tests-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        Directory.Delete(_home, recursive: true);
    }

    [Fact]
    public async Task Upload_streams_the_file_and_prints_the_id()
    {
        var file = Path.Combine(_home, "in.bin");
        await File.WriteAllBytesAsync(file, [1, 2, 3, 4, 5]);

        var (code, stdout, _) = await Run("--output-format", "json", "blob", "upload", "-f", file);

        Assert.Equal(0, code);
        Assert.Equal(Canned.BlobId, JsonDocument.Parse(stdout).RootElement.GetProperty("blob_id").GetString());
        Assert.Equal([1, 2, 3, 4, 5], _node.Last("PUT", "/admin-api/blobs").Body);
    }

    [Fact]
    public async Task Download_writes_the_file_and_a_missing_blob_fails_without_leaving_one()
    {
        var output = Path.Combine(_home, "out.bin");
        var (code, _, _) = await Run("blob", "download", "--blob-id", Canned.BlobId, "--output", output);
        Assert.Equal(0, code);
        Assert.Equal("hello", await File.ReadAllTextAsync(output));

        var missing = Path.Combine(_home, "missing.bin");
        var (failed, _, stderr) = await Run("blob", "download", "-b", Canned.OtherId, "-o", missing);
        Assert.Equal(1, failed);
        Assert.Contains("not found locally or in network", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(missing));
        Assert.False(File.Exists(missing + ".part"));
    }

    [Fact]
    public async Task Ls_and_rm_use_upstreams_routes()
    {
        var (code, stdout, _) = await Run("--output-format", "json", "blob", "ls");
        Assert.Equal(0, code);
        var blob = Assert.Single(JsonDocument.Parse(stdout).RootElement.GetProperty("blobs").EnumerateArray());
        Assert.Equal(5, blob.GetProperty("size").GetInt64());

        var (deleted, output, _) = await Run("blob", "rm", "-b", Canned.BlobId);
        Assert.Equal(0, deleted);
        Assert.Contains("Blob Deleted", output, StringComparison.Ordinal);
        Assert.Equal("DELETE", _node.Last("DELETE", $"/admin-api/blobs/{Canned.BlobId}").Method);
    }

    private async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await Cli.RunAsync(["--api", _node.Url.ToString(), .. args], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
