using System.Text.Json;
using Mero.Api;
using Mero.Node.Contexts;
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
        var (result, error) = await ExecuteKernel.RunAsync(rpc.Params, contexts, ct).ConfigureAwait(false);
        return Results.Json(new JsonRpcResponse<ExecuteResult>("2.0", rpc.Id, result, error), ApiJson.Options);
    }

    private static IResult Fail(JsonElement? id, int code, string message, string type) =>
        Results.Json(new JsonRpcResponse<ExecuteResult>("2.0", id, null, new JsonRpcError(code, message, new JsonRpcErrorData(type))), ApiJson.Options);
}
