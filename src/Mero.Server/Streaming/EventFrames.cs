using System.Text.Json;
using System.Text.Json.Nodes;
using Mero.Node.Events;

namespace Mero.Server.Streaming;

/// <summary>
/// The wire shape of a context event, as upstream's streams carry it:
/// <c>{"contextId","type":"StateMutation","data":{"newRoot","events":[{"kind","data":[bytes],"handler"}]}}</c>.
/// Event data stays an array of bytes because the node never interprets an app's event schema.
/// </summary>
internal static class EventFrames
{
    public static JsonObject ToJson(ContextEvent contextEvent) => new()
    {
        ["contextId"] = contextEvent.ContextId.ToString(),
        ["type"] = ContextEvent.StateMutation,
        ["data"] = new JsonObject
        {
            ["newRoot"] = contextEvent.NewRoot.ToString(),
            ["events"] = new JsonArray([.. contextEvent.Events.Select(e => (JsonNode)new JsonObject
            {
                ["kind"] = e.Kind,
                ["data"] = new JsonArray([.. e.Data.Select(b => (JsonNode)JsonValue.Create(b))]),
                ["handler"] = e.Handler,
            })]),
        },
    };

    /// <summary>Parses <c>params.contextIds</c>; every id must be valid or the request is refused whole.</summary>
    public static bool TryReadContextIds(JsonElement? parameters, out List<ContextId> ids, out string error)
    {
        ids = [];
        error = "";
        if (parameters is not { ValueKind: JsonValueKind.Object } p || !p.TryGetProperty("contextIds", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            error = "params.contextIds must be an array of context ids";
            return false;
        }

        if (list.GetArrayLength() > MaxContextsPerRequest)
        {
            error = $"at most {MaxContextsPerRequest} context ids per request";
            return false;
        }

        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || !ContextId.TryParse(item.GetString(), out var id))
            {
                error = $"'{HttpJson.Truncate(item.ToString())}' is not a context id";
                return false;
            }

            ids.Add(id);
        }

        return true;
    }

    public const int MaxContextsPerRequest = 1024;
}
