using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Mero.Primitives;
using Xunit;

namespace Mero.Integration.Tests;

/// <summary>The example apps (built from source) on a real merod over HTTP: private data, blobs, xcall, chat.</summary>
public sealed class ExampleAppTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Private_data_stays_in_the_private_column_survives_restart_and_never_enters_state()
    {
        await using var node = await MerodProcess.StartAsync();
        var appId = await node.Http.InstallAppAsync(RepoPaths.App("private-data"));
        var (contextId, _) = await node.Http.CreateContextAsync(appId);
        var rootBefore = await node.Http.StateHashAsync(contextId);

        (await node.Http.ExecuteAsync(contextId, "set_secret", new { key = "pin", value = "4321" })).Result();
        Assert.Equal("4321", (await node.Http.ExecuteAsync(contextId, "get_secret", new { key = "pin" })).Result().GetProperty("output").GetString());
        Assert.False((await node.Http.ExecuteAsync(contextId, "has_public_copy", new { key = "pin" })).Result().GetProperty("output").GetBoolean());
        Assert.Equal(1, (await node.Http.ExecuteAsync(contextId, "stats")).Result().GetProperty("output").GetProperty("stored").GetInt32());
        Assert.NotEqual(rootBefore, await node.Http.StateHashAsync(contextId));

        await node.StopAsync();
        // The compiled app was cached on disk, so the restart below loads rather than recompiles it.
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(node.NodeHome, "wasm-cache"), "*.cwasm"));
        var dump = StoreDump.Read(node.NodeHome);
        var secretHex = Convert.ToHexString("4321"u8);
        Assert.Contains(dump, l => l.StartsWith("PrivateState:", StringComparison.Ordinal) && l.EndsWith("=" + secretHex, StringComparison.Ordinal));
        Assert.DoesNotContain(dump, l => l.StartsWith("State:", StringComparison.Ordinal) && l.Contains(secretHex, StringComparison.Ordinal));

        await node.StartAsync();
        Assert.Equal("4321", (await node.Http.ExecuteAsync(contextId, "get_secret", new { key = "pin" })).Result().GetProperty("output").GetString());
        Assert.Equal(JsonValueKind.Null, (await node.Http.ExecuteAsync(contextId, "get_secret", new { key = "other" })).Result().GetProperty("output").ValueKind);
    }

    [Fact]
    public async Task A_failed_call_writes_no_private_data()
    {
        await using var node = await MerodProcess.StartAsync();
        var appId = await node.Http.InstallAppAsync(RepoPaths.App("private-data"));
        var (contextId, _) = await node.Http.CreateContextAsync(appId);

        // An unknown field makes the method panic after nothing was written; then a good call works.
        var failed = (await node.Http.ExecuteAsync(contextId, "set_secret", new { key = "pin", value = "1", extra = true })).Error();
        Assert.Equal("FunctionCallError", failed.GetProperty("data").GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, (await node.Http.ExecuteAsync(contextId, "get_secret", new { key = "pin" })).Result().GetProperty("output").ValueKind);
        Assert.Equal(0, (await node.Http.ExecuteAsync(contextId, "stats")).Result().GetProperty("output").GetProperty("stored").GetInt32());
    }

    [Fact]
    public async Task Blobs_are_stored_by_content_hash_and_read_back()
    {
        await using var node = await MerodProcess.StartAsync();
        var appId = await node.Http.InstallAppAsync(RepoPaths.App("blobs"));
        var (contextId, _) = await node.Http.CreateContextAsync(appId);
        var content = string.Concat(Enumerable.Repeat("blob data ✓ ", 20_000));

        var upload = (await node.Http.ExecuteAsync(contextId, "upload", new { name = "notes.txt", content })).Result();
        // One chunk (< 1 MiB), so the id is SHA-256 of that chunk's SHA-256 (upstream's rule).
        var expectedId = Convert.ToHexStringLower(SHA256.HashData(SHA256.HashData(Encoding.UTF8.GetBytes(content))));
        Assert.Equal(expectedId, upload.GetProperty("output").GetString());
        Assert.Equal("FileUploaded", upload.GetProperty("events")[0].GetProperty("kind").GetString());

        Assert.Equal(content, (await node.Http.ExecuteAsync(contextId, "download", new { name = "notes.txt" })).Result().GetProperty("output").GetString());
        Assert.Equal(expectedId, (await node.Http.ExecuteAsync(contextId, "files")).Result().GetProperty("output").GetProperty("notes.txt").GetString());

        await node.StopAsync();
        // The manifest key is 'M' (0x4D) followed by the blob id.
        Assert.Contains(StoreDump.Read(node.NodeHome), l => l.StartsWith("Blob:4D" + expectedId.ToUpperInvariant() + "=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_xcall_runs_on_the_target_context_after_the_caller_commits()
    {
        await using var node = await MerodProcess.StartAsync();
        var caller = await node.Http.InstallAppAsync(RepoPaths.App("xcall-caller"));
        var callee = await node.Http.InstallAppAsync(RepoPaths.App("xcall-callee"));
        var (a, _) = await node.Http.CreateContextAsync(caller);
        var (b, _) = await node.Http.CreateContextAsync(callee);

        (await node.Http.ExecuteAsync(a, "ping", new { target = Hex(b), message = "hello B" })).Result();

        var inbox = await WaitForAsync(async () =>
        {
            var output = (await node.Http.ExecuteAsync(b, "inbox")).Result().GetProperty("output");
            return output.GetArrayLength() > 0 ? output : (JsonElement?)null;
        });
        var received = Assert.Single(inbox.EnumerateArray());
        Assert.Equal("hello B", received.GetProperty("message").GetString());
        Assert.Equal(Hex(a), received.GetProperty("from").GetString());

        // receive refuses direct calls: it checks xcall_origin.
        var direct = (await node.Http.ExecuteAsync(b, "receive", new { message = "forged" })).Error();
        Assert.Contains("only callable through xcall", direct.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_xcall_is_logged_and_the_caller_stays_committed()
    {
        await using var node = await MerodProcess.StartAsync();
        var caller = await node.Http.InstallAppAsync(RepoPaths.App("xcall-caller"));
        var (a, _) = await node.Http.CreateContextAsync(caller);
        var missing = new string('7', 64);

        (await node.Http.ExecuteAsync(a, "ping", new { target = missing, message = "into the void" })).Result();

        Assert.Equal(1, (await node.Http.ExecuteAsync(a, "sent")).Result().GetProperty("output").GetInt32());
        await WaitForAsync(() => Task.FromResult(node.Output.Contains("xcall from", StringComparison.Ordinal) ? (JsonElement?)default(JsonElement) : null));
        Assert.Contains("not found", node.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Contexts_xcalling_each_other_stop_at_the_depth_limit()
    {
        await using var node = await MerodProcess.StartAsync();
        var caller = await node.Http.InstallAppAsync(RepoPaths.App("xcall-caller"));
        var (a, _) = await node.Http.CreateContextAsync(caller);
        var (b, _) = await node.Http.CreateContextAsync(caller);

        (await node.Http.ExecuteAsync(a, "relay", new { target = Hex(b) })).Result();

        // One client call plus 8 xcall hops, then the chain is cut and logged.
        await WaitForAsync(() => Task.FromResult(node.Output.Contains("xcall chain deeper than 8", StringComparison.Ordinal) ? (JsonElement?)default(JsonElement) : null));
        var relaysA = (await node.Http.ExecuteAsync(a, "relays")).Result().GetProperty("output").GetInt32();
        var relaysB = (await node.Http.ExecuteAsync(b, "relays")).Result().GetProperty("output").GetInt32();
        Assert.Equal((5, 4), (relaysA, relaysB));
    }

    [Fact]
    public async Task Chat_channels_members_and_messages_with_handler_events_on_the_bus()
    {
        await using var node = await MerodProcess.StartAsync();
        var appId = await node.Http.InstallAppAsync(RepoPaths.App("chat"));
        var (contextId, member) = await node.Http.CreateContextAsync(appId);
        using var socket = new ClientWebSocket();
        using (var timeout = new CancellationTokenSource(Wait))
        {
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{node.Port}/ws"), timeout.Token);
        }

        await RequestAsync(socket, """{"id":1,"method":"subscribe","params":{"contextIds":["CTX"]}}""".Replace("CTX", contextId, StringComparison.Ordinal));

        (await node.Http.ExecuteAsync(contextId, "create_channel", new { name = "general" })).Result();
        await ReceiveAsync(socket);
        var sent = (await node.Http.ExecuteAsync(contextId, "send", new { channel = "general", text = "hi all" })).Result();
        Assert.Equal(0, sent.GetProperty("output").GetInt32());

        var frame = await ReceiveAsync(socket);
        var appEvent = frame.GetProperty("result").GetProperty("data").GetProperty("events")[0];
        Assert.Equal("MessageSent", appEvent.GetProperty("kind").GetString());
        Assert.Equal("on_message", appEvent.GetProperty("handler").GetString());

        var messages = (await node.Http.ExecuteAsync(contextId, "messages", new { channel = "general" })).Result().GetProperty("output");
        var message = Assert.Single(messages.EnumerateArray());
        Assert.Equal("hi all", message.GetProperty("text").GetString());
        Assert.Equal(Hex(member), message.GetProperty("sender").GetString());
        Assert.Equal(Hex(member), (await node.Http.ExecuteAsync(contextId, "members", new { channel = "general" })).Result().GetProperty("output")[0].GetString());
        Assert.Equal("general", (await node.Http.ExecuteAsync(contextId, "list_channels")).Result().GetProperty("output")[0].GetString());

        var handled = (await node.Http.ExecuteAsync(contextId, "on_message", new { channel = "general", text = "hi all" })).Result();
        Assert.Equal("new message in general: hi all", handled.GetProperty("logs")[0].GetString());

        var noChannel = (await node.Http.ExecuteAsync(contextId, "send", new { channel = "random", text = "x" })).Error();
        Assert.Contains("no such channel: random", noChannel.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_context_mutation_is_applied_only_after_the_call_commits()
    {
        await using var node = await MerodProcess.StartAsync();
        var appId = await node.Http.InstallAppAsync(RepoPaths.App("chat"));
        var (contextId, _) = await node.Http.CreateContextAsync(appId);
        (await node.Http.ExecuteAsync(contextId, "create_channel", new { name = "general" })).Result();
        var newcomer = RandomNumberGenerator.GetBytes(32);
        var newcomerHex = Convert.ToHexStringLower(newcomer);

        // A failing call queues nothing: the channel does not exist, so the call panics.
        (await node.Http.ExecuteAsync(contextId, "invite", new { channel = "nope", member = newcomerHex })).Error();
        Assert.DoesNotContain(Base58.Encode(newcomer), await IdentitiesAsync(node, contextId));

        (await node.Http.ExecuteAsync(contextId, "invite", new { channel = "general", member = newcomerHex })).Result();
        Assert.Contains(Base58.Encode(newcomer), await IdentitiesAsync(node, contextId));
        Assert.True((await node.Http.ExecuteAsync(contextId, "is_context_member", new { member = newcomerHex })).Result().GetProperty("output").GetBoolean());
        Assert.Contains(newcomerHex, (await node.Http.ExecuteAsync(contextId, "members", new { channel = "general" })).Result().GetProperty("output").EnumerateArray().Select(m => m.GetString()));
    }

    private static async Task<List<string>> IdentitiesAsync(MerodProcess node, string contextId) =>
        [.. (await node.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/contexts/{contextId}/identities"))
            .GetProperty("data").GetProperty("identities").EnumerateArray().Select(i => i.GetString()!)];

    private static string Hex(string base58) => Convert.ToHexStringLower(Base58.Decode(base58));

    private static async Task<JsonElement> WaitForAsync(Func<Task<JsonElement?>> probe)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(100);
        }
    }

    private static async Task<JsonElement> RequestAsync(ClientWebSocket socket, string text)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
        return await ReceiveAsync(socket);
    }

    private static async Task<JsonElement> ReceiveAsync(ClientWebSocket socket)
    {
        using var timeout = new CancellationTokenSource(Wait);
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        WebSocketReceiveResult received;
        do
        {
            received = await socket.ReceiveAsync(chunk, timeout.Token);
            buffer.Write(chunk, 0, received.Count);
        }
        while (!received.EndOfMessage);
        return JsonDocument.Parse(buffer.ToArray()).RootElement.Clone();
    }
}
