namespace Mero.Network.Yamux;

/// <summary>Limits of one Yamux session. Defaults follow the spec and upstream's bounded config.</summary>
public sealed record YamuxOptions
{
    /// <summary>The window every stream starts with, fixed by the spec.</summary>
    public const int InitialStreamWindow = 256 * 1024;

    /// <summary>Open streams (both directions) before new inbound ones are reset and outbound ones refused.</summary>
    public int MaxStreams { get; init; } = 256;

    /// <summary>
    /// Bytes a stream may have unread from the peer. At least the spec's 256 KiB; more is announced to
    /// the peer in the SYN/ACK window update. Also the largest Data frame accepted.
    /// </summary>
    public int ReceiveWindow { get; init; } = InitialStreamWindow;

    /// <summary>Largest Data frame payload this side sends.</summary>
    public int MaxSendFrame { get; init; } = 64 * 1024;

    /// <summary>Inbound streams waiting to be accepted before further ones are reset.</summary>
    public int AcceptBacklog { get; init; } = 64;

    /// <summary>Inbound streams reset for exceeding a limit before the whole connection is dropped as a flood.</summary>
    public int MaxRefusedStreams { get; init; } = 64;

    /// <summary>Frame bytes queued for the transport before stream writes wait (back-pressure toward writers).</summary>
    public int MaxQueuedBytes { get; init; } = 1024 * 1024;

    /// <summary>Queued bytes beyond which the peer is judged not to read (it keeps making us answer) and is dropped.</summary>
    public int MaxQueuedBytesHardLimit { get; init; } = 8 * 1024 * 1024;

    /// <summary>Inbound frame bytes read but not yet processed before the reader pauses.</summary>
    public int MaxInboundPendingBytes { get; init; } = 1024 * 1024;

    /// <summary>A stream write that gets no send window for this long resets the stream (the peer stopped reading it).</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A transport write that does not complete within this long drops the connection.</summary>
    public TimeSpan TransportWriteTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>After a local close, how long to wait for the peer's FIN before resetting the stream.</summary>
    public TimeSpan StreamCloseTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often timeouts are checked.</summary>
    public TimeSpan TimerResolution { get; init; } = TimeSpan.FromMilliseconds(250);

    public void Validate()
    {
        Require(MaxStreams is >= 1 and <= 65536, nameof(MaxStreams), "1..65536");
        Require(ReceiveWindow is >= InitialStreamWindow and <= 64 * 1024 * 1024, nameof(ReceiveWindow), "256 KiB..64 MiB");
        Require(MaxSendFrame is >= 1024 and <= 1024 * 1024, nameof(MaxSendFrame), "1 KiB..1 MiB");
        Require(AcceptBacklog is >= 1 and <= 65536, nameof(AcceptBacklog), "1..65536");
        Require(MaxRefusedStreams >= 0, nameof(MaxRefusedStreams), ">= 0");
        Require(MaxQueuedBytes >= MaxSendFrame, nameof(MaxQueuedBytes), ">= MaxSendFrame");
        Require(MaxQueuedBytesHardLimit > MaxQueuedBytes, nameof(MaxQueuedBytesHardLimit), "> MaxQueuedBytes");
        Require(MaxInboundPendingBytes >= 64 * 1024, nameof(MaxInboundPendingBytes), ">= 64 KiB");
        Require(WriteTimeout > TimeSpan.Zero, nameof(WriteTimeout), "> 0");
        Require(TransportWriteTimeout > TimeSpan.Zero, nameof(TransportWriteTimeout), "> 0");
        Require(StreamCloseTimeout > TimeSpan.Zero, nameof(StreamCloseTimeout), "> 0");
        Require(TimerResolution > TimeSpan.Zero, nameof(TimerResolution), "> 0");
    }

    internal static void Require(bool condition, string name, string range)
    {
        if (!condition)
        {
            throw new ArgumentOutOfRangeException(name, $"{name} must be {range}");
        }
    }
}
