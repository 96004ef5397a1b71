using System.Net.Http.Headers;
using Mero.Api;

namespace Mero.Client;

/// <summary>The blob routes: upload and download stream, so neither side holds a whole blob.</summary>
public sealed partial class MeroClient
{
    /// <summary><c>PUT /admin-api/blobs</c>: streams <paramref name="content"/> to the node and returns its id and size.</summary>
    public async Task<BlobInfoDto> UploadBlobAsync(Stream content, string? contextId = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var path = contextId is null ? "admin-api/blobs" : $"admin-api/blobs?context_id={Uri.EscapeDataString(contextId)}";
        using var body = new StreamContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        if (content.CanSeek)
        {
            body.Headers.ContentLength = content.Length - content.Position;
        }

        using var request = new HttpRequestMessage(HttpMethod.Put, Url(path)) { Content = body };
        return await SendForDataAsync<BlobInfoDto>(request, ct).ConfigureAwait(false);
    }

    public Task<ListBlobsData> ListBlobsAsync(CancellationToken ct = default) =>
        GetAsync<ListBlobsData>("admin-api/blobs", ct);

    /// <summary><c>GET /admin-api/blobs/:id</c> into <paramref name="destination"/>; returns the bytes copied. A missing blob is a 404 <see cref="MeroApiException"/>.</summary>
    public Task<long> DownloadBlobAsync(string blobId, Stream destination, CancellationToken ct = default) =>
        DownloadBlobAsync(blobId, destination, null, ct);

    /// <summary>As above; with <paramref name="contextId"/> a blob the node lacks is fetched as its member of that context.</summary>
    public async Task<long> DownloadBlobAsync(string blobId, Stream destination, string? contextId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var path = $"admin-api/blobs/{Segment(blobId)}" + (contextId is null ? "" : $"?context_id={Uri.EscapeDataString(contextId)}");
        using var request = new HttpRequestMessage(HttpMethod.Get, Url(path));
        using var response = await SendHeadersAsync(request, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw HttpError(response.StatusCode, await ReadBodyAsync(response, ct).ConfigureAwait(false));
        }

        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                await destination.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                total += read;
            }

            if (response.Content.Headers.ContentLength is { } expected && expected != total)
            {
                throw MeroApiException.Transport($"the node sent {total} of the {expected} bytes of blob {blobId}");
            }

            return total;
        }
        catch (HttpRequestException ex)
        {
            throw MeroApiException.Transport($"the connection failed while downloading blob {blobId}: {ex.Message}", ex);
        }
    }

    /// <summary><c>HEAD /admin-api/blobs/:id</c>: the blob's size and content hash from the response headers.</summary>
    public async Task<BlobMetadataDto> GetBlobInfoAsync(string blobId, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, Url($"admin-api/blobs/{Segment(blobId)}"));
        using var response = await SendHeadersAsync(request, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw response.StatusCode == System.Net.HttpStatusCode.NotFound
                ? MeroApiException.Http(response.StatusCode, $"blob {blobId} not found")
                : HttpError(response.StatusCode, []);
        }

        var hash = response.Headers.TryGetValues("X-Blob-Hash", out var values) ? values.FirstOrDefault() ?? "" : "";
        return new BlobMetadataDto(
            blobId,
            response.Content.Headers.ContentLength ?? 0,
            hash,
            response.Content.Headers.ContentType?.MediaType ?? "application/octet-stream");
    }

    public async Task<DeleteBlobData> DeleteBlobAsync(string blobId, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, Url($"admin-api/blobs/{Segment(blobId)}"));
        return await SendForDataAsync<DeleteBlobData>(request, ct).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendHeadersAsync(HttpRequestMessage request, CancellationToken ct)
    {
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw MeroApiException.Transport($"cannot reach the node at {BaseAddress}: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw MeroApiException.Transport($"the node at {BaseAddress} did not answer within {_http.Timeout.TotalSeconds:0.#} s", ex);
        }
    }
}
