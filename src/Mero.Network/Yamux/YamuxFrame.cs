using System.Buffers.Binary;

namespace Mero.Network.Yamux;

internal enum YamuxFrameType : byte
{
    Data = 0,
    WindowUpdate = 1,
    Ping = 2,
    GoAway = 3,
}

[Flags]
internal enum YamuxFlags : ushort
{
    None = 0,
    Syn = 1,
    Ack = 2,
    Fin = 4,
    Rst = 8,
}

internal enum YamuxGoAwayCode : uint
{
    Normal = 0,
    ProtocolError = 1,
    InternalError = 2,
}

/// <summary>
/// The 12-byte Yamux header, all big-endian: version (0), type, flags, stream id, length (payload
/// bytes for Data; window delta, ping value or GoAway code otherwise).
/// </summary>
internal readonly record struct YamuxHeader(YamuxFrameType Type, YamuxFlags Flags, uint StreamId, uint Length)
{
    public const int Size = 12;

    public void Write(Span<byte> destination)
    {
        destination[0] = 0;
        destination[1] = (byte)Type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)Flags);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], StreamId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], Length);
    }

    /// <summary>Parses a header; null with a reason for an unknown version or type.</summary>
    public static YamuxHeader? Parse(ReadOnlySpan<byte> source, out string? error)
    {
        error = null;
        if (source[0] != 0)
        {
            error = $"unsupported yamux version {source[0]}";
            return null;
        }

        if (source[1] > (byte)YamuxFrameType.GoAway)
        {
            error = $"unknown yamux frame type {source[1]}";
            return null;
        }

        return new YamuxHeader(
            (YamuxFrameType)source[1],
            (YamuxFlags)BinaryPrimitives.ReadUInt16BigEndian(source[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[8..]));
    }

    public override string ToString() => $"{Type} flags={Flags} stream={StreamId} length={Length}";
}
