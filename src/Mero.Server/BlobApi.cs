using Mero.Api;
using Mero.Node.Blobs;
using Mero.Primitives;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Mero.Server;

/// <summary>
/// Upstream's blob routes: <c>PUT /admin-api/blobs</c> streams the raw body into chunked storage,
/// <c>GET /admin-api/blobs/:id</c> streams a blob back (fetching it from peers first if this node
/// lacks it), <c>HEAD</c> reports its metadata in headers, plus list and delete.
/// </summary>
public static class BlobApi
{
    public static IEndpointRouteBuilder MapBlobApi(this IEndpointRouteBuilder routes)
    {
        var admin = routes.MapGroup("/admin-api");
        admin.MapPut("/blobs", Upload);
        admin.MapGet("/blobs", (BlobService blobs) =>
            HttpJson.Data(new ListBlobsData([.. blobs.Storage.List().Select(b => new BlobInfoDto(b.Id.ToString(), b.Manifest.Size))])));
        admin.MapGet("/blobs/{id}", Download);
        admin.MapMethods("/blobs/{id}", [HttpMethods.Head], (string id, BlobService blobs) =>
        {
            if (!HttpJson.TryParseId<IdKinds.Blob>(id, out var blobId, out var error))
            {
                return error!;
            }

            return blobs.Storage.GetManifest(blobId) is { } manifest
                ? new BlobContentResult(blobId, manifest, blobs.Storage, headersOnly: true)
                : HttpJson.Error(StatusCodes.Status404NotFound, "Blob not found");
        });
        admin.MapDelete("/blobs/{id}", (string id, BlobService blobs) =>
        {
            if (!HttpJson.TryParseId<IdKinds.Blob>(id, out var blobId, out var error))
            {
                return error!;
            }

            return blobs.Storage.Delete(blobId)
                ? HttpJson.Data(new DeleteBlobData(blobId.ToString(), true))
                : HttpJson.Error(StatusCodes.Status404NotFound, "Blob not found");
        });
        return routes;
    }

    private static async Task<IResult> Upload(HttpContext http, BlobService blobs, CancellationToken ct)
    {
        // A context_id scopes the blob: peers are served it only for that context's members (docs/blobs.md "Access").
        ContextId? scope = null;
        if (http.Request.Query["context_id"].FirstOrDefault() is { } context)
        {
            if (!ContextId.TryParse(context, out var parsed))
            {
                return HttpJson.Error(StatusCodes.Status400BadRequest, "The provided context_id is not a valid format");
            }

            scope = parsed;
        }

        if (http.Request.ContentLength > BlobManifest.MaxBlobSize)
        {
            return HttpJson.Error(StatusCodes.Status413PayloadTooLarge, $"blob of {http.Request.ContentLength} bytes is over the {BlobManifest.MaxBlobSize}-byte limit");
        }

        // Kestrel's default 30 MB body cap would cut blobs short; the writer enforces our own cap.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = BlobManifest.MaxBlobSize + 1;
        }

        try
        {
            var (id, manifest) = await blobs.UploadAsync(http.Request.Body, BlobManifest.MaxBlobSize, ct, scope).ConfigureAwait(false);
            return HttpJson.Data(new BlobInfoDto(id.ToString(), manifest.Size));
        }
        catch (BlobTooLargeException ex)
        {
            return HttpJson.Error(StatusCodes.Status413PayloadTooLarge, ex.Message);
        }
    }

    private static async Task<IResult> Download(string id, HttpContext http, BlobService blobs, CancellationToken ct)
    {
        if (!HttpJson.TryParseId<IdKinds.Blob>(id, out var blobId, out var error))
        {
            return error!;
        }

        // With context_id a missing blob is fetched as this node's member of that context (signed request).
        ContextId? context = null;
        if (http.Request.Query["context_id"].FirstOrDefault() is { } text)
        {
            if (!HttpJson.TryParseId<IdKinds.Context>(text, out var parsed, out var contextError))
            {
                return contextError!;
            }

            context = parsed;
        }

        return await blobs.GetOrFetchAsync(blobId, ct, context).ConfigureAwait(false) is { } manifest
            ? new BlobContentResult(blobId, manifest, blobs.Storage, headersOnly: false)
            : HttpJson.Error(StatusCodes.Status404NotFound, $"Blob {blobId} not found locally or in network");
    }

    /// <summary>Streams a stored blob chunk by chunk with upstream's metadata headers.</summary>
    private sealed class BlobContentResult(BlobId id, BlobManifest manifest, BlobStorage storage, bool headersOnly) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            var response = http.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/octet-stream";
            response.ContentLength = manifest.Size;
            response.Headers.ETag = $"\"{id}\"";
            response.Headers.CacheControl = "private, no-cache";
            response.Headers["X-Blob-ID"] = id.ToString();
            response.Headers["X-Blob-Hash"] = Convert.ToHexStringLower(manifest.ContentHash);
            response.Headers["X-Blob-MIME-Type"] = "application/octet-stream";
            if (headersOnly)
            {
                return;
            }

            foreach (var chunk in storage.ReadChunks(manifest))
            {
                await response.Body.WriteAsync(chunk, http.RequestAborted).ConfigureAwait(false);
            }
        }
    }
}
