using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mero.Api;

/// <summary>A JSON-RPC 2.0 request to <c>POST /jsonrpc</c>.</summary>
public sealed record JsonRpcRequest(
    [property: JsonPropertyName("jsonrpc")] string JsonRpc,
    [property: JsonPropertyName("id")] JsonElement? Id,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("params")] JsonElement? Params);

/// <summary>Params of method <c>execute</c>. <c>ArgsJson</c> is any JSON value, passed to the app as its input bytes.</summary>
public sealed record ExecuteParams(
    string ContextId,
    string Method,
    JsonElement? ArgsJson = null,
    string? ExecutorPublicKey = null);

public sealed record ExecuteEvent(string Kind, JsonElement? Data, string? DataBase64 = null);

/// <summary>Result of <c>execute</c>: the method's JSON output plus what it logged and emitted.</summary>
public sealed record ExecuteResult(
    JsonElement? Output,
    IReadOnlyList<string> Logs,
    IReadOnlyList<ExecuteEvent> Events,
    string? RootHash = null);

/// <summary>
/// JSON-RPC error object. <c>Code</c>/<c>Message</c> follow JSON-RPC 2.0; <c>Data</c> carries
/// the machine-readable kind (<c>type</c>) and details, the way upstream tags its errors.
/// </summary>
public sealed record JsonRpcError(
    [property: JsonPropertyName("code")] int Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("data")] JsonRpcErrorData? Data = null);

public sealed record JsonRpcErrorData(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("code")] string? Code = null,
    [property: JsonPropertyName("detail")] string? Detail = null);

public sealed record JsonRpcResponse<T>(
    [property: JsonPropertyName("jsonrpc")] string JsonRpc,
    [property: JsonPropertyName("id")] JsonElement? Id,
    [property: JsonPropertyName("result")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] T? Result,
    [property: JsonPropertyName("error")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonRpcError? Error);

/// <summary>Standard and server-defined JSON-RPC error codes.</summary>
public static class JsonRpcErrorCodes
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InvalidParams = -32602;
    public const int InternalError = -32603;

    /// <summary>The context does not exist on this node.</summary>
    public const int ContextNotFound = -32001;

    /// <summary>The app method failed: panic, trap, limit, unknown method, deadline.</summary>
    public const int FunctionCallError = -32002;

    /// <summary>The executor is not a member of the context (or its key is not owned here).</summary>
    public const int Unauthorized = -32003;
}
