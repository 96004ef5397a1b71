using Mero.Network.Framing;
using Mero.Network.Host;
using Mero.Network.Multiformats;
using Microsoft.Extensions.Logging;

namespace Mero.Network.Kademlia;

public sealed partial class Kademlia
{
    /// <summary>Serves requests on one inbound stream until the peer closes it.</summary>
    private async Task ServeAsync(Libp2pStream stream, CancellationToken ct)
    {
        if (Interlocked.Increment(ref _inbound) > Options.MaxInboundStreams)
        {
            Interlocked.Decrement(ref _inbound);
            stream.Reset();
            return;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stopping.Token);
        try
        {
            while (true)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(linked.Token);
                timeout.CancelAfter(Options.RequestTimeout * 3);
                if (await LengthPrefixed.ReadAsync(stream, Options.MaxMessageSize, timeout.Token).ConfigureAwait(false) is not { } bytes)
                {
                    return;
                }

                var request = KadMessage.FromProtobuf(bytes);
                var response = await AnswerAsync(stream.RemotePeer, request, linked.Token).ConfigureAwait(false);
                if (response is not null)
                {
                    await LengthPrefixed.WriteAsync(stream, response.ToProtobuf(), linked.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException)
        {
            LogBadRequest(_logger, stream.RemotePeer.ToString(), ex.Message);
            stream.Reset();
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or System.Threading.Channels.ChannelClosedException)
        {
        }
        finally
        {
            Interlocked.Decrement(ref _inbound);
        }
    }

    private async Task<KadMessage?> AnswerAsync(PeerId from, KadMessage request, CancellationToken ct)
    {
        switch (request.Type)
        {
            case KadMessageType.Ping:
                return new KadMessage { Type = KadMessageType.Ping };
            case KadMessageType.FindNode:
            case KadMessageType.GetValue:
                return new KadMessage
                {
                    Type = request.Type,
                    Key = request.Key,
                    CloserPeers = await QueryAsync(() => _table.Closest(KBucketKey.ForKey(request.Key), Options.K, from), ct).ConfigureAwait(false),
                };
            case KadMessageType.GetProviders:
                return await QueryAsync(() => new KadMessage
                {
                    Type = request.Type,
                    Key = request.Key,
                    ProviderPeers = GetProviders(request.Key),
                    CloserPeers = _table.Closest(KBucketKey.ForKey(request.Key), Options.K, from),
                }, ct).ConfigureAwait(false);
            case KadMessageType.AddProvider:
                // Only the sender may announce itself (spec); other entries are ignored.
                foreach (var provider in request.ProviderPeers.Where(p => p.Id == from))
                {
                    var addresses = provider.Addresses.Count > 0 ? provider.Addresses : _host.GetAddresses(from);
                    await QueryAsync(() => StoreProvider(request.Key, provider with { Addresses = addresses }), ct).ConfigureAwait(false);
                }

                return null;
            default:
                throw new InvalidDataException($"kad {request.Type} is not served (records are not stored here)");
        }
    }

    /// <summary>Loop-only. False when the store is full.</summary>
    private bool StoreProvider(byte[] key, KadPeer provider)
    {
        if (key.Length is 0 or > 256)
        {
            return false;
        }

        var id = Convert.ToBase64String(key);
        var now = _time.GetUtcNow();
        if (!_providers.TryGetValue(id, out var providers))
        {
            if (_providers.Count >= Options.MaxProviderKeys)
            {
                ExpireProviders(now);
                if (_providers.Count >= Options.MaxProviderKeys)
                {
                    return false;
                }
            }

            _providers[id] = providers = [];
        }

        if (!providers.ContainsKey(provider.Id) && providers.Count >= Options.MaxProvidersPerKey)
        {
            return false;
        }

        providers[provider.Id] = (provider, now + Options.ProviderTtl);
        return true;
    }

    /// <summary>Loop-only.</summary>
    private List<KadPeer> GetProviders(byte[] key)
    {
        var now = _time.GetUtcNow();
        return _providers.TryGetValue(Convert.ToBase64String(key), out var providers)
            ? [.. providers.Values.Where(p => p.Expires > now).Select(p => p.Peer)]
            : [];
    }

    private void ExpireProviders(DateTimeOffset now)
    {
        foreach (var (key, providers) in _providers.ToList())
        {
            foreach (var (peer, entry) in providers.ToList())
            {
                if (entry.Expires <= now)
                {
                    providers.Remove(peer);
                }
            }

            if (providers.Count == 0)
            {
                _providers.Remove(key);
            }
        }
    }

    /// <summary>
    /// Iterative lookup: ask the α closest unqueried peers at a time, merge the closer peers they
    /// return, stop when the K closest known have all answered (or <paramref name="done"/> says so).
    /// Returns the closest peers that answered.
    /// </summary>
    private async Task<List<KadPeer>> LookupAsync(byte[] key, KadMessageType type, Func<KadMessage, bool> done, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, _stopping.Token);
        timeout.CancelAfter(Options.QueryTimeout);
        var target = KBucketKey.ForKey(key);
        var candidates = new Dictionary<PeerId, KadPeer>();
        foreach (var peer in await QueryAsync(() => _table.Closest(target, Options.K), timeout.Token).ConfigureAwait(false))
        {
            candidates[peer.Id] = peer;
        }

        var answered = new HashSet<PeerId>();
        var failed = new HashSet<PeerId>();
        var finished = false;
        while (!finished)
        {
            var closest = candidates.Values
                .Where(p => !failed.Contains(p.Id))
                .OrderBy(p => KBucketKey.ForPeer(p.Id).DistanceTo(target))
                .Take(Options.K)
                .ToList();
            var batch = closest.Where(p => !answered.Contains(p.Id)).Take(Options.Alpha).ToList();
            if (batch.Count == 0)
            {
                break;
            }

            var results = await Task.WhenAll(batch.Select(async peer =>
            {
                try
                {
                    return (peer, await RequestAsync(peer, new KadMessage { Type = type, Key = key }, expectResponse: true, timeout.Token).ConfigureAwait(false));
                }
                catch (Exception ex) when (IsPeerFailure(ex, timeout.Token))
                {
                    LogRequestFailed(_logger, peer.Id.ToString(), ex.Message);
                    return (peer, (KadMessage?)null);
                }
            })).ConfigureAwait(false);

            foreach (var (peer, response) in results)
            {
                if (response is null)
                {
                    failed.Add(peer.Id);
                    await QueryAsync(() => { _table.MarkFailed(peer.Id); return true; }, timeout.Token).ConfigureAwait(false);
                    continue;
                }

                answered.Add(peer.Id);
                await QueryAsync(() => _table.AddOrUpdate(peer, _time.GetUtcNow()), timeout.Token).ConfigureAwait(false);
                foreach (var closer in response.CloserPeers.Where(p => p.Id != _host.PeerId))
                {
                    var dialable = closer with { Addresses = [.. closer.Addresses.Where(a => a.TryGetTcpEndPoint(out _))] };
                    if (!candidates.ContainsKey(closer.Id) && (dialable.Addresses.Count > 0 || _host.ConnectionsTo(closer.Id).Count > 0))
                    {
                        candidates[closer.Id] = dialable;
                    }
                }

                finished |= done(response);
            }
        }

        return [.. candidates.Values
            .Where(p => answered.Contains(p.Id))
            .OrderBy(p => KBucketKey.ForPeer(p.Id).DistanceTo(target))
            .Take(Options.K)];
    }

    /// <summary>One request on a fresh stream; ADD_PROVIDER expects no answer.</summary>
    private async Task<KadMessage?> RequestAsync(KadPeer peer, KadMessage request, bool expectResponse, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Options.RequestTimeout);
        var connection = await ConnectAsync(peer, timeout.Token).ConfigureAwait(false);
        await using var stream = await connection.OpenStreamAsync(Options.Protocol, timeout.Token).ConfigureAwait(false);
        await LengthPrefixed.WriteAsync(stream, request.ToProtobuf(), timeout.Token).ConfigureAwait(false);
        if (!expectResponse)
        {
            await stream.CloseWriteAsync(timeout.Token).ConfigureAwait(false);
            return null;
        }

        var bytes = await LengthPrefixed.ReadAsync(stream, Options.MaxMessageSize, timeout.Token).ConfigureAwait(false)
            ?? throw new EndOfStreamException($"{peer.Id} closed the kad stream without an answer");
        var response = KadMessage.FromProtobuf(bytes);
        if (response.Type != request.Type)
        {
            throw new InvalidDataException($"{peer.Id} answered {request.Type} with {response.Type}");
        }

        await stream.CloseWriteAsync(timeout.Token).ConfigureAwait(false);
        return response;
    }

    private async Task<Libp2pConnection> ConnectAsync(KadPeer peer, CancellationToken ct)
    {
        if (_host.ConnectionsTo(peer.Id) is [var existing, ..])
        {
            return existing;
        }

        Exception? last = null;
        foreach (var address in peer.Addresses.Where(a => a.TryGetTcpEndPoint(out _)))
        {
            try
            {
                return await _host.DialAsync(address.WithoutPeerId().WithPeerId(peer.Id), ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or TimeoutException or System.Net.Sockets.SocketException or InvalidDataException)
            {
                last = ex;
            }
        }

        return last is null
            ? await _host.ConnectAsync(peer.Id, ct).ConfigureAwait(false)
            : throw new IOException($"could not reach {peer.Id}: {last.Message}", last);
    }

    private static bool IsPeerFailure(Exception ex, CancellationToken ct) =>
        ex is IOException or TimeoutException or InvalidDataException or System.Net.Sockets.SocketException
        || (ex is OperationCanceledException && !ct.IsCancellationRequested);

    [LoggerMessage(Level = LogLevel.Debug, Message = "kademlia: bad request from {Peer}: {Reason}")]
    private static partial void LogBadRequest(ILogger logger, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "kademlia: request to {Peer} failed: {Reason}")]
    private static partial void LogRequestFailed(ILogger logger, string peer, string reason);
}
