namespace Mero.Node.Replication.Wire;

/// <summary>Names and bounds of the sync request/response protocol.</summary>
public static class SyncProtocol
{
    /// <summary>Upstream's sync stream protocol id.</summary>
    public const string Id = "/calimero/stream/0.0.2";

    public const int MaxDeltasPerRequest = 256;

    public const int MaxCursorBytes = 1024;

    /// <summary>
    /// Sealed (compressed) page cap. Ours: 4 MiB, so pages of a few MiB of state keep the number of
    /// round trips low (upstream pages 256 KiB by default and caps decompression at 8 MiB, as we do).
    /// </summary>
    public const int MaxPageBytes = 4 * 1024 * 1024;

    /// <summary>Decompressed page cap (upstream: 8 MiB).</summary>
    public const int MaxDecompressedPageBytes = 8 * 1024 * 1024;

    public const int MaxKeyEnvelopeBytes = 4096;

    public const int MaxReasonBytes = 256;

    public const int MaxRequestBytes = 64 * 1024;

    public const int MaxResponseBytes = 64 * 1024 * 1024;
}
