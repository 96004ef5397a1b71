using System.Buffers;
using System.Buffers.Binary;
using Mero.Network.Multiformats;

namespace Mero.Network.Framing;

/// <summary>
/// Message framing for request/response protocols: uvarint length ‖ bytes (libp2p's usual framing)
/// or 4-byte big-endian length ‖ bytes (upstream's <c>/calimero/stream</c> codec). Every read takes
/// a size limit and fails before allocating when the peer announces more.
/// </summary>
public static class LengthPrefixed
{
    public static async Task WriteAsync(Stream stream, ReadOnlyMemory<byte> message, CancellationToken ct)
    {
        var length = Varint.Length((ulong)message.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(length + message.Length);
        try
        {
            Varint.Write((ulong)message.Length, buffer);
            message.Span.CopyTo(buffer.AsSpan(length));
            await stream.WriteAsync(buffer.AsMemory(0, length + message.Length), ct).ConfigureAwait(false);
            await stream.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads one uvarint-prefixed message; null on a clean end of stream before it.</summary>
    public static async Task<byte[]?> ReadAsync(Stream stream, int maxLength, CancellationToken ct)
    {
        ulong? length;
        try
        {
            length = await Varint.ReadAsync(stream, ct).ConfigureAwait(false);
        }
        catch (FormatException ex)
        {
            throw new InvalidDataException("malformed message length: " + ex.Message, ex);
        }

        if (length is not { } n)
        {
            return null;
        }

        return await ReadBodyAsync(stream, n, maxLength, ct).ConfigureAwait(false);
    }

    public static async Task WriteU32Async(Stream stream, ReadOnlyMemory<byte> message, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4 + message.Length);
        try
        {
            BinaryPrimitives.WriteUInt32BigEndian(buffer, (uint)message.Length);
            message.Span.CopyTo(buffer.AsSpan(4));
            await stream.WriteAsync(buffer.AsMemory(0, 4 + message.Length), ct).ConfigureAwait(false);
            await stream.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads one message with a 4-byte big-endian length; null on a clean end of stream before it.</summary>
    public static async Task<byte[]?> ReadU32Async(Stream stream, int maxLength, CancellationToken ct)
    {
        var prefix = new byte[4];
        var got = await stream.ReadAtLeastAsync(prefix, 4, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        if (got == 0)
        {
            return null;
        }

        if (got < 4)
        {
            throw new EndOfStreamException("stream ended inside a message length");
        }

        return await ReadBodyAsync(stream, BinaryPrimitives.ReadUInt32BigEndian(prefix), maxLength, ct).ConfigureAwait(false);
    }

    private static async Task<byte[]> ReadBodyAsync(Stream stream, ulong length, int maxLength, CancellationToken ct)
    {
        if (length > (ulong)maxLength)
        {
            throw new InvalidDataException($"message of {length} bytes exceeds the limit of {maxLength}");
        }

        var body = new byte[(int)length];
        try
        {
            await stream.ReadExactlyAsync(body, ct).ConfigureAwait(false);
        }
        catch (EndOfStreamException)
        {
            throw new EndOfStreamException($"stream ended inside a message of {length} bytes");
        }

        return body;
    }
}
