using Mero.Network.Yamux;

namespace Mero.Network.RequestResponse;

/// <summary>How each message on a request/response stream is length-prefixed.</summary>
public enum FrameFormat
{
    /// <summary>uvarint length (libp2p's usual framing).</summary>
    Uvarint,

    /// <summary>4-byte big-endian length (upstream's <c>/calimero/stream</c> codec).</summary>
    U32BigEndian,
}

public sealed record RequestResponseOptions
{
    public FrameFormat Framing { get; init; } = FrameFormat.Uvarint;

    public int MaxRequestSize { get; init; } = 1024 * 1024;

    public int MaxResponseSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>From opening the stream to the full response, on either side.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Inbound requests handled at once; more are reset at once.</summary>
    public int MaxConcurrentInbound { get; init; } = 64;

    public void Validate()
    {
        YamuxOptions.Require(MaxRequestSize >= 1, nameof(MaxRequestSize), ">= 1");
        YamuxOptions.Require(MaxResponseSize >= 1, nameof(MaxResponseSize), ">= 1");
        YamuxOptions.Require(Timeout > TimeSpan.Zero, nameof(Timeout), "> 0");
        YamuxOptions.Require(MaxConcurrentInbound >= 1, nameof(MaxConcurrentInbound), ">= 1");
    }
}

/// <summary>Answers one request; throwing resets the stream (the requester sees an error).</summary>
public delegate Task<byte[]> RequestHandler(Mero.Network.Multiformats.PeerId peer, byte[] request, CancellationToken ct);
