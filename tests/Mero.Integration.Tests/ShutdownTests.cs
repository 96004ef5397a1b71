using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Mero.Primitives;
using Xunit;

namespace Mero.Integration.Tests;

/// <summary>
/// SIGTERM is a clean stop however long the stop takes: the node drains in-flight requests and
/// exits 0, rather than being killed a fixed two seconds after the signal (what System.CommandLine
/// does by default, and what cut merod's shutdown short under load).
/// </summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task An_upload_in_flight_at_SIGTERM_completes_and_the_node_exits_cleanly()
    {
        await using var node = await MerodProcess.StartAsync("node1");
        var first = new byte[64 * 1024];
        var rest = new byte[192 * 1024];
        new Random(11).NextBytes(first);
        new Random(12).NextBytes(rest);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var body = new StalledContent(first, rest, firstSent, gate.Task);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var upload = node.Http.PutAsync("/admin-api/blobs", body);
        await firstSent.Task.WaitAsync(TimeSpan.FromSeconds(60));

        var stop = node.StopAsync("TERM");
        // Well past the two seconds after which the old signal handling killed the process.
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.True(node.IsRunning, $"merod exited {node.ExitCode} while an upload was still in flight");
        gate.SetResult();

        using var response = await upload.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("data");
        Assert.Equal(BlobId.FromBytes(BlobChunking.ComputeId([.. first, .. rest])).ToString(), data.GetProperty("blob_id").GetString());
        await stop;
        Assert.Equal(0, node.ExitCode);

        // The upload that finished during shutdown is in the store after a restart.
        await node.StartAsync();
        using var get = await node.Http.GetAsync($"/admin-api/blobs/{data.GetProperty("blob_id").GetString()}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        var downloaded = await get.Content.ReadAsByteArrayAsync();
        Assert.Equal([.. first, .. rest], downloaded);
    }

    /// <summary>A request body that sends its first part, then waits for a signal before the rest.</summary>
    private sealed class StalledContent(byte[] first, byte[] rest, TaskCompletionSource firstSent, Task resume) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(first);
            await stream.FlushAsync();
            firstSent.TrySetResult();
            await resume;
            await stream.WriteAsync(rest);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = first.Length + rest.Length;
            return true;
        }
    }
}
