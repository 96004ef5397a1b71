using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Mero.Network.Yamux;

/// <summary>
/// A Yamux session (<c>/yamux/1.0.0</c>) over a secure transport. All session state (streams,
/// windows, limits) belongs to one loop fed by one mailbox; a reader task turns transport bytes
/// into frames for the mailbox and a writer task drains an outbox of encoded frames. Nothing the
/// peer sends can make this side buffer without bound: data is admitted only within the windows
/// this side granted, inbound frames in flight are capped, answers to a peer that does not read
/// are capped, and stream writes wait for the peer's window.
/// </summary>
public sealed partial class YamuxSession : IAsyncDisposable
{
    public const string ProtocolId = "/yamux/1.0.0";

    private const int WriterBatchBytes = 256 * 1024;

    private readonly Stream _transport;
    private readonly bool _isClient;
    private readonly YamuxOptions _options;
    private readonly ILogger _logger;
    private readonly string _label;

    private readonly Channel<Command> _mailbox = Channel.CreateBounded<Command>(new BoundedChannelOptions(1024) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Channel<OutFrame> _outbox = Channel.CreateUnbounded<OutFrame>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Channel<YamuxStream> _accept;
    private readonly Channel<bool> _readerWake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Loop-owned state.
    private readonly Dictionary<uint, YamuxStream> _streams = [];
    private readonly List<YamuxStream> _waitingForTransport = [];
    private uint _nextStreamId;
    private int _refusedStreams;
    private bool _remoteGoAway;
    private bool _stopping;
    private uint _lastRemoteStreamId;

    // Shared with the reader and writer tasks (Interlocked / Volatile only).
    private long _queuedBytes;
    private long _inboundPending;
    private int _readerWaiting;
    private int _streamCount;
    private int _activeStreamCount;
    private long _lastActivity = Stopwatch.GetTimestamp();
    private string? _closeReason;

    private Task? _loop;

    public YamuxSession(Stream transport, bool isClient, YamuxOptions options, ILogger logger, string label)
    {
        options.Validate();
        _transport = transport;
        _isClient = isClient;
        _options = options;
        _logger = logger;
        _label = label;
        _nextStreamId = isClient ? 1u : 2u;
        _accept = Channel.CreateBounded<YamuxStream>(new BoundedChannelOptions(options.AcceptBacklog) { FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>Streams the peer opened, in order. Completes when the session ends.</summary>
    public ChannelReader<YamuxStream> InboundStreams => _accept.Reader;

    /// <summary>Completes with the close reason when the session has ended.</summary>
    public Task<string> Completion => _closed.Task;

    public string? CloseReason => Volatile.Read(ref _closeReason);

    public bool IsClosed => _closed.Task.IsCompleted;

    /// <summary>Open streams in both directions.</summary>
    public int StreamCount => Volatile.Read(ref _streamCount);

    /// <summary>Open streams that count as activity (all but internal keep-alive streams).</summary>
    public int ActiveStreamCount => Volatile.Read(ref _activeStreamCount);

    /// <summary>How long the session has had no active stream (zero while it has one).</summary>
    public TimeSpan IdleFor => ActiveStreamCount > 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(Volatile.Read(ref _lastActivity));

    public void Start()
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("session already started");
        }

        _loop = Task.Run(RunLoopAsync);
        _ = Task.Run(RunReaderAsync);
        _ = Task.Run(RunWriterAsync);
        _ = Task.Run(RunTimerAsync);
    }

    public async Task<YamuxStream> OpenStreamAsync(CancellationToken ct) => await OpenStreamAsync(countsAsActivity: true, ct).ConfigureAwait(false);

    internal async Task<YamuxStream> OpenStreamAsync(bool countsAsActivity, CancellationToken ct)
    {
        var command = new OpenCommand(countsAsActivity);
        await PostAsync(command, ct).ConfigureAwait(false);
        return await command.Completion.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Sends GoAway and closes the connection.</summary>
    public async Task CloseAsync(string reason, CancellationToken ct)
    {
        Post(new CloseCommand(reason, YamuxGoAwayCode.Normal, false));
        await _closed.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        Post(new CloseCommand("disposed", YamuxGoAwayCode.Normal, false));
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }
        else
        {
            await _transport.DisposeAsync().ConfigureAwait(false);
        }

        // _stop is cancelled by the shutdown and not disposed: background tasks may still read its token.
    }

    internal async ValueTask PostAsync(Command command, CancellationToken ct)
    {
        if (_mailbox.Writer.TryWrite(command))
        {
            return;
        }

        try
        {
            await _mailbox.Writer.WriteAsync(command, ct).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new YamuxSessionClosedException(CloseReason ?? "session closed");
        }
    }

    /// <summary>Posts without waiting; used from callbacks and Dispose. Dropped once the session is closed.</summary>
    internal void Post(Command command)
    {
        if (!_mailbox.Writer.TryWrite(command))
        {
            _ = PostLaterAsync(command);
        }
    }

    private async Task PostLaterAsync(Command command)
    {
        try
        {
            await _mailbox.Writer.WriteAsync(command, CancellationToken.None).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            command.Abandon(CloseReason ?? "session closed");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The loop
    // ---------------------------------------------------------------------------------------------

    private async Task RunLoopAsync()
    {
        var reason = "session closed";
        try
        {
            while (!_stopping && await _mailbox.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (!_stopping && _mailbox.Reader.TryRead(out var command))
                {
                    try
                    {
                        Handle(command);
                    }
                    catch (SessionFailure failure)
                    {
                        Fail(failure.Message, failure.Code, failure.Offender);
                    }
                }
            }

            reason = _closeReason ?? reason;
        }
        catch (Exception ex)
        {
            reason = "internal error: " + ex.Message;
            LogInternalError(_logger, _label, ex);
            Fail(reason, YamuxGoAwayCode.InternalError, offender: false);
        }
        finally
        {
            await ShutdownAsync(reason).ConfigureAwait(false);
        }
    }

    private void Handle(Command command)
    {
        switch (command)
        {
            case FrameCommand frame:
                if (frame.Payload is not null)
                {
                    Interlocked.Add(ref _inboundPending, -(long)frame.Header.Length);
                    WakeReaderIfNeeded();
                }

                HandleFrame(frame.Header, frame.Payload);
                break;
            case OpenCommand open:
                HandleOpen(open);
                break;
            case WriteCommand write:
                HandleWrite(write.Stream, write.Write);
                break;
            case CancelWriteCommand cancel:
                if (cancel.Stream.Pending == cancel.Write)
                {
                    // Part of the write may be out already: the stream cannot continue, so reset it.
                    cancel.Stream.Pending = null;
                    cancel.Write.Completion.TrySetCanceled();
                    ResetStream(cancel.Stream, "write cancelled", sendRst: true);
                }

                break;
            case CreditCommand credit:
                HandleCredit(credit.Stream, credit.Bytes);
                break;
            case CloseWriteCommand close:
                HandleCloseWrite(close.Stream);
                close.Completion.TrySetResult();
                break;
            case ResetCommand reset:
                if (!reset.Stream.Removed)
                {
                    ResetStream(reset.Stream, reset.Reason, sendRst: true);
                }

                break;
            case DisposeCommand dispose:
                HandleDispose(dispose.Stream, dispose.Uncredited);
                break;
            case TransportDrainedCommand:
                HandleTransportDrained();
                break;
            case TickCommand:
                HandleTick();
                break;
            case CloseCommand close:
                Fail(close.Reason, close.Code, close.Offender);
                break;
        }
    }

    private void HandleFrame(YamuxHeader header, byte[]? payload)
    {
        switch (header.Type)
        {
            case YamuxFrameType.Ping:
                if (header.Flags.HasFlag(YamuxFlags.Syn))
                {
                    SendControl(new YamuxHeader(YamuxFrameType.Ping, YamuxFlags.Ack, 0, header.Length));
                }

                return;
            case YamuxFrameType.GoAway:
                _remoteGoAway = true;
                if (header.Length != (uint)YamuxGoAwayCode.Normal)
                {
                    LogRemoteGoAway(_logger, _label, header.Length);
                }

                if (_streams.Count == 0)
                {
                    Fail("peer sent GoAway", YamuxGoAwayCode.Normal, offender: false);
                }

                return;
        }

        var id = header.StreamId;
        YamuxStream? stream;
        if (header.Flags.HasFlag(YamuxFlags.Syn))
        {
            stream = AcceptSyn(id);
            if (stream is null)
            {
                ReturnPayload(payload);
                return;
            }
        }
        else if (!_streams.TryGetValue(id, out stream))
        {
            // A frame for a stream already gone (reset or closed here): nothing to do.
            ReturnPayload(payload);
            return;
        }

        if (header.Type == YamuxFrameType.WindowUpdate)
        {
            var window = (ulong)stream.SendWindow + header.Length;
            if (window > uint.MaxValue)
            {
                throw new SessionFailure($"stream {id}: window update overflows the send window", YamuxGoAwayCode.ProtocolError);
            }

            stream.SendWindow = (uint)window;
            if (stream.Pending is not null)
            {
                Progress(stream);
            }
        }
        else if (header.Length > 0)
        {
            if (stream.RemoteClosed)
            {
                ReturnPayload(payload);
                throw new SessionFailure($"stream {id}: peer sent data after its FIN", YamuxGoAwayCode.ProtocolError);
            }

            if (header.Length > stream.ReceiveWindowLeft)
            {
                ReturnPayload(payload);
                throw new SessionFailure($"stream {id}: peer sent {header.Length} bytes with only {stream.ReceiveWindowLeft} bytes of receive window left", YamuxGoAwayCode.ProtocolError);
            }

            stream.ReceiveWindowLeft -= header.Length;
            if (stream.Discarding)
            {
                ReturnPayload(payload);
                stream.DiscardCredit += header.Length;
                if (stream.DiscardCredit >= YamuxOptions.InitialStreamWindow / 2)
                {
                    HandleCredit(stream, stream.DiscardCredit);
                    stream.DiscardCredit = 0;
                }
            }
            else
            {
                stream.Incoming.Writer.TryWrite(new Segment(payload!, 0, (int)header.Length));
            }
        }

        if (header.Flags.HasFlag(YamuxFlags.Rst))
        {
            ResetStream(stream, "reset by peer", sendRst: false);
            return;
        }

        if (header.Flags.HasFlag(YamuxFlags.Fin) && !stream.RemoteClosed)
        {
            stream.RemoteClosed = true;
            stream.Incoming.Writer.TryComplete();
            if (stream.LocalClosed)
            {
                Remove(stream);
            }
        }
    }

    private YamuxStream? AcceptSyn(uint id)
    {
        var remoteParity = _isClient ? 0u : 1u;
        if (id == 0 || id % 2 != remoteParity)
        {
            throw new SessionFailure($"peer opened stream {id} with this side's parity", YamuxGoAwayCode.ProtocolError);
        }

        if (_streams.ContainsKey(id) || id <= _lastRemoteStreamId)
        {
            throw new SessionFailure($"peer reused stream id {id}", YamuxGoAwayCode.ProtocolError);
        }

        _lastRemoteStreamId = id;
        if (_stopping)
        {
            SendControl(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Rst, id, 0));
            return null;
        }

        if (_streams.Count >= _options.MaxStreams)
        {
            Refuse(id, $"{_streams.Count} streams open (limit {_options.MaxStreams})");
            return null;
        }

        var stream = new YamuxStream(this, id, outbound: false, YamuxOptions.InitialStreamWindow, _options.ReceiveWindow);
        if (!_accept.Writer.TryWrite(stream))
        {
            Refuse(id, $"{_options.AcceptBacklog} streams already wait to be accepted");
            return null;
        }

        Add(stream);
        SendControl(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Ack, id, (uint)(_options.ReceiveWindow - YamuxOptions.InitialStreamWindow)));
        return stream;
    }

    private void Refuse(uint id, string why)
    {
        _refusedStreams++;
        SendControl(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Rst, id, 0));
        LogStreamRefused(_logger, _label, id, why);
        if (_refusedStreams > _options.MaxRefusedStreams)
        {
            throw new SessionFailure($"stream flood: {_refusedStreams} streams refused ({why})", YamuxGoAwayCode.ProtocolError);
        }
    }

    private void HandleOpen(OpenCommand open)
    {
        if (_remoteGoAway)
        {
            open.Completion.TrySetException(new YamuxSessionClosedException("peer sent GoAway"));
            return;
        }

        if (_streams.Count >= _options.MaxStreams)
        {
            open.Completion.TrySetException(new IOException($"{_streams.Count} streams open on this connection (limit {_options.MaxStreams})"));
            return;
        }

        if (_nextStreamId > uint.MaxValue - 2)
        {
            open.Completion.TrySetException(new YamuxSessionClosedException("stream ids exhausted"));
            return;
        }

        var stream = new YamuxStream(this, _nextStreamId, outbound: true, YamuxOptions.InitialStreamWindow, _options.ReceiveWindow)
        {
            CountsAsActivity = open.CountsAsActivity,
        };
        _nextStreamId += 2;
        Add(stream);
        SendControl(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, stream.Id, (uint)(_options.ReceiveWindow - YamuxOptions.InitialStreamWindow)));
        open.Completion.TrySetResult(stream);
    }

    private void HandleWrite(YamuxStream stream, PendingWrite write)
    {
        if (stream.Failure is { } failure)
        {
            write.Completion.TrySetException(new YamuxStreamResetException(stream.Id, failure));
            return;
        }

        if (stream.LocalClosed)
        {
            write.Completion.TrySetException(new YamuxStreamResetException(stream.Id, "write after close"));
            return;
        }

        if (stream.Pending is not null)
        {
            write.Completion.TrySetException(new InvalidOperationException("concurrent writes on one stream"));
            return;
        }

        stream.Pending = write;
        stream.BlockedSince = 0;
        Progress(stream);
    }

    /// <summary>Sends as much of the stream's pending write as its window and the transport queue allow.</summary>
    private void Progress(YamuxStream stream)
    {
        while (stream.Pending is { } write)
        {
            if (stream.SendWindow == 0)
            {
                if (stream.BlockedSince == 0)
                {
                    stream.BlockedSince = Stopwatch.GetTimestamp();
                }

                return;
            }

            if (Interlocked.Read(ref _queuedBytes) >= _options.MaxQueuedBytes)
            {
                if (!stream.WaitingForTransport)
                {
                    stream.WaitingForTransport = true;
                    _waitingForTransport.Add(stream);
                }

                return;
            }

            stream.BlockedSince = 0;
            var remaining = write.Data.Length - write.Sent;
            var n = (int)Math.Min((uint)Math.Min(remaining, _options.MaxSendFrame), stream.SendWindow);
            var buffer = ArrayPool<byte>.Shared.Rent(YamuxHeader.Size + n);
            new YamuxHeader(YamuxFrameType.Data, YamuxFlags.None, stream.Id, (uint)n).Write(buffer);
            write.Data.Span.Slice(write.Sent, n).CopyTo(buffer.AsSpan(YamuxHeader.Size));
            Enqueue(new OutFrame(buffer, YamuxHeader.Size + n));
            stream.SendWindow -= (uint)n;
            write.Sent += n;
            if (write.Sent == write.Data.Length)
            {
                stream.Pending = null;
                write.Completion.TrySetResult();
            }
        }
    }

    private void HandleTransportDrained()
    {
        if (_waitingForTransport.Count == 0)
        {
            return;
        }

        var waiting = _waitingForTransport.ToArray();
        _waitingForTransport.Clear();
        foreach (var stream in waiting)
        {
            stream.WaitingForTransport = false;
            if (!stream.Removed)
            {
                Progress(stream);
            }
        }
    }

    private void HandleCredit(YamuxStream stream, uint bytes)
    {
        if (stream.Removed || stream.RemoteClosed || bytes == 0)
        {
            return;
        }

        stream.ReceiveWindowLeft += bytes;
        SendControl(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.None, stream.Id, bytes));
    }

    private void HandleCloseWrite(YamuxStream stream)
    {
        if (stream.Removed || stream.LocalClosed)
        {
            return;
        }

        stream.LocalClosed = true;
        SendControl(new YamuxHeader(YamuxFrameType.Data, YamuxFlags.Fin, stream.Id, 0));
        if (stream.RemoteClosed)
        {
            Remove(stream);
        }
    }

    private void HandleDispose(YamuxStream stream, int uncredited)
    {
        if (stream.Removed)
        {
            return;
        }

        if (stream.Pending is { } write)
        {
            stream.Pending = null;
            write.Completion.TrySetException(new ObjectDisposedException(stream.ToString()));
        }

        HandleCloseWrite(stream);
        if (stream.Removed)
        {
            return;
        }

        // The peer is still sending: drop what it sends, keep its window open, and give it until
        // the close timeout to finish before resetting.
        stream.Discarding = true;
        stream.CloseDeadline = Stopwatch.GetTimestamp() + (long)(_options.StreamCloseTimeout.TotalSeconds * Stopwatch.Frequency);
        var credit = (uint)uncredited;
        while (stream.Incoming.Reader.TryRead(out var segment))
        {
            credit += (uint)segment.Length;
            ArrayPool<byte>.Shared.Return(segment.Buffer);
        }

        HandleCredit(stream, credit);
    }

    private void HandleTick()
    {
        var now = Stopwatch.GetTimestamp();
        var writeTimeout = (long)(_options.WriteTimeout.TotalSeconds * Stopwatch.Frequency);
        List<(YamuxStream Stream, string Reason)>? expired = null;
        foreach (var stream in _streams.Values)
        {
            if (stream.Pending is not null && stream.BlockedSince != 0 && now - stream.BlockedSince > writeTimeout)
            {
                (expired ??= []).Add((stream, $"peer stopped reading: no send window for {_options.WriteTimeout.TotalSeconds:0.###} s"));
            }
            else if (stream.Discarding && now > stream.CloseDeadline)
            {
                (expired ??= []).Add((stream, $"peer did not close within {_options.StreamCloseTimeout.TotalSeconds:0.###} s"));
            }
        }

        foreach (var (stream, reason) in expired ?? [])
        {
            LogStreamTimedOut(_logger, _label, stream.Id, reason);
            ResetStream(stream, reason, sendRst: true);
        }
    }

    private void ResetStream(YamuxStream stream, string reason, bool sendRst)
    {
        if (stream.Removed)
        {
            return;
        }

        if (sendRst)
        {
            SendControl(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Rst, stream.Id, 0));
        }

        stream.Failure = reason;
        stream.Incoming.Writer.TryComplete();
        if (stream.Pending is { } write)
        {
            stream.Pending = null;
            write.Completion.TrySetException(new YamuxStreamResetException(stream.Id, reason));
        }

        Remove(stream);
    }

    private void Add(YamuxStream stream)
    {
        _streams.Add(stream.Id, stream);
        Volatile.Write(ref _streamCount, _streams.Count);
        if (stream.CountsAsActivity)
        {
            Interlocked.Increment(ref _activeStreamCount);
        }
    }

    private void Remove(YamuxStream stream)
    {
        if (stream.Removed)
        {
            return;
        }

        stream.Removed = true;
        _streams.Remove(stream.Id);
        Volatile.Write(ref _streamCount, _streams.Count);
        if (stream.CountsAsActivity)
        {
            Interlocked.Decrement(ref _activeStreamCount);
            Volatile.Write(ref _lastActivity, Stopwatch.GetTimestamp());
        }

        if (_remoteGoAway && _streams.Count == 0)
        {
            Fail("peer sent GoAway and all streams are closed", YamuxGoAwayCode.Normal, offender: false);
        }
    }

    private void SendControl(YamuxHeader header)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(YamuxHeader.Size);
        header.Write(buffer);
        Enqueue(new OutFrame(buffer, YamuxHeader.Size));
        if (Interlocked.Read(ref _queuedBytes) > _options.MaxQueuedBytesHardLimit)
        {
            throw new SessionFailure($"peer does not read: {Interlocked.Read(ref _queuedBytes)} bytes queued for it (limit {_options.MaxQueuedBytesHardLimit})", YamuxGoAwayCode.ProtocolError);
        }
    }

    private void Enqueue(OutFrame frame)
    {
        Interlocked.Add(ref _queuedBytes, frame.Length);
        if (!_outbox.Writer.TryWrite(frame))
        {
            ArrayPool<byte>.Shared.Return(frame.Buffer);
            Interlocked.Add(ref _queuedBytes, -frame.Length);
        }
    }

    /// <summary>Ends the session: the GoAway goes out (if the transport still moves), everything else fails.</summary>
    private void Fail(string reason, YamuxGoAwayCode code, bool offender)
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        Volatile.Write(ref _closeReason, reason);
        if (offender || code != YamuxGoAwayCode.Normal)
        {
            LogDropped(_logger, _label, reason);
        }
        else
        {
            LogClosed(_logger, _label, reason);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(YamuxHeader.Size);
        new YamuxHeader(YamuxFrameType.GoAway, YamuxFlags.None, 0, (uint)code).Write(buffer);
        Enqueue(new OutFrame(buffer, YamuxHeader.Size));
        _outbox.Writer.TryComplete();
    }

    private async Task ShutdownAsync(string reason)
    {
        _stopping = true;
        Volatile.Write(ref _closeReason, _closeReason ?? reason);
        _mailbox.Writer.TryComplete();
        _outbox.Writer.TryComplete();
        _accept.Writer.TryComplete();

        foreach (var stream in _streams.Values.ToArray())
        {
            // A stream the peer finished keeps what it received; any other fails.
            var failure = "connection closed: " + _closeReason;
            if (!stream.RemoteClosed)
            {
                stream.Failure = failure;
            }

            stream.Incoming.Writer.TryComplete();
            if (stream.Pending is { } write)
            {
                stream.Pending = null;
                write.Completion.TrySetException(new YamuxStreamResetException(stream.Id, failure));
            }

            stream.Removed = true;
        }

        _streams.Clear();
        Volatile.Write(ref _streamCount, 0);
        Volatile.Write(ref _activeStreamCount, 0);

        while (_mailbox.Reader.TryRead(out var command))
        {
            command.Abandon(_closeReason!);
        }

        // Give the writer a moment to flush the GoAway, then cut the transport (which ends the reader).
        try
        {
            await Task.WhenAny(_writerDone.Task, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        }
        finally
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await _transport.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
            }

            while (_accept.Reader.TryRead(out var unaccepted))
            {
                unaccepted.Failure = "connection closed: " + _closeReason;
            }

            _closed.TrySetResult(_closeReason!);
        }
    }

    private readonly TaskCompletionSource _writerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // ---------------------------------------------------------------------------------------------
    // Reader, writer, timer
    // ---------------------------------------------------------------------------------------------

    private async Task RunReaderAsync()
    {
        var header = new byte[YamuxHeader.Size];
        var ct = _stop.Token;
        try
        {
            while (true)
            {
                var got = await _transport.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
                if (got == 0)
                {
                    Post(new CloseCommand("connection closed by peer", YamuxGoAwayCode.Normal, false));
                    return;
                }

                if (got < header.Length)
                {
                    Post(new CloseCommand($"connection closed inside a frame header ({got} of 12 bytes)", YamuxGoAwayCode.ProtocolError, true));
                    return;
                }

                if (YamuxHeader.Parse(header, out var error) is not { } parsed)
                {
                    Post(new CloseCommand(error!, YamuxGoAwayCode.ProtocolError, true));
                    return;
                }

                byte[]? payload = null;
                if (parsed.Type == YamuxFrameType.Data && parsed.Length > 0)
                {
                    if (parsed.Length > (uint)_options.ReceiveWindow)
                    {
                        Post(new CloseCommand($"data frame of {parsed.Length} bytes exceeds the receive window of {_options.ReceiveWindow}", YamuxGoAwayCode.ProtocolError, true));
                        return;
                    }

                    while (Interlocked.Read(ref _inboundPending) > _options.MaxInboundPendingBytes)
                    {
                        Volatile.Write(ref _readerWaiting, 1);
                        if (Interlocked.Read(ref _inboundPending) <= _options.MaxInboundPendingBytes)
                        {
                            break;
                        }

                        await _readerWake.Reader.ReadAsync(ct).ConfigureAwait(false);
                    }

                    payload = ArrayPool<byte>.Shared.Rent((int)parsed.Length);
                    var read = await _transport.ReadAtLeastAsync(payload.AsMemory(0, (int)parsed.Length), (int)parsed.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
                    if (read < parsed.Length)
                    {
                        ArrayPool<byte>.Shared.Return(payload);
                        Post(new CloseCommand($"connection closed inside a data frame ({read} of {parsed.Length} bytes)", YamuxGoAwayCode.ProtocolError, true));
                        return;
                    }

                    Interlocked.Add(ref _inboundPending, parsed.Length);
                }

                await _mailbox.Writer.WriteAsync(new FrameCommand(parsed, payload), ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException or ObjectDisposedException)
        {
        }
        catch (Exception ex)
        {
            Post(new CloseCommand("read failed: " + ex.Message, YamuxGoAwayCode.ProtocolError, ex is Noise.NoiseException));
        }
    }

    private void WakeReaderIfNeeded()
    {
        if (Volatile.Read(ref _readerWaiting) == 1 && Interlocked.Read(ref _inboundPending) <= _options.MaxInboundPendingBytes)
        {
            Volatile.Write(ref _readerWaiting, 0);
            _readerWake.Writer.TryWrite(true);
        }
    }

    private async Task RunWriterAsync()
    {
        var stalled = false;
        try
        {
            while (await _outbox.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                // One timeout per batch: a peer that stops reading its socket stalls the batch.
                using var batchTimeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                batchTimeout.CancelAfter(_options.TransportWriteTimeout);
                try
                {
                    var batch = 0;
                    while (batch < WriterBatchBytes && _outbox.Reader.TryRead(out var frame))
                    {
                        try
                        {
                            await _transport.WriteAsync(frame.Buffer.AsMemory(0, frame.Length), batchTimeout.Token).ConfigureAwait(false);
                        }
                        finally
                        {
                            ArrayPool<byte>.Shared.Return(frame.Buffer);
                            Interlocked.Add(ref _queuedBytes, -frame.Length);
                        }

                        batch += frame.Length;
                    }

                    await _transport.FlushAsync(batchTimeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
                {
                    stalled = true;
                    throw;
                }

                if (Interlocked.Read(ref _queuedBytes) < _options.MaxQueuedBytes)
                {
                    Post(TransportDrainedCommand.Instance);
                }
            }
        }
        catch (OperationCanceledException) when (stalled)
        {
            Post(new CloseCommand($"peer does not read: a transport write made no progress for {_options.TransportWriteTimeout.TotalSeconds:0.###} s", YamuxGoAwayCode.ProtocolError, true));
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException or ObjectDisposedException)
        {
        }
        catch (Exception ex)
        {
            Post(new CloseCommand("write failed: " + ex.Message, YamuxGoAwayCode.InternalError, false));
        }
        finally
        {
            while (_outbox.Reader.TryRead(out var frame))
            {
                ArrayPool<byte>.Shared.Return(frame.Buffer);
            }

            _writerDone.TrySetResult();
        }
    }

    private async Task RunTimerAsync()
    {
        using var timer = new PeriodicTimer(_options.TimerResolution);
        var stop = _stop.Token;
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                if (!_mailbox.Writer.TryWrite(TickCommand.Instance) && _mailbox.Reader.Completion.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static void ReturnPayload(byte[]? payload)
    {
        if (payload is not null)
        {
            ArrayPool<byte>.Shared.Return(payload);
        }
    }

    public override string ToString() => $"yamux {_label}";

    // ---------------------------------------------------------------------------------------------
    // Messages
    // ---------------------------------------------------------------------------------------------

    internal abstract class Command
    {
        /// <summary>Fails whatever waits on the command after the session closed.</summary>
        public virtual void Abandon(string reason)
        {
        }
    }

    private sealed class FrameCommand(YamuxHeader header, byte[]? payload) : Command
    {
        public YamuxHeader Header { get; } = header;

        public byte[]? Payload { get; } = payload;

        public override void Abandon(string reason) => ReturnPayload(Payload);
    }

    private sealed class OpenCommand(bool countsAsActivity) : Command
    {
        public bool CountsAsActivity { get; } = countsAsActivity;

        public TaskCompletionSource<YamuxStream> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Abandon(string reason) => Completion.TrySetException(new YamuxSessionClosedException(reason));
    }

    internal sealed class WriteCommand(YamuxStream stream, PendingWrite write) : Command
    {
        public YamuxStream Stream { get; } = stream;

        public PendingWrite Write { get; } = write;

        public override void Abandon(string reason) => Write.Completion.TrySetException(new YamuxStreamResetException(Stream.Id, "connection closed: " + reason));
    }

    internal sealed class CancelWriteCommand(YamuxStream stream, PendingWrite write) : Command
    {
        public YamuxStream Stream { get; } = stream;

        public PendingWrite Write { get; } = write;

        public override void Abandon(string reason) => Write.Completion.TrySetCanceled();
    }

    internal sealed class CreditCommand(YamuxStream stream, uint bytes) : Command
    {
        public YamuxStream Stream { get; } = stream;

        public uint Bytes { get; } = bytes;
    }

    internal sealed class CloseWriteCommand(YamuxStream stream) : Command
    {
        public YamuxStream Stream { get; } = stream;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Abandon(string reason) => Completion.TrySetException(new YamuxStreamResetException(Stream.Id, "connection closed: " + reason));
    }

    internal sealed class ResetCommand(YamuxStream stream, string reason) : Command
    {
        public YamuxStream Stream { get; } = stream;

        public string Reason { get; } = reason;
    }

    internal sealed class DisposeCommand(YamuxStream stream, int uncredited) : Command
    {
        public YamuxStream Stream { get; } = stream;

        public int Uncredited { get; } = uncredited;
    }

    private sealed class TransportDrainedCommand : Command
    {
        public static readonly TransportDrainedCommand Instance = new();
    }

    private sealed class TickCommand : Command
    {
        public static readonly TickCommand Instance = new();
    }

    private sealed class CloseCommand(string reason, YamuxGoAwayCode code, bool offender) : Command
    {
        public string Reason { get; } = reason;

        public YamuxGoAwayCode Code { get; } = code;

        public bool Offender { get; } = offender;
    }

    private readonly record struct OutFrame(byte[] Buffer, int Length);

    private sealed class SessionFailure(string message, YamuxGoAwayCode code, bool offender = true) : Exception(message)
    {
        public YamuxGoAwayCode Code { get; } = code;

        public bool Offender { get; } = offender;
    }

    // ---------------------------------------------------------------------------------------------
    // Logging
    // ---------------------------------------------------------------------------------------------

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropping connection {Connection}: {Reason}")]
    private static partial void LogDropped(ILogger logger, string connection, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {Connection} closed: {Reason}")]
    private static partial void LogClosed(ILogger logger, string connection, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection {Connection}: peer sent GoAway with error code {Code}")]
    private static partial void LogRemoteGoAway(ILogger logger, string connection, uint code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {Connection}: refused inbound stream {StreamId}: {Reason}")]
    private static partial void LogStreamRefused(ILogger logger, string connection, uint streamId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {Connection}: resetting stream {StreamId}: {Reason}")]
    private static partial void LogStreamTimedOut(ILogger logger, string connection, uint streamId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Connection {Connection}: session loop failed")]
    private static partial void LogInternalError(ILogger logger, string connection, Exception error);
}

/// <summary>The session has ended; no stream can be opened or used on it.</summary>
public sealed class YamuxSessionClosedException(string reason) : IOException("connection closed: " + reason);
