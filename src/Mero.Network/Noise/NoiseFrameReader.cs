using System.Buffers.Binary;

namespace Mero.Network.Noise;

/// <summary>
/// Reads Noise frames (2-byte big-endian length ‖ body, at most 65535 bytes) from a transport
/// through one buffer that holds two whole frames, so a frame costs about one read call.
/// </summary>
internal sealed class NoiseFrameReader(Stream inner)
{
    public const int MaxFrameLength = ushort.MaxValue;

    private readonly byte[] _buffer = new byte[2 * (MaxFrameLength + 2)];
    private int _start;
    private int _end;

    /// <summary>
    /// The next frame's body, valid until the next call; null at a clean end of stream between
    /// frames. Throws <see cref="NoiseException"/> when the stream ends inside a frame.
    /// </summary>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadFrameAsync(CancellationToken ct)
    {
        if (!await FillAsync(2, ct).ConfigureAwait(false))
        {
            if (_end == _start)
            {
                return null;
            }

            throw new NoiseException("connection closed inside a frame length (truncated frame)");
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(_start));
        if (!await FillAsync(2 + length, ct).ConfigureAwait(false))
        {
            throw new NoiseException($"connection closed after {_end - _start - 2} of {length} frame bytes (truncated frame)");
        }

        var frame = _buffer.AsMemory(_start + 2, length);
        _start += 2 + length;
        return frame;
    }

    private async ValueTask<bool> FillAsync(int needed, CancellationToken ct)
    {
        while (_end - _start < needed)
        {
            if (_buffer.Length - _start < needed)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            var n = await inner.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            _end += n;
        }

        return true;
    }
}
