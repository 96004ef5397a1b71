using System.Text.Json;
using Mero.Api;
using Mero.Node;
using Microsoft.AspNetCore.Http;

namespace Mero.Server;

/// <summary>Reading bodies and writing upstream-shaped responses: <c>{"data":..}</c> or <c>{"error":..}</c>.</summary>
internal static class HttpJson
{
    public const long MaxJsonBodyBytes = 1024 * 1024;

    public static IResult Data<T>(T data) => Results.Json(new DataResponse<T>(data), ApiJson.Options);

    public static IResult Error(int status, string message) => Results.Json(new ErrorResponse(message), ApiJson.Options, statusCode: status);

    public static IResult FromNodeException(NodeException ex) => ex.Kind switch
    {
        NodeErrorKind.NotFound => Error(StatusCodes.Status404NotFound, ex.Message),
        NodeErrorKind.Unauthorized => Error(StatusCodes.Status403Forbidden, ex.Message),
        NodeErrorKind.InvalidInput or NodeErrorKind.InvalidApplication => Error(StatusCodes.Status400BadRequest, ex.Message),
        _ => Error(StatusCodes.Status500InternalServerError, ex.Message),
    };

    /// <summary>Reads a JSON body into <typeparamref name="T"/>; a bad body is a 400 with the parser's reason.</summary>
    public static async Task<(T? Value, IResult? Error)> ReadBodyAsync<T>(HttpRequest request, CancellationToken ct)
        where T : class
    {
        if (request.ContentLength > MaxJsonBodyBytes)
        {
            return (null, Error(StatusCodes.Status413PayloadTooLarge, $"request body over {MaxJsonBodyBytes} bytes"));
        }

        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(new LimitedStream(request.Body, MaxJsonBodyBytes), ApiJson.Options, ct).ConfigureAwait(false);
            return value is null ? (null, Error(StatusCodes.Status400BadRequest, "request body must be a JSON object")) : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, Error(StatusCodes.Status400BadRequest, $"invalid JSON body: {ex.Message}"));
        }
        catch (BodyTooLargeException)
        {
            return (null, Error(StatusCodes.Status413PayloadTooLarge, $"request body over {MaxJsonBodyBytes} bytes"));
        }
    }

    public static bool TryParseId<TKind>(string text, out Mero.Primitives.Id32<TKind> id, out IResult? error)
        where TKind : Mero.Primitives.IIdKind
    {
        error = null;
        if (Mero.Primitives.Id32<TKind>.TryParse(text, out id))
        {
            return true;
        }

        error = Error(StatusCodes.Status400BadRequest, $"'{Truncate(text)}' is not a valid {TKind.Name}: expected base58 of 32 bytes");
        return false;
    }

    public static string Truncate(string? text) => text is null ? "" : text.Length <= 80 ? text : text[..80] + "...";
}
