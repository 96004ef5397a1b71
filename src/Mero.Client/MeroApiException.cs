using System.Net;
using Mero.Api;

namespace Mero.Client;

/// <summary>What went wrong when talking to a node.</summary>
public enum MeroErrorKind
{
    /// <summary>The admin API answered with a 4xx/5xx status (body <c>{"error": "..."}</c>).</summary>
    Http,

    /// <summary>The JSON-RPC endpoint answered with an <c>error</c> object.</summary>
    JsonRpc,

    /// <summary>The node could not be reached, or the request timed out.</summary>
    Transport,

    /// <summary>The node answered, but not in the shape the API promises.</summary>
    InvalidResponse,
}

/// <summary>
/// A failed call to a node. <see cref="ServerMessage"/> is the node's own message (the admin API's
/// <c>error</c> or the JSON-RPC error's <c>message</c>); <see cref="Exception.Message"/> adds the
/// status or code for display.
/// </summary>
public sealed class MeroApiException : Exception
{
    private MeroApiException(MeroErrorKind kind, string message, string serverMessage, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        ServerMessage = serverMessage;
    }

    public MeroErrorKind Kind { get; }

    /// <summary>The message as the node (or the transport) gave it, without decoration.</summary>
    public string ServerMessage { get; }

    /// <summary>The HTTP status, when the node answered at all.</summary>
    public HttpStatusCode? StatusCode { get; private init; }

    /// <summary>The JSON-RPC error code (see <see cref="JsonRpcErrorCodes"/>), for <see cref="MeroErrorKind.JsonRpc"/>.</summary>
    public int? RpcCode { get; private init; }

    /// <summary>The JSON-RPC error's machine-readable <c>data</c> (type, code, detail), when present.</summary>
    public JsonRpcErrorData? RpcData { get; private init; }

    public static MeroApiException Http(HttpStatusCode status, string serverMessage) =>
        new(MeroErrorKind.Http, $"{serverMessage} (HTTP {(int)status})", serverMessage) { StatusCode = status };

    public static MeroApiException JsonRpc(HttpStatusCode status, JsonRpcError error)
    {
        var tag = error.Data is { } data
            ? data.Code is { Length: > 0 } code ? $"{data.Type}/{code}" : data.Type
            : null;
        var message = tag is null
            ? $"{error.Message} (JSON-RPC {error.Code})"
            : $"{error.Message} (JSON-RPC {error.Code}, {tag})";
        return new(MeroErrorKind.JsonRpc, message, error.Message)
        {
            StatusCode = status,
            RpcCode = error.Code,
            RpcData = error.Data,
        };
    }

    public static MeroApiException Transport(string message, Exception? inner = null) =>
        new(MeroErrorKind.Transport, message, message, inner);

    public static MeroApiException InvalidResponse(HttpStatusCode status, string message, Exception? inner = null) =>
        new(MeroErrorKind.InvalidResponse, message, message, inner) { StatusCode = status };
}
