using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mero.Api;

/// <summary>The one JSON configuration both the server and the client use: camelCase, nulls omitted.</summary>
public static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Converters = { new ByteArrayAsNumbersConverter() },
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

/// <summary>Upstream (serde) writes <c>Vec&lt;u8&gt;</c> as a JSON array of numbers; we read both that and base64.</summary>
public sealed class ByteArrayAsNumbersConverter : JsonConverter<byte[]>
{
    public override byte[]? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return reader.GetBytesFromBase64();
            case JsonTokenType.StartArray:
                var bytes = new List<byte>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetByte(out var b))
                    {
                        throw new JsonException("byte arrays must hold integers 0..255");
                    }

                    bytes.Add(b);
                }

                return [.. bytes];
            default:
                throw new JsonException("expected an array of bytes or a base64 string");
        }
    }

    public override void Write(Utf8JsonWriter writer, byte[] value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var b in value)
        {
            writer.WriteNumberValue(b);
        }

        writer.WriteEndArray();
    }
}
