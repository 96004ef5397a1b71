using System.Text;
using System.Text.Json;
using Mero.Api;
using Mero.Node;
using Mero.Node.Contexts;
using Mero.Runtime;

namespace Mero.Server;

/// <summary>
/// The one <c>execute</c> behind JSON-RPC and WebSocket: parses <c>{contextId, method, argsJson,
/// executorPublicKey}</c>, runs it through the context manager and shapes the result or the error.
/// </summary>
public static class ExecuteKernel
{
    public static async Task<(ExecuteResult? Result, JsonRpcError? Error)> RunAsync(JsonElement? rawParams, ContextManager contexts, CancellationToken ct)
    {
        ExecuteParams? p;
        try
        {
            p = rawParams is { ValueKind: JsonValueKind.Object } raw ? raw.Deserialize<ExecuteParams>(ApiJson.Options) : null;
        }
        catch (JsonException ex)
        {
            return Fail(JsonRpcErrorCodes.InvalidParams, $"invalid params: {ex.Message}", "InvalidParams");
        }

        if (p is null || string.IsNullOrEmpty(p.ContextId) || string.IsNullOrEmpty(p.Method))
        {
            return Fail(JsonRpcErrorCodes.InvalidParams, "invalid params: contextId and method are required", "InvalidParams");
        }

        if (!ContextId.TryParse(p.ContextId, out var contextId))
        {
            return Fail(JsonRpcErrorCodes.InvalidParams, $"invalid params: '{HttpJson.Truncate(p.ContextId)}' is not a ContextId", "InvalidParams");
        }

        PublicKey? executor = null;
        if (p.ExecutorPublicKey is not null)
        {
            if (!PublicKey.TryParse(p.ExecutorPublicKey, out var key))
            {
                return Fail(JsonRpcErrorCodes.InvalidParams, $"invalid params: '{HttpJson.Truncate(p.ExecutorPublicKey)}' is not a PublicKey", "InvalidParams");
            }

            executor = key;
        }

        var input = p.ArgsJson is { ValueKind: not JsonValueKind.Undefined and not JsonValueKind.Null } args
            ? Encoding.UTF8.GetBytes(args.GetRawText())
            : "{}"u8.ToArray();
        try
        {
            var report = await contexts.ExecuteMethodAsync(contextId, p.Method, input, executor, ct).ConfigureAwait(false);
            return report.Outcome.Success ? (ToResult(report), null) : (null, FunctionCallFailed(report.Outcome));
        }
        catch (NodeException ex)
        {
            var (code, type) = ex.Kind switch
            {
                NodeErrorKind.NotFound => (JsonRpcErrorCodes.ContextNotFound, "ContextNotFound"),
                NodeErrorKind.Unauthorized => (JsonRpcErrorCodes.Unauthorized, "Unauthorized"),
                _ => (JsonRpcErrorCodes.InvalidParams, "InvalidParams"),
            };
            return Fail(code, ex.Message, type);
        }
    }

    private static JsonRpcError FunctionCallFailed(Outcome outcome)
    {
        var error = outcome.Error;
        var code = error?.Code.ToString() ?? "Unknown";
        var message = error?.Message ?? "the method failed";
        return new JsonRpcError(JsonRpcErrorCodes.FunctionCallError, $"function call error: {message}", new JsonRpcErrorData("FunctionCallError", code, message));
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

    private static (ExecuteResult?, JsonRpcError?) Fail(int code, string message, string type) =>
        (null, new JsonRpcError(code, message, new JsonRpcErrorData(type)));
}
