using System.Text.Json.Serialization;

namespace Mero.Api;

/// <summary>Upstream's <c>BlobInfo</c> (snake_case, as serde writes it): the answer to <c>PUT /admin-api/blobs</c> and a row of the list.</summary>
public sealed record BlobInfoDto(
    [property: JsonPropertyName("blob_id")] string BlobId,
    [property: JsonPropertyName("size")] long Size);

public sealed record ListBlobsData([property: JsonPropertyName("blobs")] IReadOnlyList<BlobInfoDto> Blobs);

public sealed record DeleteBlobData(
    [property: JsonPropertyName("blob_id")] string BlobId,
    [property: JsonPropertyName("deleted")] bool Deleted);

/// <summary>What <c>HEAD /admin-api/blobs/:id</c> reports in headers (upstream's <c>BlobMetadata</c>).</summary>
public sealed record BlobMetadataDto(
    [property: JsonPropertyName("blob_id")] string BlobId,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("hash")] string Hash,
    [property: JsonPropertyName("mime_type")] string MimeType);
