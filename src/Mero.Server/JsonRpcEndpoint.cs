using System.Text;
using System.Text.Json;
using Mero.Api;
using Mero.Node;
using Mero.Node.Contexts;
using Mero.Primitives;
using Mero.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Mero.Server;

/// <summary>
/// <c>POST /jsonrpc</c>: JSON-RPC 2.0 with method <c>execute</c>. Protocol errors and app failures
/// are JSON-RPC error objects (HTTP 200), so clients handle one shape.
/// </summary>
public static class JsonRpcEndpoint
{
    public static IEndpointRouteBuilder MapJsonRpc(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/jsonrpc", HandleAsync);
        return routes;
    }

    private static async Task<IResult> HandleAsync(HttpRequest request, ContextManager contexts, CancellationToken ct)
    {
        JsonRpcRequest? rpc;
        try
        {
            rpc = await JsonSerializer.DeserializeAsync<JsonRpcRequest>(new LimitedStream(request.Body, HttpJson.MaxJsonBodyBytes), ApiJson.Options, ct).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            return Fail(null, JsonRpcErrorCodes.ParseError, $"parse error: {ex.Message}", "ParseError");
        }
        catch (BodyTooLargeException)
        {
            return Fail(null, JsonRpcErrorCodes.InvalidRequest, $"request over {HttpJson.MaxJsonBodyBytes} bytes", "InvalidRequest");
        }

        if (rpc is null || rpc.JsonRpc != "2.0" || string.IsNullOrEmpty(rpc.Method))
        {
            return Fail(rpc?.Id, JsonRpcErrorCodes.InvalidRequest, "invalid request: expected {\"jsonrpc\":\"2.0\",\"id\":..,\"method\":..,\"params\":..}", "InvalidRequest");
        }

        return rpc.Method switch
        {
            "execute" => await ExecuteAsync(rpc, contexts, ct).ConfigureAwait(false),
            _ => Fail(rpc.Id, JsonRpcErrorCodes.MethodNotFound, $"unknown method '{HttpJson.Truncate(rpc.Method)}'; supported: execute", "MethodNotFound"),
        };
    }

    private static async Task<IResult> ExecuteAsync(JsonRpcRequest rpc, ContextManager contexts, CancellationToken ct)
    {
        ExecuteParams? p;
        try
        {
            p = rpc.Params is { ValueKind: JsonValueKind.Object } raw ? raw.Deserialize<ExecuteParams>(ApiJson.Options) : null;
        }
        catch (JsonException ex)
        {
            return Fail(rpc.Id, JsonRpcErrorCodes.InvalidParams, $"invalid params: {ex.Message}", "InvalidParams");
        }

        if (p is null || string.IsNullOrEmpty(p.ContextId) || string.IsNullOrEmpty(p.Method))
        {
            return Fail(rpc.Id, JsonRpcErrorCodes.InvalidParams, "invalid params: contextId and method are required", "InvalidParams");
        }

        if (!ContextId.TryParse(p.ContextId, out var contextId))
        {
            return Fail(rpc.Id, JsonRpcErrorCodes.InvalidParams, $"invalid params: '{HttpJson.Truncate(p.ContextId)}' is not a ContextId", "InvalidParams");
        }

        PublicKey? executor = null;
        if (p.ExecutorPublicKey is not null)
        {
            if (!PublicKey.TryParse(p.ExecutorPublicKey, out var key))
            {
                return Fail(rpc.Id, JsonRpcErrorCodes.InvalidParams, $"invalid params: '{HttpJson.Truncate(p.ExecutorPublicKey)}' is not a PublicKey", "InvalidParams");
            }

            executor = key;
        }

        var input = p.ArgsJson is { ValueKind: not JsonValueKind.Undefined and not JsonValueKind.Null } args
            ? Encoding.UTF8.GetBytes(args.GetRawText())
            : "{}"u8.ToArray();
        try
        {
            var report = await contexts.ExecuteMethodAsync(contextId, p.Method, input, executor, ct).ConfigureAwait(false);
            return report.Outcome.Success
                ? Results.Json(new JsonRpcResponse<ExecuteResult>("2.0", rpc.Id, ToResult(report), null), ApiJson.Options)
                : FunctionCallFailed(rpc.Id, report.Outcome);
        }
        catch (NodeException ex)
        {
            var (code, type) = ex.Kind switch
            {
                NodeErrorKind.NotFound => (JsonRpcErrorCodes.ContextNotFound, "ContextNotFound"),
                NodeErrorKind.Unauthorized => (JsonRpcErrorCodes.Unauthorized, "Unauthorized"),
                _ => (JsonRpcErrorCodes.InvalidParams, "InvalidParams"),
            };
            return Fail(rpc.Id, code, ex.Message, type);
        }
    }

    private static IResult FunctionCallFailed(JsonElement? id, Outcome outcome)
    {
        var error = outcome.Error;
        var code = error?.Code.ToString() ?? "Unknown";
        var message = error?.Message ?? "the method failed";
        return Results.Json(
            new JsonRpcResponse<ExecuteResult>("2.0", id, null, new JsonRpcError(
                JsonRpcErrorCodes.FunctionCallError,
                $"function call error: {message}",
                new JsonRpcErrorData("FunctionCallError", code, message))),
            ApiJson.Options);
    }

    private static ExecuteResult ToResult(ExecutionReport report) => new(
        ParseJsonOrString(report.Outcome.ReturnValue),
        report.Outcome.Logs,
        [.. report.Outcome.Events.Select(e => new ExecuteEvent(e.Kind, ParseJsonOrString(e.Data)))],
        report.RootHash.ToString());

    /// <summary>App output is JSON by convention; anything else comes back as a string rather than failing the call.</summary>
    private static JsonElement? ParseJsonOrString(byte[]? bytes)
    {
        if (bytes is null || bytes.Length == 0)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(bytes);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            var text = Encoding.UTF8.GetString(bytes);
            return JsonSerializer.SerializeToElement(text);
        }
    }

    private static IResult Fail(JsonElement? id, int code, string message, string type) =>
        Results.Json(new JsonRpcResponse<ExecuteResult>("2.0", id, null, new JsonRpcError(code, message, new JsonRpcErrorData(type))), ApiJson.Options);
}
