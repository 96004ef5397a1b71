namespace Mero.Node.Blobs;

/// <summary>A blob grew past <see cref="BlobManifest.MaxBlobSize"/> (or a caller's smaller cap) while being written.</summary>
public sealed class BlobTooLargeException(long limit) : Exception($"blob exceeds the maximum size of {limit} bytes")
{
    public long Limit { get; } = limit;
}
