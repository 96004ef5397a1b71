using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading.Channels;
using Mero.Network.Host;
using Mero.Network.Multiformats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mero.Network.Discovery;

/// <summary>A peer found on the local network.</summary>
public sealed record DiscoveredPeer(PeerId Peer, IReadOnlyList<Multiaddr> Addresses);

/// <summary>
/// libp2p mDNS: asks <c>_p2p._udp.local</c> PTR on the multicast group, answers such questions with a
/// PTR to a random instance name plus TXT <c>dnsaddr=ADDR/p2p/ID</c> per announced address, and
/// feeds answers from other peers into the host's address book (and dials them, by option).
/// </summary>
public sealed partial class MdnsDiscovery : IAsyncDisposable
{
    private readonly Libp2pHost _host;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _instance = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    private readonly Channel<DiscoveredPeer> _discovered = Channel.CreateBounded<DiscoveredPeer>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly CancellationTokenSource _stopping = new();
    private UdpClient? _udp;

    public MdnsDiscovery(Libp2pHost host, MdnsOptions options, TimeProvider? time = null, ILoggerFactory? loggerFactory = null)
    {
        options.Validate();
        _host = host;
        Options = options;
        _time = time ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<MdnsDiscovery>();
    }

    public MdnsOptions Options { get; }

    /// <summary>Peers discovered from now on (oldest dropped if nobody reads).</summary>
    public ChannelReader<DiscoveredPeer> Discovered => _discovered.Reader;

    public Task StartAsync(CancellationToken ct)
    {
        var udp = new UdpClient(AddressFamily.InterNetwork);
        udp.Client.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        udp.Client.Bind(new IPEndPoint(IPAddress.Any, Options.Port));
        udp.JoinMulticastGroup(Options.MulticastAddress);
        udp.MulticastLoopback = true;
        _udp = udp;
        _ = Task.Run(ReceiveLoopAsync, CancellationToken.None);
        _ = Task.Run(QueryLoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Sends one query now.</summary>
    public Task QueryAsync(CancellationToken ct) =>
        SendAsync(new DnsMessage(false, [new DnsQuestion(MdnsOptions.ServiceName, DnsType.Ptr)], []), ct);

    private async Task QueryLoopAsync()
    {
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                await QueryAsync(_stopping.Token).ConfigureAwait(false);
                await Task.Delay(Options.QueryInterval, _time, _stopping.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
        }
        catch (SocketException ex)
        {
            LogSocketFailed(_logger, ex.Message);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            UdpReceiveResult packet;
            try
            {
                packet = await _udp!.ReceiveAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                LogSocketFailed(_logger, ex.Message);
                continue;
            }

            try
            {
                await HandleAsync(DnsMessage.Decode(packet.Buffer)).ConfigureAwait(false);
            }
            catch (InvalidDataException ex)
            {
                LogBadPacket(_logger, packet.RemoteEndPoint.ToString(), ex.Message);
            }
        }
    }

    private async Task HandleAsync(DnsMessage message)
    {
        if (!message.IsResponse)
        {
            if (message.Questions.Any(q => q.Type == DnsType.Ptr && string.Equals(q.Name, MdnsOptions.ServiceName, StringComparison.OrdinalIgnoreCase)))
            {
                await SendAsync(Answer(), _stopping.Token).ConfigureAwait(false);
            }

            return;
        }

        var found = new Dictionary<PeerId, List<Multiaddr>>();
        foreach (var record in message.Answers.Where(r => r.Type == DnsType.Txt && r.Name.EndsWith(MdnsOptions.ServiceName, StringComparison.OrdinalIgnoreCase)))
        {
            foreach (var text in record.Texts.Where(t => t.StartsWith("dnsaddr=", StringComparison.Ordinal)))
            {
                if (Multiaddr.TryParse(text["dnsaddr=".Length..], out var address) && address.PeerId is { } peer && peer != _host.PeerId && address.TryGetTcpEndPoint(out _))
                {
                    (found.TryGetValue(peer, out var list) ? list : found[peer] = []).Add(address.WithoutPeerId());
                }
            }
        }

        foreach (var (peer, addresses) in found)
        {
            _host.AddAddresses(peer, addresses);
            _discovered.Writer.TryWrite(new DiscoveredPeer(peer, addresses));
            LogDiscovered(_logger, peer.ToString(), addresses.Count);
            if (Options.DialDiscovered && _host.ConnectionsTo(peer).Count == 0)
            {
                _ = DialAsync(peer, addresses);
            }
        }
    }

    private async Task DialAsync(PeerId peer, List<Multiaddr> addresses)
    {
        foreach (var address in addresses)
        {
            try
            {
                await _host.DialAsync(address.WithPeerId(peer), _stopping.Token).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is IOException or SocketException or TimeoutException or InvalidDataException or ArgumentException)
            {
                LogDialFailed(_logger, address.ToString(), ex.Message);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private DnsMessage Answer()
    {
        var ttl = (uint)Options.Ttl.TotalSeconds;
        var name = _instance + "." + MdnsOptions.ServiceName;
        var texts = _host.AnnouncedAddresses()
            .Select(a => "dnsaddr=" + a.WithPeerId(_host.PeerId))
            .Where(t => t.Length <= 255)
            .ToList();
        return new DnsMessage(true, [], [
            new DnsRecord(MdnsOptions.ServiceName, DnsType.Ptr, ttl, name, []),
            .. texts.Select(t => new DnsRecord(name, DnsType.Txt, ttl, null, [t])),
        ]);
    }

    private async Task SendAsync(DnsMessage message, CancellationToken ct)
    {
        if (_udp is { } udp)
        {
            await udp.SendAsync(message.Encode(), new IPEndPoint(Options.MulticastAddress, Options.Port), ct).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _udp?.Dispose();
        _discovered.Writer.TryComplete();
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "mdns: discovered {Peer} with {Count} addresses")]
    private static partial void LogDiscovered(ILogger logger, string peer, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "mdns: ignoring a bad packet from {Sender}: {Reason}")]
    private static partial void LogBadPacket(ILogger logger, string sender, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "mdns: socket error: {Reason}")]
    private static partial void LogSocketFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "mdns: dialing {Address} failed: {Reason}")]
    private static partial void LogDialFailed(ILogger logger, string address, string reason);
}
