using Mero.Network.Multiformats;
using Mero.Network.Yamux;

namespace Mero.Network.Host;

/// <summary>A negotiated libp2p stream: a Yamux stream plus the connection and protocol it belongs to.</summary>
public sealed class Libp2pStream : Stream
{
    private readonly YamuxStream _inner;

    internal Libp2pStream(YamuxStream inner, Libp2pConnection connection, string protocol)
    {
        _inner = inner;
        Connection = connection;
        Protocol = protocol;
        inner.Protocol = protocol;
    }

    public Libp2pConnection Connection { get; }

    public PeerId RemotePeer => Connection.RemotePeer;

    public string Protocol { get; }

    public uint StreamId => _inner.Id;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inner.WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Half-closes (FIN): the peer reads end of stream; this side may still read.</summary>
    public Task CloseWriteAsync(CancellationToken ct) => _inner.CloseWriteAsync(ct);

    /// <summary>Aborts the stream in both directions.</summary>
    public void Reset() => _inner.Reset();

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

    public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    public override string ToString() => $"{Protocol} stream {StreamId} with {RemotePeer}";
}

/// <summary>Serves one inbound stream; the host disposes the stream when the handler returns.</summary>
public delegate Task Libp2pStreamHandler(Libp2pStream stream, CancellationToken ct);
