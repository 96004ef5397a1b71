using System.Threading.Channels;
using Mero.Network.Framing;
using Mero.Network.Host;
using Mero.Network.Multiformats;
using Microsoft.Extensions.Logging;

namespace Mero.Network.Pubsub;

public sealed partial class Gossipsub
{
    /// <summary>What the loop knows about one neighbour.</summary>
    private sealed class PeerState(PeerId id)
    {
        public PeerId Id { get; } = id;

        public Channel<byte[]> Outbox { get; set; } = null!;

        public HashSet<string> Topics { get; } = new(StringComparer.Ordinal);

        public Task? Writer { get; set; }

        public double InvalidMessages { get; set; }

        public double AppScore { get; set; }

        /// <summary>IHAVE ids received this heartbeat (spec: cap on what a peer may advertise).</summary>
        public int IHaveIds { get; set; }

        public long Dropped { get; set; }
    }

    private PeerState GetOrAddPeer(PeerId peer)
    {
        if (_peers.TryGetValue(peer, out var state))
        {
            return state;
        }

        state = new PeerState(peer);
        _peers[peer] = state;
        StartWriter(state);
        return state;
    }

    /// <summary>A fresh queue whose first RPC is the hello (our subscriptions), drained by a new writer.</summary>
    private void StartWriter(PeerState state)
    {
        state.Outbox?.Writer.TryComplete();
        state.Outbox = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(Options.MaxQueuedRpcsPerPeer) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        if (_subscriptions.Count > 0)
        {
            Send(state, new PubsubRpc { Subscriptions = [.. _subscriptions.Keys.Select(t => new SubOpts(true, t))] });
        }

        state.Writer = Task.Run(() => WriteLoopAsync(state, state.Outbox), CancellationToken.None);
    }

    private void RemovePeer(PeerId peer)
    {
        if (!_peers.Remove(peer, out var state))
        {
            return;
        }

        state.Outbox.Writer.TryComplete();
        foreach (var topic in state.Topics)
        {
            RemoveFrom(_topicPeers, topic, peer);
        }

        foreach (var set in _mesh.Values)
        {
            set.Remove(peer);
        }

        foreach (var set in _fanout.Values)
        {
            set.Remove(peer);
        }
    }

    private static void RemoveFrom(Dictionary<string, HashSet<PeerId>> map, string topic, PeerId peer)
    {
        if (map.TryGetValue(topic, out var set) && set.Remove(peer) && set.Count == 0)
        {
            map.Remove(topic);
        }
    }

    /// <summary>Queues an RPC; a full queue (the peer is not reading) drops it and counts the drop.</summary>
    private void Send(PeerState peer, PubsubRpc rpc)
    {
        var bytes = rpc.ToProtobuf();
        if (bytes.Length > Options.MaxTransmitSize)
        {
            LogOversizedRpc(_logger, peer.Id.ToString(), bytes.Length);
            return;
        }

        if (!peer.Outbox.Writer.TryWrite(bytes))
        {
            peer.Dropped++;
        }
    }

    /// <summary>Opens the outbound gossipsub stream and drains the peer's queue into it.</summary>
    private async Task WriteLoopAsync(PeerState peer, Channel<byte[]> outbox)
    {
        var ct = _stopping.Token;
        Libp2pStream? stream = null;
        var retry = false;
        try
        {
            stream = await _host.OpenStreamAsync(peer.Id, Options.Protocols, ct).ConfigureAwait(false);
            // Notice a closed connection while idle, before an RPC is taken from the queue and lost.
            using var connectionLost = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var lost = connectionLost;
            _ = stream.Connection.Closed.ContinueWith(
                _ =>
                {
                    try
                    {
                        lost.Cancel();
                    }
                    catch (ObjectDisposedException)
                    {
                        // The writer had already finished.
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            await foreach (var rpc in outbox.Reader.ReadAllAsync(connectionLost.Token).ConfigureAwait(false))
            {
                await LengthPrefixed.WriteAsync(stream, rpc, connectionLost.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogWriterEnded(_logger, peer.Id.ToString(), ex.Message);
            // A broken stream on a still-open connection (another connection, or a reset stream) is
            // reopened, so the peer does not silently drop out of our mesh; a peer without gossipsub is not.
            retry = stream is not null && !outbox.Reader.Completion.IsCompleted;
        }
        finally
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }

        if (retry)
        {
            try
            {
                await Task.Delay(Options.HeartbeatInterval, _time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (!ct.IsCancellationRequested && peer.Writer is { } writer)
        {
            _mailbox.Writer.TryWrite(new WriterEndedCommand(peer.Id, writer, retry));
        }
    }

    private double Score(PeerState peer) =>
        (peer.AppScore * Options.Score.AppSpecificWeight) + (peer.InvalidMessages * peer.InvalidMessages * Options.Score.InvalidMessageWeight);

    private void Penalize(PeerId peer, string reason)
    {
        if (!_peers.TryGetValue(peer, out var state))
        {
            return;
        }

        state.InvalidMessages++;
        var score = Score(state);
        LogPenalized(_logger, peer.ToString(), reason, score);
        if (score < Options.Score.DisconnectThreshold)
        {
            _ = _host.DisconnectAsync(peer, CancellationToken.None);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "gossipsub: not sending an RPC of {Size} bytes to {Peer}: over the transmit limit")]
    private static partial void LogOversizedRpc(ILogger logger, string peer, int size);

    [LoggerMessage(Level = LogLevel.Debug, Message = "gossipsub: stream to {Peer} ended: {Reason}")]
    private static partial void LogWriterEnded(ILogger logger, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "gossipsub: penalised {Peer} ({Reason}); score now {Score}")]
    private static partial void LogPenalized(ILogger logger, string peer, string reason, double score);
}
