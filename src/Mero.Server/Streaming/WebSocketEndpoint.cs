using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Mero.Api;
using Mero.Node.Contexts;
using Mero.Node.Events;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Mero.Server.Streaming;

/// <summary>
/// <c>GET /ws</c>: one socket carries <c>subscribe</c>, <c>unsubscribe</c> and <c>execute</c>
/// requests (<c>{"id", "method", "params"}</c>) and pushes context events as
/// <c>{"id": null, "result": frame}</c>. Responses echo the request id.
/// </summary>
public static class WebSocketEndpoint
{
    /// <summary>Largest request frame accepted; a bigger one closes the socket with 1009.</summary>
    public const int MaxMessageBytes = 1024 * 1024;

    private const int OutboundQueue = 256;

    public static IEndpointRouteBuilder MapWebSocketApi(this IEndpointRouteBuilder routes)
    {
        routes.Map("/ws", HandleAsync);
        return routes;
    }

    private static async Task HandleAsync(HttpContext http, EventBus bus, ContextManager contexts)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            await http.Response.WriteAsJsonAsync(new { error = "expected a WebSocket upgrade" }, http.RequestAborted).ConfigureAwait(false);
            return;
        }

        using var socket = await http.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        using var subscription = bus.Subscribe();
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        // One writer loop owns the socket's send side; requests and events queue for it.
        var outbound = Channel.CreateBounded<JsonObject>(new BoundedChannelOptions(OutboundQueue) { SingleReader = true });
        var sender = SendLoopAsync(socket, outbound.Reader, closing.Token);
        var pump = PumpEventsAsync(subscription, outbound.Writer, closing.Token);
        try
        {
            await ReceiveLoopAsync(socket, subscription, contexts, outbound.Writer, closing.Token).ConfigureAwait(false);
        }
        finally
        {
            outbound.Writer.TryComplete();
            await closing.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(sender, pump).ConfigureAwait(false);
        }
    }

    private static async Task ReceiveLoopAsync(WebSocket socket, EventSubscription subscription, ContextManager contexts, ChannelWriter<JsonObject> outbound, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        while (socket.State == WebSocketState.Open && !ct.IsCancellationRequested)
        {
            buffer.ResetWrittenCount();
            ValueWebSocketReceiveResult received;
            do
            {
                received = await socket.ReceiveAsync(buffer.GetMemory(4096), ct).ConfigureAwait(false);
                buffer.Advance(received.Count);
                if (buffer.WrittenCount > MaxMessageBytes)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.MessageTooBig, $"frames are limited to {MaxMessageBytes} bytes", ct).ConfigureAwait(false);
                    return;
                }
            }
            while (!received.EndOfMessage && received.MessageType != WebSocketMessageType.Close);

            if (received.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct).ConfigureAwait(false);
                return;
            }

            var response = await HandleRequestAsync(buffer.WrittenMemory, subscription, contexts, ct).ConfigureAwait(false);
            await outbound.WriteAsync(response, ct).ConfigureAwait(false);
        }
    }

    private static async Task<JsonObject> HandleRequestAsync(ReadOnlyMemory<byte> frame, EventSubscription subscription, ContextManager contexts, CancellationToken ct)
    {
        WsRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<WsRequest>(frame.Span, ApiJson.Options);
        }
        catch (JsonException ex)
        {
            return Error(null, ParseError($"invalid request: {ex.Message}"));
        }

        if (request?.Method is not { Length: > 0 } method)
        {
            return Error(request?.Id, ParseError("invalid request: expected {\"id\", \"method\", \"params\"}"));
        }

        switch (method)
        {
            case "subscribe" or "unsubscribe":
                if (!EventFrames.TryReadContextIds(request.Params, out var ids, out var problem))
                {
                    return Error(request.Id, ParseError(problem));
                }

                if (method == "subscribe")
                {
                    subscription.Subscribe(ids);
                }
                else
                {
                    subscription.Unsubscribe(ids);
                }

                return Result(request.Id, new JsonObject { ["contextIds"] = new JsonArray([.. ids.Select(i => (JsonNode)i.ToString())]) });
            case "execute":
                var (result, error) = await ExecuteKernel.RunAsync(request.Params, contexts, ct).ConfigureAwait(false);
                return error is null
                    ? Result(request.Id, JsonSerializer.SerializeToNode(result, ApiJson.Options))
                    : Error(request.Id, JsonSerializer.SerializeToNode(error, ApiJson.Options));
            default:
                return Error(request.Id, ParseError($"unknown method '{HttpJson.Truncate(method)}'; expected subscribe, unsubscribe or execute"));
        }
    }

    private static async Task PumpEventsAsync(EventSubscription subscription, ChannelWriter<JsonObject> outbound, CancellationToken ct)
    {
        try
        {
            await foreach (var contextEvent in subscription.Events.ReadAllAsync(ct).ConfigureAwait(false))
            {
                await outbound.WriteAsync(Result(null, EventFrames.ToJson(contextEvent)), ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // The socket is going away.
        }
    }

    private static async Task SendLoopAsync(WebSocket socket, ChannelReader<JsonObject> outbound, CancellationToken ct)
    {
        try
        {
            await foreach (var message in outbound.ReadAllAsync(ct).ConfigureAwait(false))
            {
                var bytes = JsonSerializer.SerializeToUtf8Bytes(message, ApiJson.Options);
                await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // The peer left; the receive loop ends the session.
        }
    }

    private static JsonObject Result(JsonElement? id, JsonNode? result) => new() { ["id"] = Id(id), ["result"] = result };

    private static JsonObject Error(JsonElement? id, JsonNode? error) => new() { ["id"] = Id(id), ["error"] = error };

    private static JsonNode? Id(JsonElement? id) => id is { } value && value.ValueKind != JsonValueKind.Null ? JsonNode.Parse(value.GetRawText()) : null;

    private static JsonObject ParseError(string message) => new() { ["type"] = "ParseError", ["data"] = message };

    private sealed record WsRequest(JsonElement? Id, string? Method, JsonElement? Params);
}
