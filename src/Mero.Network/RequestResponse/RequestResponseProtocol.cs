using Mero.Network.Framing;
using Mero.Network.Host;
using Mero.Network.Multiformats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mero.Network.RequestResponse;

/// <summary>
/// One request and one response per stream, each a length-prefixed frame under a size limit: the
/// requester writes its frame and half-closes; the responder answers and closes. Used for our own
/// protocols (sync, blobs). Oversized or truncated frames reset the stream; nothing else is affected.
/// </summary>
public sealed partial class RequestResponseProtocol
{
    private readonly Libp2pHost _host;
    private readonly ILogger _logger;
    private int _inbound;

    public RequestResponseProtocol(Libp2pHost host, string protocol, RequestResponseOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(protocol);
        options.Validate();
        _host = host;
        Protocol = protocol;
        Options = options;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<RequestResponseProtocol>();
    }

    public string Protocol { get; }

    public RequestResponseOptions Options { get; }

    /// <summary>Serves requests with <paramref name="handler"/> (announced in identify from now on).</summary>
    public void Serve(RequestHandler handler) => _host.SetHandler(Protocol, (stream, ct) => ServeAsync(stream, handler, ct));

    public void StopServing() => _host.RemoveHandler(Protocol);

    /// <summary>Sends a request and returns the response.</summary>
    /// <exception cref="InvalidDataException">the response is over the limit or malformed</exception>
    /// <exception cref="IOException">the peer is unreachable, refused, reset or closed early</exception>
    /// <exception cref="TimeoutException">no full response within the timeout</exception>
    public async Task<byte[]> RequestAsync(PeerId peer, ReadOnlyMemory<byte> request, CancellationToken ct)
    {
        if (request.Length > Options.MaxRequestSize)
        {
            throw new ArgumentException($"request of {request.Length} bytes exceeds the limit of {Options.MaxRequestSize}", nameof(request));
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Options.Timeout);
        try
        {
            await using var stream = await _host.OpenStreamAsync(peer, Protocol, timeout.Token).ConfigureAwait(false);
            await WriteAsync(stream, request, timeout.Token).ConfigureAwait(false);
            await stream.CloseWriteAsync(timeout.Token).ConfigureAwait(false);
            return await ReadAsync(stream, Options.MaxResponseSize, timeout.Token).ConfigureAwait(false)
                ?? throw new EndOfStreamException($"{peer} closed {Protocol} without a response");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"{Protocol} request to {peer} got no response within {Options.Timeout.TotalSeconds:0.###} s");
        }
    }

    private async Task ServeAsync(Libp2pStream stream, RequestHandler handler, CancellationToken ct)
    {
        if (Interlocked.Increment(ref _inbound) > Options.MaxConcurrentInbound)
        {
            Interlocked.Decrement(ref _inbound);
            LogRefused(_logger, Protocol, stream.RemotePeer.ToString(), $"{Options.MaxConcurrentInbound} requests in progress");
            stream.Reset();
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Options.Timeout);
        try
        {
            var request = await ReadAsync(stream, Options.MaxRequestSize, timeout.Token).ConfigureAwait(false)
                ?? throw new EndOfStreamException("stream closed before a request");
            var response = await handler(stream.RemotePeer, request, timeout.Token).ConfigureAwait(false);
            if (response.Length > Options.MaxResponseSize)
            {
                throw new InvalidOperationException($"response of {response.Length} bytes exceeds the limit of {Options.MaxResponseSize}");
            }

            await WriteAsync(stream, response, timeout.Token).ConfigureAwait(false);
            await stream.CloseWriteAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogRefused(_logger, Protocol, stream.RemotePeer.ToString(), ex.Message);
            stream.Reset();
        }
        finally
        {
            Interlocked.Decrement(ref _inbound);
        }
    }

    private Task WriteAsync(Stream stream, ReadOnlyMemory<byte> message, CancellationToken ct) =>
        Options.Framing == FrameFormat.Uvarint ? LengthPrefixed.WriteAsync(stream, message, ct) : LengthPrefixed.WriteU32Async(stream, message, ct);

    private Task<byte[]?> ReadAsync(Stream stream, int max, CancellationToken ct) =>
        Options.Framing == FrameFormat.Uvarint ? LengthPrefixed.ReadAsync(stream, max, ct) : LengthPrefixed.ReadU32Async(stream, max, ct);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Protocol}: request from {Peer} dropped: {Reason}")]
    private static partial void LogRefused(ILogger logger, string protocol, string peer, string reason);
}
