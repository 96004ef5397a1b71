using Mero.Network.Multiformats;
using Mero.Network.Protocols;
using Mero.Network.Yamux;

namespace Mero.Network.Host;

public enum ConnectionDirection
{
    Inbound,
    Outbound,
}

/// <summary>An authenticated, multiplexed connection to one peer (TCP + Noise + Yamux).</summary>
public sealed class Libp2pConnection
{
    private static long s_nextId;

    private readonly Libp2pHost _host;
    private IdentifyInfo? _identify;

    internal Libp2pConnection(Libp2pHost host, YamuxSession session, PeerId remotePeer, Multiaddr remoteAddress, Multiaddr localAddress, ConnectionDirection direction)
    {
        _host = host;
        Session = session;
        RemotePeer = remotePeer;
        RemoteAddress = remoteAddress;
        LocalAddress = localAddress;
        Direction = direction;
        Id = Interlocked.Increment(ref s_nextId);
        OpenedAt = DateTimeOffset.UtcNow;
    }

    public long Id { get; }

    public PeerId RemotePeer { get; }

    /// <summary>The remote transport address (without /p2p).</summary>
    public Multiaddr RemoteAddress { get; }

    public Multiaddr LocalAddress { get; }

    public ConnectionDirection Direction { get; }

    public DateTimeOffset OpenedAt { get; }

    public YamuxSession Session { get; }

    public bool IsClosed => Session.IsClosed;

    /// <summary>Completes with the reason once the connection has closed.</summary>
    public Task<string> Closed => Session.Completion;

    /// <summary>The peer's identify answer, once received.</summary>
    public IdentifyInfo? Identify
    {
        get => Volatile.Read(ref _identify);
        internal set => Volatile.Write(ref _identify, value);
    }

    /// <summary>Opens a stream and negotiates the first of <paramref name="protocols"/> the peer supports.</summary>
    public Task<Libp2pStream> OpenStreamAsync(IReadOnlyList<string> protocols, CancellationToken ct) => OpenStreamAsync(protocols, countsAsActivity: true, ct);

    public Task<Libp2pStream> OpenStreamAsync(string protocol, CancellationToken ct) => OpenStreamAsync([protocol], countsAsActivity: true, ct);

    internal async Task<Libp2pStream> OpenStreamAsync(IReadOnlyList<string> protocols, bool countsAsActivity, CancellationToken ct)
    {
        var stream = await Session.OpenStreamAsync(countsAsActivity, ct).ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_host.Options.NegotiationTimeout);
        try
        {
            var protocol = await MultistreamSelect.SelectAsync(stream, protocols, timeout.Token).ConfigureAwait(false);
            return new Libp2pStream(stream, this, protocol);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            stream.Reset();
            throw new ProtocolNegotiationException($"negotiating {string.Join(", ", protocols)} with {RemotePeer} timed out");
        }
        catch
        {
            stream.Reset();
            throw;
        }
    }

    public Task CloseAsync(CancellationToken ct) => Session.CloseAsync("closed locally", ct);

    internal Task CloseAsync(string reason, CancellationToken ct) => Session.CloseAsync(reason, ct);

    public override string ToString() => $"{RemotePeer} via {RemoteAddress} ({Direction.ToString().ToLowerInvariant()} #{Id})";
}
