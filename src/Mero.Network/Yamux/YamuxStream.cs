using System.Buffers;
using System.Threading.Channels;

namespace Mero.Network.Yamux;

/// <summary>
/// One Yamux stream as a <see cref="Stream"/>. Reads drain what the session delivered (never more
/// than the receive window) and hand window credit back as the reader consumes; writes complete
/// only once the peer's window admitted the bytes, so a slow reader slows the writer down.
/// One concurrent reader and one concurrent writer at most.
/// </summary>
public sealed class YamuxStream : Stream
{
    private readonly YamuxSession _session;
    private readonly int _creditThreshold;
    private Segment _current;
    private int _uncredited;
    private int _disposed;

    internal YamuxStream(YamuxSession session, uint id, bool outbound, uint sendWindow, int receiveWindow)
    {
        _session = session;
        Id = id;
        IsOutbound = outbound;
        SendWindow = sendWindow;
        ReceiveWindowLeft = (uint)receiveWindow;
        _creditThreshold = receiveWindow / 2;
    }

    public uint Id { get; }

    /// <summary>True when this side opened the stream.</summary>
    public bool IsOutbound { get; }

    /// <summary>The protocol negotiated on this stream, once known.</summary>
    public string? Protocol { get; internal set; }

    public YamuxSession Session => _session;

    // --- Owned by the session loop -------------------------------------------------------------
    internal readonly Channel<Segment> Incoming = Channel.CreateUnbounded<Segment>(new UnboundedChannelOptions { SingleWriter = true });
    internal uint SendWindow;
    internal uint ReceiveWindowLeft;
    internal bool LocalClosed;
    internal bool RemoteClosed;
    internal bool Removed;
    internal bool Discarding;
    internal bool CountsAsActivity = true;
    internal PendingWrite? Pending;
    internal long BlockedSince;
    internal long CloseDeadline;
    internal bool WaitingForTransport;
    internal uint DiscardCredit;

    /// <summary>Why the stream can no longer be used; set by the loop before it completes <see cref="Incoming"/>.</summary>
    internal volatile string? Failure;

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

        while (true)
        {
            if (Failure is { } failure)
            {
                throw new YamuxStreamResetException(Id, failure);
            }

            if (_current.Length > 0)
            {
                var n = Math.Min(buffer.Length, _current.Length);
                _current.Buffer.AsSpan(_current.Offset, n).CopyTo(buffer.Span);
                _current = _current with { Offset = _current.Offset + n, Length = _current.Length - n };
                if (_current.Length == 0)
                {
                    ArrayPool<byte>.Shared.Return(_current.Buffer);
                    _current = default;
                }

                _uncredited += n;
                if (_uncredited >= _creditThreshold)
                {
                    var credit = (uint)_uncredited;
                    _uncredited = 0;
                    await _session.PostAsync(new YamuxSession.CreditCommand(this, credit), cancellationToken).ConfigureAwait(false);
                }

                return n;
            }

            if (Incoming.Reader.TryRead(out var segment))
            {
                _current = segment;
                continue;
            }

            if (!await Incoming.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return Failure is { } reason ? throw new YamuxStreamResetException(Id, reason) : 0;
            }
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        if (Failure is { } failure)
        {
            throw new YamuxStreamResetException(Id, failure);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var write = new PendingWrite(buffer);
        await _session.PostAsync(new YamuxSession.WriteCommand(this, write), cancellationToken).ConfigureAwait(false);

        // The loop reads the caller's memory until it completes the write, so wait for it even
        // when cancelled: cancellation asks the loop to abandon the write (which resets the stream).
        await using (cancellationToken.Register(static state =>
        {
            var (session, stream, pending) = ((YamuxSession, YamuxStream, PendingWrite))state!;
            session.Post(new YamuxSession.CancelWriteCommand(stream, pending));
        }, (_session, this, write)).ConfigureAwait(false))
        {
            await write.Completion.Task.ConfigureAwait(false);
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Half-closes: sends FIN; the peer sees end of stream, this side can still read.</summary>
    public async Task CloseWriteAsync(CancellationToken ct)
    {
        var command = new YamuxSession.CloseWriteCommand(this);
        await _session.PostAsync(command, ct).ConfigureAwait(false);
        await command.Completion.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Aborts both directions (RST).</summary>
    public void Reset() => _session.Post(new YamuxSession.ResetCommand(this, "reset locally"));

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Closes this side (FIN); unread and later data is discarded, and the stream is reset if the peer does not close in time.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _session.Post(new YamuxSession.DisposeCommand(this, _uncredited));
            if (_current.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_current.Buffer);
                _current = default;
            }
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    public override string ToString() => $"yamux stream {Id} ({(IsOutbound ? "out" : "in")}{(Protocol is null ? "" : ", " + Protocol)})";
}

/// <summary>Bytes the session received for a stream: a pooled buffer the reader returns.</summary>
internal readonly record struct Segment(byte[] Buffer, int Offset, int Length);

/// <summary>A stream write in progress; the loop copies from <see cref="Data"/> until it is sent.</summary>
internal sealed class PendingWrite(ReadOnlyMemory<byte> data)
{
    public ReadOnlyMemory<byte> Data { get; } = data;

    public int Sent { get; set; }

    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>The stream was reset (by the peer, locally, by a timeout, or because its connection ended).</summary>
public sealed class YamuxStreamResetException(uint streamId, string reason) : IOException($"stream {streamId}: {reason}")
{
    public string Reason { get; } = reason;
}
