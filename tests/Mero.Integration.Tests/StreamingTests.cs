using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Mero.Integration.Tests;

/// <summary>Events reach WebSocket and SSE subscribers of a context after a committed call, in upstream's frame shape.</summary>
public sealed class StreamingTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_websocket_subscriber_receives_state_mutations_and_can_execute()
    {
        await using var node = await MerodProcess.StartAsync();
        var appId = await node.Http.InstallAppAsync(RepoPaths.App("kv-store"));
        var (contextId, _) = await node.Http.CreateContextAsync(appId);
        var (otherContext, _) = await node.Http.CreateContextAsync(appId);

        using var socket = await ConnectAsync(node);
        var subscribed = await RequestAsync(socket, """{"id":1,"method":"subscribe","params":{"contextIds":["CTX"]}}""".Replace("CTX", contextId, StringComparison.Ordinal));
        Assert.Equal(1, subscribed.GetProperty("id").GetInt32());
        Assert.Equal(contextId, subscribed.GetProperty("result").GetProperty("contextIds")[0].GetString());

        // A change in a context we do not follow produces nothing; the one we follow produces one frame.
        (await node.Http.ExecuteAsync(otherContext, "set", new { key = "ignored", value = "x" })).Result();
        (await node.Http.ExecuteAsync(contextId, "set", new { key = "greeting", value = "hello" })).Result();
        var frame = await ReceiveAsync(socket);
        Assert.Equal(JsonValueKind.Null, frame.GetProperty("id").ValueKind);
        var result = frame.GetProperty("result");
        Assert.Equal(contextId, result.GetProperty("contextId").GetString());
        Assert.Equal("StateMutation", result.GetProperty("type").GetString());
        Assert.Equal(await node.Http.StateHashAsync(contextId), result.GetProperty("data").GetProperty("newRoot").GetString());
        var appEvent = result.GetProperty("data").GetProperty("events")[0];
        Assert.Equal("Inserted", appEvent.GetProperty("kind").GetString());
        Assert.Equal(JsonValueKind.Null, appEvent.GetProperty("handler").ValueKind);
        var data = JsonDocument.Parse(appEvent.GetProperty("data").EnumerateArray().Select(b => (byte)b.GetInt32()).ToArray()).RootElement;
        Assert.Equal("greeting", data.GetProperty("key").GetString());
        Assert.Equal("hello", data.GetProperty("value").GetString());

        // execute over the same socket, same kernel as JSON-RPC.
        var get = await RequestAsync(socket, """{"id":2,"method":"execute","params":{"contextId":"CTX","method":"get","argsJson":{"key":"greeting"}}}""".Replace("CTX", contextId, StringComparison.Ordinal));
        Assert.Equal(2, get.GetProperty("id").GetInt32());
        Assert.Equal("hello", get.GetProperty("result").GetProperty("output").GetString());

        var unknownContext = await RequestAsync(socket, """{"id":3,"method":"execute","params":{"contextId":"11111111111111111111111111111111","method":"get","argsJson":{"key":"a"}}}""");
        Assert.Equal(-32001, unknownContext.GetProperty("error").GetProperty("code").GetInt32());

        // Unsubscribed: the next change is silent, so the next frame we see is our own request's reply.
        await RequestAsync(socket, """{"id":4,"method":"unsubscribe","params":{"contextIds":["CTX"]}}""".Replace("CTX", contextId, StringComparison.Ordinal));
        (await node.Http.ExecuteAsync(contextId, "set", new { key = "greeting", value = "again" })).Result();
        var reply = await RequestAsync(socket, """{"id":5,"method":"execute","params":{"contextId":"CTX","method":"get","argsJson":{"key":"greeting"}}}""".Replace("CTX", contextId, StringComparison.Ordinal));
        Assert.Equal(5, reply.GetProperty("id").GetInt32());
        Assert.Equal("again", reply.GetProperty("result").GetProperty("output").GetString());
    }

    [Fact]
    public async Task Malformed_websocket_frames_get_errors_and_an_oversized_frame_closes_only_that_socket()
    {
        await using var node = await MerodProcess.StartAsync();
        using var socket = await ConnectAsync(node);

        var notJson = await RequestAsync(socket, "this is not json");
        Assert.Equal(JsonValueKind.Null, notJson.GetProperty("id").ValueKind);
        Assert.Equal("ParseError", notJson.GetProperty("error").GetProperty("type").GetString());

        var unknown = await RequestAsync(socket, """{"id":7,"method":"launch_rockets","params":{}}""");
        Assert.Equal(7, unknown.GetProperty("id").GetInt32());
        Assert.Contains("unknown method", unknown.GetProperty("error").GetProperty("data").GetString());

        var badId = await RequestAsync(socket, """{"id":8,"method":"subscribe","params":{"contextIds":["not-an-id"]}}""");
        Assert.Contains("is not a context id", badId.GetProperty("error").GetProperty("data").GetString());

        var missing = await RequestAsync(socket, """{"id":9,"method":"execute","params":{"method":"get"}}""");
        Assert.Equal(-32602, missing.GetProperty("error").GetProperty("code").GetInt32());

        var huge = Encoding.UTF8.GetBytes("{\"id\":1,\"method\":\"subscribe\",\"params\":{\"pad\":\"" + new string('x', 2 * 1024 * 1024) + "\"}}");
        await socket.SendAsync(huge, WebSocketMessageType.Text, true, CancellationToken.None);
        using var timeout = new CancellationTokenSource(Wait);
        var closing = await socket.ReceiveAsync(new byte[1024], timeout.Token);
        Assert.Equal(WebSocketMessageType.Close, closing.MessageType);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, socket.CloseStatus);

        // The node and new sockets are unaffected.
        using var second = await ConnectAsync(node);
        var ok = await RequestAsync(second, """{"id":1,"method":"subscribe","params":{"contextIds":[]}}""");
        Assert.Equal(1, ok.GetProperty("id").GetInt32());
        using var plainGet = await node.Http.GetAsync("/ws");
        Assert.Equal(HttpStatusCode.BadRequest, plainGet.StatusCode);
    }

    [Fact]
    public async Task An_sse_session_receives_events_and_resumes_with_a_visible_gap()
    {
        await using var node = await MerodProcess.StartAsync();
        var appId = await node.Http.InstallAppAsync(RepoPaths.App("kv-store"));
        var (contextId, _) = await node.Http.CreateContextAsync(appId);

        var stream = await SseStream.OpenAsync(node.Http, lastEventId: null);
        var sessionId = stream.Headers["X-SSE-Session-ID"];
        Assert.Equal("false", stream.Headers["X-SSE-Reconnect"]);
        var connect = await stream.NextAsync();
        Assert.Equal($"{sessionId}-0", connect.Id);
        Assert.Equal("connect", connect.Data.GetProperty("type").GetString());
        Assert.Equal(sessionId, connect.Data.GetProperty("session_id").GetString());

        var subscribed = await node.Http.SendJsonAsync(HttpMethod.Post, "/sse/subscription", new { id = sessionId, method = "subscribe", @params = new { contextIds = new[] { contextId } } });
        Assert.Equal("subscribed", subscribed.GetProperty("result").GetProperty("status").GetString());

        (await node.Http.ExecuteAsync(contextId, "set", new { key = "a", value = "1" })).Result();
        var first = await stream.NextAsync();
        Assert.Equal($"{sessionId}-1", first.Id);
        Assert.Equal("StateMutation", first.Data.GetProperty("result").GetProperty("type").GetString());
        Assert.Equal(contextId, first.Data.GetProperty("result").GetProperty("contextId").GetString());

        // Disconnect, miss one event, reconnect: the session resumes and the ids show the gap.
        stream.Dispose();
        await WaitUntilAsync(async () => !(await node.Http.SendJsonAsync(HttpMethod.Get, $"/sse/session/{sessionId}")).GetProperty("result").GetProperty("connected").GetBoolean());
        (await node.Http.ExecuteAsync(contextId, "set", new { key = "a", value = "2" })).Result();
        await Task.Delay(200);
        stream = await SseStream.OpenAsync(node.Http, lastEventId: first.Id);
        Assert.Equal(sessionId, stream.Headers["X-SSE-Session-ID"]);
        Assert.Equal("true", stream.Headers["X-SSE-Reconnect"]);
        Assert.True((await stream.NextAsync()).Data.GetProperty("reconnect").GetBoolean());
        (await node.Http.ExecuteAsync(contextId, "set", new { key = "a", value = "3" })).Result();
        var third = await stream.NextAsync();
        Assert.Equal($"{sessionId}-3", third.Id);
        stream.Dispose();
    }

    [Fact]
    public async Task Bad_sse_subscription_requests_are_refused()
    {
        await using var node = await MerodProcess.StartAsync();
        await node.Http.SendJsonAsync(HttpMethod.Post, "/sse/subscription", new { id = "abc", method = "subscribe", @params = new { contextIds = Array.Empty<string>() } }, expectedStatus: 400);
        await node.Http.SendJsonAsync(HttpMethod.Post, "/sse/subscription", new { id = "12345", method = "subscribe", @params = new { contextIds = Array.Empty<string>() } }, expectedStatus: 404);
        await node.Http.SendJsonAsync(HttpMethod.Post, "/sse/subscription", "{ nope", expectedStatus: 400);
        await node.Http.SendJsonAsync(HttpMethod.Get, "/sse/session/12345", expectedStatus: 404);

        using var stream = await SseStream.OpenAsync(node.Http, lastEventId: null);
        var sessionId = stream.Headers["X-SSE-Session-ID"];
        await node.Http.SendJsonAsync(HttpMethod.Post, "/sse/subscription", new { id = sessionId, method = "subscribe", @params = new { contextIds = new[] { "bad" } } }, expectedStatus: 400);
        await node.Http.SendJsonAsync(HttpMethod.Post, "/sse/subscription", new { id = sessionId, method = "explode", @params = new { contextIds = Array.Empty<string>() } }, expectedStatus: 400);
        var described = await node.Http.SendJsonAsync(HttpMethod.Get, $"/sse/session/{sessionId}");
        Assert.Empty(described.GetProperty("result").GetProperty("contexts").EnumerateArray());
    }

    private static async Task<ClientWebSocket> ConnectAsync(MerodProcess node)
    {
        var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(Wait);
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{node.Port}/ws"), timeout.Token);
        return socket;
    }

    private static async Task<JsonElement> RequestAsync(ClientWebSocket socket, string text)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
        return await ReceiveAsync(socket);
    }

    private static async Task<JsonElement> ReceiveAsync(ClientWebSocket socket)
    {
        using var timeout = new CancellationTokenSource(Wait);
        var buffer = new MemoryStream();
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

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(50);
        }
    }

    private sealed class SseStream : IDisposable
    {
        private readonly HttpResponseMessage _response;
        private readonly StreamReader _reader;

        private SseStream(HttpResponseMessage response, StreamReader reader)
        {
            _response = response;
            _reader = reader;
        }

        public Dictionary<string, string> Headers { get; } = [];

        public static async Task<SseStream> OpenAsync(HttpClient http, string? lastEventId)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/sse");
            if (lastEventId is not null)
            {
                request.Headers.Add("Last-Event-ID", lastEventId);
            }

            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            var stream = new SseStream(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
            foreach (var name in new[] { "X-SSE-Session-ID", "X-SSE-Reconnect" })
            {
                stream.Headers[name] = response.Headers.GetValues(name).Single();
            }

            return stream;
        }

        public async Task<(string Id, JsonElement Data)> NextAsync()
        {
            using var timeout = new CancellationTokenSource(Wait);
            string? id = null;
            string? data = null;
            while (true)
            {
                var line = await _reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException("SSE stream ended");
                if (line.Length == 0)
                {
                    if (data is not null)
                    {
                        return (id ?? "", JsonDocument.Parse(data).RootElement.Clone());
                    }

                    continue;
                }

                if (line.StartsWith("id: ", StringComparison.Ordinal))
                {
                    id = line[4..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data = line[6..];
                }
            }
        }

        public void Dispose()
        {
            _reader.Dispose();
            _response.Dispose();
        }
    }
}
