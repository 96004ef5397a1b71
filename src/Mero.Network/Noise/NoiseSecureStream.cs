using System.Buffers.Binary;
using Mero.Network.Multiformats;

namespace Mero.Network.Noise;

/// <summary>
/// The Noise transport phase as a <see cref="Stream"/>: every write is cut into frames of at most
/// 65519 plaintext bytes (65535 with the tag), written when the send buffer fills or on flush.
/// One reader and one writer may use it concurrently; not more.
/// </summary>
public sealed class NoiseSecureStream : Stream
{
    public const int MaxPlaintextLength = NoiseFrameReader.MaxFrameLength - CipherState.TagLength;

    private const int SendBufferFrames = 4;

    private readonly Stream _inner;
    private readonly NoiseFrameReader _reader;
    private readonly CipherState _send;
    private readonly CipherState _receive;

    private readonly byte[] _plain = new byte[MaxPlaintextLength];
    private int _plainOffset;
    private int _plainLength;

    private readonly byte[] _staging = new byte[MaxPlaintextLength];
    private int _stagingLength;
    private readonly byte[] _out = new byte[SendBufferFrames * (NoiseFrameReader.MaxFrameLength + 2)];
    private int _outLength;
    private int _disposed;

    internal NoiseSecureStream(Stream inner, NoiseFrameReader reader, CipherState send, CipherState receive, PeerId remotePeer)
    {
        _inner = inner;
        _reader = reader;
        _send = send;
        _receive = receive;
        RemotePeer = remotePeer;
    }

    /// <summary>The authenticated remote identity.</summary>
    public PeerId RemotePeer { get; }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (_plainOffset == _plainLength)
        {
            var frame = await _reader.ReadFrameAsync(cancellationToken).ConfigureAwait(false);
            if (frame is not { } ciphertext)
            {
                return 0;
            }

            var length = ciphertext.Length - CipherState.TagLength;
            if (length > 0 && buffer.Length >= length)
            {
                // Straight into the caller's buffer when the whole frame fits.
                return _receive.Decrypt([], ciphertext.Span, buffer.Span);
            }

            _plainLength = _receive.Decrypt([], ciphertext.Span, _plain);
            _plainOffset = 0;
        }

        var n = Math.Min(buffer.Length, _plainLength - _plainOffset);
        _plain.AsSpan(_plainOffset, n).CopyTo(buffer.Span);
        _plainOffset += n;
        return n;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            if (_stagingLength == 0 && buffer.Length >= MaxPlaintextLength)
            {
                await SealAsync(buffer.Span[..MaxPlaintextLength], cancellationToken).ConfigureAwait(false);
                buffer = buffer[MaxPlaintextLength..];
                continue;
            }

            var n = Math.Min(buffer.Length, MaxPlaintextLength - _stagingLength);
            buffer.Span[..n].CopyTo(_staging.AsSpan(_stagingLength));
            _stagingLength += n;
            buffer = buffer[n..];
            if (_stagingLength == MaxPlaintextLength)
            {
                await SealStagingAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_stagingLength > 0)
        {
            await SealStagingAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_outLength > 0)
        {
            await _inner.WriteAsync(_out.AsMemory(0, _outLength), cancellationToken).ConfigureAwait(false);
            _outLength = 0;
        }

        await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private ValueTask SealStagingAsync(CancellationToken ct)
    {
        var task = SealAsync(_staging.AsSpan(0, _stagingLength), ct);
        _stagingLength = 0;
        return task;
    }

    /// <summary>Encrypts one frame into the send buffer, first writing the buffer out if it is full.</summary>
    private ValueTask SealAsync(ReadOnlySpan<byte> plaintext, CancellationToken ct)
    {
        if (_out.Length - _outLength < plaintext.Length + CipherState.TagLength + 2)
        {
            // Rare path: the caller's span cannot cross an await, so copy it aside first.
            var copy = plaintext.ToArray();
            return WriteOutThenSealAsync(copy, ct);
        }

        Seal(plaintext);
        return ValueTask.CompletedTask;
    }

    private async ValueTask WriteOutThenSealAsync(byte[] plaintext, CancellationToken ct)
    {
        await _inner.WriteAsync(_out.AsMemory(0, _outLength), ct).ConfigureAwait(false);
        _outLength = 0;
        Seal(plaintext);
    }

    private void Seal(ReadOnlySpan<byte> plaintext)
    {
        var length = _send.Encrypt([], plaintext, _out.AsSpan(_outLength + 2));
        BinaryPrimitives.WriteUInt16BigEndian(_out.AsSpan(_outLength), (ushort)length);
        _outLength += 2 + length;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _inner.Dispose();
            _send.Dispose();
            _receive.Dispose();
        }

        base.Dispose(disposing);
    }
}
