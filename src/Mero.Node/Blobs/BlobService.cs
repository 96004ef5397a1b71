using System.Collections.Concurrent;
using System.Threading.Channels;
using Mero.Network.Multiformats;
using Mero.Network.Node;
using Mero.Node.Network;
using Mero.Primitives;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mero.Node.Blobs;

/// <summary>
/// The node's blob manager. Uploads go straight to <see cref="BlobStorage"/>; every stored blob is
/// announced as a Kademlia provider record (the blob id is the key) by one announcement loop fed
/// through a channel, at startup for what is already stored and after each upload or fetch. A
/// read of a blob this node lacks looks up providers (retried with upstream's backoff: 6 attempts,
/// 100 ms doubling to 2 s) and fetches over <c>/calimero/blob/0.0.2</c>; concurrent reads of the
/// same missing blob share one fetch. Without a swarm the service is local only.
/// </summary>
public sealed partial class BlobService : IHostedService, IAsyncDisposable
{
    private const int Attempts = 6;
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    private readonly Func<Libp2pNode?> _network;
    private readonly TimeProvider _time;
    private readonly ILogger<BlobService> _logger;
    private readonly Channel<BlobId> _announcements = Channel.CreateUnbounded<BlobId>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<(BlobId, ContextId?), Lazy<Task<BlobManifest?>>> _fetches = new();
    private readonly CancellationTokenSource _stopping = new();
    private Libp2pNode? _serving;
    private Task? _loop;

    /// <summary>For the node: the network is the swarm's libp2p node once it has started (none without a swarm).</summary>
    public BlobService(BlobStorage storage, SwarmService? swarm, TimeProvider time, ILogger<BlobService> logger, IBlobAccess? access = null)
        : this(storage, () => swarm?.Node, time, logger, BlobTransferTimeouts.Default, access)
    {
    }

    public BlobService(BlobStorage storage, Func<Libp2pNode?> network, TimeProvider time, ILogger<BlobService> logger, BlobTransferTimeouts timeouts, IBlobAccess? access = null)
    {
        Storage = storage;
        _network = network;
        _time = time;
        _logger = logger;
        Timeouts = timeouts;
        Access = access;
    }

    /// <summary>Who is served which blob, and this node's proof when it fetches for a context (null: every blob by id, unsigned requests).</summary>
    public IBlobAccess? Access { get; }

    public BlobStorage Storage { get; }

    public BlobTransferTimeouts Timeouts { get; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_network() is { } node)
        {
            _serving = node;
            node.Host.SetHandler(Libp2pNode.BlobProtocol, ServeAsync);
            foreach (var (id, _) in Storage.List())
            {
                Announce(id);
            }
        }

        _loop = AnnounceLoopAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _serving?.Host.RemoveHandler(Libp2pNode.BlobProtocol);
        _announcements.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }
    }

    // The container disposes it twice (as itself and as a hosted service): only the first counts.
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private int _disposed;

    /// <summary>Stores <paramref name="content"/> to its end, chunk by chunk, and announces it.</summary>
    /// <exception cref="BlobTooLargeException">more than <paramref name="maxSize"/> bytes (nothing becomes visible)</exception>
    public async Task<(BlobId Id, BlobManifest Manifest)> UploadAsync(Stream content, long maxSize, CancellationToken ct, ContextId? context = null)
    {
        using var writer = Storage.CreateWriter(maxSize);
        await writer.WriteFromAsync(content, ct).ConfigureAwait(false);
        var stored = writer.Complete();
        if (context is { } scope)
        {
            Storage.AddScope(stored.Id, scope);
        }

        LogStored(_logger, stored.Id.ToString(), stored.Manifest.Size);
        Announce(stored.Id);
        return stored;
    }

    /// <summary>Queues a provider announcement (a no-op without a DHT).</summary>
    public void Announce(BlobId id) => _announcements.Writer.TryWrite(id);

    /// <summary>
    /// The blob's manifest, fetching it from providers first if this node lacks it; null if nobody
    /// has it (or nobody serves it to this node). With a <paramref name="context"/>, requests are
    /// signed as this node's member key there and the fetched blob is scoped to it.
    /// </summary>
    public async Task<BlobManifest?> GetOrFetchAsync(BlobId id, CancellationToken ct, ContextId? context = null)
    {
        if (Storage.GetManifest(id) is { } local)
        {
            return local;
        }

        if (_network() is null)
        {
            return null;
        }

        var fetch = _fetches.GetOrAdd((id, context), key => new Lazy<Task<BlobManifest?>>(() => FetchAsync(key.Item1, key.Item2, _stopping.Token)));
        return await fetch.Value.WaitAsync(ct).ConfigureAwait(false);
    }

    private async Task<BlobManifest?> FetchAsync(BlobId id, ContextId? context, CancellationToken ct)
    {
        // Yield so the entry is in _fetches before the finally below can remove it.
        await Task.Yield();
        try
        {
            var started = _time.GetTimestamp();
            var delay = FirstBackoff;
            for (var attempt = 1; attempt <= Attempts; attempt++)
            {
                if (_network() is not { } node)
                {
                    return null;
                }

                foreach (var peer in await CandidatesAsync(node, id, ct).ConfigureAwait(false))
                {
                    try
                    {
                        // Signed per request: the provider accepts a timestamp at most 30 s old.
                        var auth = context is { } c && Access is { } access ? await access.SignAsync(id, c, ct).ConfigureAwait(false) : null;
                        if (await BlobTransfer.FetchAsync(node.Host, peer, id, Storage, Timeouts, ct, context, auth).ConfigureAwait(false) is { } manifest)
                        {
                            if (context is { } scope)
                            {
                                Storage.AddScope(id, scope);
                            }

                            LogFetched(_logger, id.ToString(), manifest.Size, peer.ToString(), (long)_time.GetElapsedTime(started).TotalMilliseconds);
                            Announce(id);
                            return manifest;
                        }
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                    {
                        LogFetchFailed(_logger, id.ToString(), peer.ToString(), ex.Message);
                    }
                }

                if (attempt < Attempts)
                {
                    await Task.Delay(delay, _time, ct).ConfigureAwait(false);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxBackoff.Ticks));
                }
            }

            LogNotFound(_logger, id.ToString());
            return null;
        }
        finally
        {
            _fetches.TryRemove((id, context), out _);
        }
    }

    /// <summary>Announced providers first, then any connected peer (a provider record may not have spread yet).</summary>
    private async Task<IReadOnlyList<PeerId>> CandidatesAsync(Libp2pNode node, BlobId id, CancellationToken ct)
    {
        var peers = new List<PeerId>();
        if (node.Kademlia is { } dht)
        {
            try
            {
                foreach (var provider in await dht.FindProvidersAsync(id.ToArray(), 8, ct).ConfigureAwait(false))
                {
                    if (provider.Id != node.PeerId && !peers.Contains(provider.Id))
                    {
                        node.Host.AddAddresses(provider.Id, provider.Addresses);
                        peers.Add(provider.Id);
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                LogLookupFailed(_logger, id.ToString(), ex.Message);
            }
        }

        foreach (var connection in node.Host.Connections)
        {
            if (!connection.IsClosed && connection.RemotePeer != node.PeerId && !peers.Contains(connection.RemotePeer))
            {
                peers.Add(connection.RemotePeer);
            }
        }

        return peers;
    }

    private async Task ServeAsync(Mero.Network.Host.Libp2pStream stream, CancellationToken ct)
    {
        try
        {
            await BlobTransfer.ServeAsync(Storage, stream, Timeouts, ct, Access).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogServeFailed(_logger, stream.RemotePeer.ToString(), ex.Message);
            stream.Reset();
        }
    }

    private async Task AnnounceLoopAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var id in _announcements.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                if (_network()?.Kademlia is not { } dht)
                {
                    continue;
                }

                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    timeout.CancelAfter(TimeSpan.FromSeconds(30));
                    var told = await dht.ProvideAsync(id.ToArray(), timeout.Token).ConfigureAwait(false);
                    LogAnnounced(_logger, id.ToString(), told);
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    LogAnnounceFailed(_logger, id.ToString(), ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "stored blob {BlobId} ({Size} bytes)")]
    private static partial void LogStored(ILogger logger, string blobId, long size);

    [LoggerMessage(Level = LogLevel.Information, Message = "fetched blob {BlobId} ({Size} bytes) from {Peer} in {ElapsedMs} ms")]
    private static partial void LogFetched(ILogger logger, string blobId, long size, string peer, long elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "fetching blob {BlobId} from {Peer} failed: {Reason}")]
    private static partial void LogFetchFailed(ILogger logger, string blobId, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "no peer provided blob {BlobId}")]
    private static partial void LogNotFound(ILogger logger, string blobId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "provider lookup for blob {BlobId} failed: {Reason}")]
    private static partial void LogLookupFailed(ILogger logger, string blobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "serving a blob to {Peer} failed: {Reason}")]
    private static partial void LogServeFailed(ILogger logger, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "announced blob {BlobId} as provider ({Told} DHT peers told)")]
    private static partial void LogAnnounced(ILogger logger, string blobId, int told);

    [LoggerMessage(Level = LogLevel.Warning, Message = "announcing blob {BlobId} failed: {Reason}")]
    private static partial void LogAnnounceFailed(ILogger logger, string blobId, string reason);
}
