using System.Text.Json.Serialization;

namespace Mero.Api;

/// <summary>Every admin API success body is wrapped as <c>{"data": ...}</c>, as upstream's.</summary>
public sealed record DataResponse<T>([property: JsonPropertyName("data")] T Data);

/// <summary>Every admin API failure body is <c>{"error": "message"}</c> with a 4xx/5xx status.</summary>
public sealed record ErrorResponse([property: JsonPropertyName("error")] string Error);

public sealed record HealthStatus(string Status);
