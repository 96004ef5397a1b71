using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mero.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Mero.Server.Streaming;

/// <summary>
/// Server-Sent Events as upstream serves them: <c>GET /sse</c> opens (or, with <c>Last-Event-ID</c>,
/// resumes) a session, <c>POST /sse/subscription</c> changes what it follows,
/// <c>GET /sse/session/{id}</c> describes it. Events are <c>event: message</c> with ids
/// <c>{session}-{n}</c> and <c>{"result": frame}</c> data.
/// </summary>
public static class SseEndpoint
{
    public static readonly TimeSpan RetryHint = TimeSpan.FromSeconds(3);

    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static IEndpointRouteBuilder MapSseApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/sse", StreamAsync);
        routes.MapPost("/sse/subscription", SubscriptionAsync);
        routes.MapGet("/sse/session/{id}", Describe);
        return routes;
    }

    private static async Task StreamAsync(HttpContext http, SseSessions sessions)
    {
        var resumeId = ParseLastEventId(http.Request.Headers["Last-Event-ID"].ToString());
        SseSession session;
        bool resumed;
        try
        {
            (session, resumed) = sessions.Open(resumeId);
        }
        catch (InvalidOperationException ex)
        {
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await http.Response.WriteAsJsonAsync(new { error = ex.Message }, http.RequestAborted).ConfigureAwait(false);
            return;
        }

        using var connection = session.Attach();
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, connection.Token);
        var ct = lifetime.Token;
        try
        {
            session.SkipMissed();
            var response = http.Response;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-SSE-Session-ID"] = session.Id.ToString(CultureInfo.InvariantCulture);
            response.Headers["X-SSE-Reconnect"] = resumed ? "true" : "false";
            var connect = new JsonObject { ["type"] = "connect", ["session_id"] = session.Id.ToString(CultureInfo.InvariantCulture), ["reconnect"] = resumed };
            await WriteEventAsync(response, $"{session.Id}-0", connect, retry: RetryHint, ct).ConfigureAwait(false);

            while (!ct.IsCancellationRequested)
            {
                using var keepAlive = CancellationTokenSource.CreateLinkedTokenSource(ct);
                keepAlive.CancelAfter(KeepAlive);
                bool ready;
                try
                {
                    ready = await session.Subscription.Events.WaitToReadAsync(keepAlive.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    await response.WriteAsync(": keep-alive\n\n", ct).ConfigureAwait(false);
                    await response.Body.FlushAsync(ct).ConfigureAwait(false);
                    continue;
                }

                if (!ready)
                {
                    return;
                }

                while (session.Subscription.Events.TryRead(out var contextEvent))
                {
                    var frame = new JsonObject { ["result"] = EventFrames.ToJson(contextEvent) };
                    await WriteEventAsync(response, $"{session.Id}-{session.NextEventNumber()}", frame, retry: null, ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away or reconnected elsewhere; the session stays for a reconnect.
        }
        finally
        {
            session.Detach(connection);
        }
    }

    private static async Task<IResult> SubscriptionAsync(HttpRequest request, SseSessions sessions, CancellationToken ct)
    {
        SseRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<SseRequest>(new LimitedStream(request.Body, HttpJson.MaxJsonBodyBytes), ApiJson.Options, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is JsonException or BodyTooLargeException)
        {
            return Results.BadRequest(new { error = $"invalid request: {ex.Message}" });
        }

        if (body is null || !ulong.TryParse(body.Id, NumberStyles.None, CultureInfo.InvariantCulture, out var sessionId))
        {
            return Results.BadRequest(new { error = "Invalid Session Id" });
        }

        if (sessions.Find(sessionId) is not { } session)
        {
            return Results.NotFound(new { error = $"session {sessionId} not found" });
        }

        if (body.Method is not ("subscribe" or "unsubscribe"))
        {
            return Results.BadRequest(new { error = $"unknown method '{HttpJson.Truncate(body.Method ?? "")}'; expected subscribe or unsubscribe" });
        }

        if (!EventFrames.TryReadContextIds(body.Params, out var ids, out var problem))
        {
            return Results.BadRequest(new { error = problem });
        }

        var subscribing = body.Method == "subscribe";
        if (subscribing)
        {
            session.Subscribe(ids);
        }
        else
        {
            session.Unsubscribe(ids);
        }

        return Results.Ok(new { result = new { status = subscribing ? "subscribed" : "unsubscribed", contexts = ids.Select(i => i.ToString()) } });
    }

    private static IResult Describe(string id, SseSessions sessions) =>
        ulong.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var sessionId) && sessions.Find(sessionId) is { } session
            ? Results.Ok(new
            {
                result = new
                {
                    sessionId = session.Id.ToString(CultureInfo.InvariantCulture),
                    contexts = session.Contexts.Select(c => c.ToString()),
                    eventCounter = session.EventCounter,
                    connected = session.IsConnected,
                },
            })
            : Results.NotFound(new { error = $"session '{HttpJson.Truncate(id)}' not found" });

    private static ulong? ParseLastEventId(string header)
    {
        var dash = header.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 && ulong.TryParse(header.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
    }

    private static async Task WriteEventAsync(HttpResponse response, string id, JsonNode data, TimeSpan? retry, CancellationToken ct)
    {
        var text = new StringBuilder();
        text.Append("event: message\nid: ").Append(id).Append('\n');
        if (retry is { } hint)
        {
            text.Append("retry: ").Append(((long)hint.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        text.Append("data: ").Append(data.ToJsonString()).Append("\n\n");
        await response.WriteAsync(text.ToString(), ct).ConfigureAwait(false);
        await response.Body.FlushAsync(ct).ConfigureAwait(false);
    }

    private sealed record SseRequest(string? Id, string? Method, JsonElement? Params);
}
