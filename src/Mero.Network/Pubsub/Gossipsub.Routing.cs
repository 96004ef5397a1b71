using System.Threading.Channels;
using Mero.Network.Multiformats;
using Microsoft.Extensions.Logging;

namespace Mero.Network.Pubsub;

public sealed partial class Gossipsub
{
    private void HandleRpc(PeerId from, PubsubRpc rpc)
    {
        var peer = GetOrAddPeer(from);
        if (Score(peer) < Options.Score.GraylistThreshold)
        {
            return;
        }

        foreach (var sub in rpc.Subscriptions)
        {
            if (sub.Subscribe)
            {
                if (peer.Topics.Add(sub.Topic))
                {
                    (_topicPeers.TryGetValue(sub.Topic, out var set) ? set : _topicPeers[sub.Topic] = []).Add(from);
                }
            }
            else if (peer.Topics.Remove(sub.Topic))
            {
                RemoveFrom(_topicPeers, sub.Topic, from);
                _mesh.GetValueOrDefault(sub.Topic)?.Remove(from);
                _fanout.GetValueOrDefault(sub.Topic)?.Remove(from);
            }
        }

        foreach (var raw in rpc.Publish)
        {
            HandleMessage(peer, raw);
        }

        if (rpc.Control is { } control)
        {
            HandleControl(peer, control);
        }
    }

    private void HandleMessage(PeerState peer, PubsubMessage raw)
    {
        var (message, error) = MessageSigning.Verify(raw);
        if (message is null)
        {
            Penalize(peer.Id, "invalid message: " + error);
            return;
        }

        var id = Options.MessageId(message);
        if (!_seen.Add(id, _time.GetUtcNow()))
        {
            return;
        }

        if (message.From == PeerId || !_subscriptions.ContainsKey(message.Topic))
        {
            return;
        }

        message = message with { Id = id, ReceivedFrom = peer.Id };
        if (!_validators.TryGetValue(message.Topic, out var validator))
        {
            Accept(peer.Id, id, raw, message);
            return;
        }

        if (_validating >= Options.MaxConcurrentValidations)
        {
            return;
        }

        _validating++;
        _ = Task.Run(() => ValidateAsync(validator, peer.Id, id, raw, message), CancellationToken.None);
    }

    private async Task ValidateAsync(GossipValidator validator, PeerId peer, byte[] id, PubsubMessage raw, GossipMessage message)
    {
        ValidationResult result;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(Options.ValidationTimeout);
        try
        {
            result = await validator(message, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogValidatorFailed(_logger, message.Topic, ex.Message);
            result = ValidationResult.Ignore;
        }

        try
        {
            await _mailbox.Writer.WriteAsync(new ValidatedCommand(peer, id, raw, message, result), _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
        }
    }

    private void FinishValidation(ValidatedCommand validated)
    {
        switch (validated.Result)
        {
            case ValidationResult.Accept:
                Accept(validated.Peer, validated.Id, validated.Raw, validated.Message);
                break;
            case ValidationResult.Reject:
                Penalize(validated.Peer, "message rejected by the validator");
                break;
        }
    }

    /// <summary>Delivers locally, caches for gossip and forwards to the mesh (not back to the sender or the source).</summary>
    private void Accept(PeerId via, byte[] id, PubsubMessage raw, GossipMessage message)
    {
        _cache.Put(id, raw);
        if (_subscriptions.TryGetValue(message.Topic, out var subscription))
        {
            subscription.Writer.TryWrite(message);
        }

        var forward = new PubsubRpc { Publish = [raw] };
        foreach (var target in _mesh.GetValueOrDefault(message.Topic) ?? [])
        {
            if (target != via && target != message.From && _peers.TryGetValue(target, out var state))
            {
                Send(state, forward);
            }
        }
    }

    private PublishResult PublishOwn(string topic, byte[] data)
    {
        var raw = MessageSigning.Sign(_identity, PeerId, topic, data, ++_seqno);
        var message = new GossipMessage(topic, data, PeerId, _seqno);
        var id = Options.MessageId(message);
        _seen.Add(id, _time.GetUtcNow());
        _cache.Put(id, raw);

        IEnumerable<PeerId> targets;
        if (Options.FloodPublish)
        {
            targets = (_topicPeers.GetValueOrDefault(topic) ?? []).Where(p => Score(_peers[p]) >= Options.Score.PublishThreshold);
        }
        else if (_mesh.TryGetValue(topic, out var mesh))
        {
            targets = mesh;
        }
        else
        {
            if (!_fanout.TryGetValue(topic, out var fanout))
            {
                fanout = [.. Pick(Eligible(topic, new HashSet<PeerId>()), Options.D)];
                _fanout[topic] = fanout;
            }

            _fanoutLastPublish[topic] = _time.GetUtcNow();
            targets = fanout;
        }

        var rpc = new PubsubRpc { Publish = [raw] };
        var sent = 0;
        foreach (var target in targets.ToList())
        {
            Send(_peers[target], rpc);
            sent++;
        }

        return new PublishResult(id, sent);
    }

    private ChannelReader<GossipMessage> Join(string topic)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        if (_subscriptions.ContainsKey(topic))
        {
            throw new InvalidOperationException($"already subscribed to {topic}");
        }

        var channel = Channel.CreateBounded<GossipMessage>(new BoundedChannelOptions(Options.SubscriberCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = true });
        _subscriptions[topic] = channel;
        var announce = new PubsubRpc { Subscriptions = [new SubOpts(true, topic)] };
        foreach (var peer in _peers.Values)
        {
            Send(peer, announce);
        }

        // Spec JOIN: start from the fanout peers, top up to D from the topic's peers, GRAFT them all.
        var mesh = _fanout.Remove(topic, out var fanout) ? fanout : [];
        _fanoutLastPublish.Remove(topic);
        mesh.UnionWith(Pick(Eligible(topic, mesh), Options.D - mesh.Count));
        _mesh[topic] = mesh;
        foreach (var peer in mesh)
        {
            Send(_peers[peer], new PubsubRpc { Control = new ControlMessage { Graft = [topic] } });
        }

        return channel.Reader;
    }

    private bool Leave(string topic)
    {
        if (!_subscriptions.Remove(topic, out var channel))
        {
            return false;
        }

        channel.Writer.TryComplete();
        var announce = new PubsubRpc { Subscriptions = [new SubOpts(false, topic)] };
        foreach (var peer in _peers.Values)
        {
            Send(peer, announce);
        }

        if (_mesh.Remove(topic, out var mesh))
        {
            foreach (var peer in mesh)
            {
                Send(_peers[peer], new PubsubRpc { Control = new ControlMessage { Prune = [new ControlPrune(topic, (ulong)Options.PruneBackoff.TotalSeconds)] } });
            }
        }

        return true;
    }

    private void HandleControl(PeerState peer, ControlMessage control)
    {
        var score = Score(peer);
        var iwant = new List<byte[]>();
        if (score >= Options.Score.GossipThreshold)
        {
            foreach (var ihave in control.IHave)
            {
                if (!_subscriptions.ContainsKey(ihave.Topic))
                {
                    continue;
                }

                foreach (var id in ihave.MessageIds)
                {
                    if (peer.IHaveIds++ < Options.MaxIHaveLength && !_seen.Contains(id))
                    {
                        iwant.Add(id);
                    }
                }
            }
        }

        var reply = new List<PubsubMessage>();
        if (score >= Options.Score.GossipThreshold)
        {
            foreach (var id in control.IWant.Take(Options.MaxIHaveLength))
            {
                if (_cache.Get(id) is { } cached)
                {
                    reply.Add(cached);
                }
            }
        }

        var prune = new List<ControlPrune>();
        var now = _time.GetUtcNow();
        foreach (var topic in control.Graft)
        {
            if (!_mesh.TryGetValue(topic, out var mesh))
            {
                continue;
            }

            var backedOff = _backoff.TryGetValue((peer.Id, topic), out var until) && until > now;
            if (backedOff || score < 0)
            {
                prune.Add(new ControlPrune(topic, (ulong)Options.PruneBackoff.TotalSeconds));
                continue;
            }

            mesh.Add(peer.Id);
        }

        foreach (var p in control.Prune)
        {
            _mesh.GetValueOrDefault(p.Topic)?.Remove(peer.Id);
            var backoff = p.BackoffSeconds is { } s ? TimeSpan.FromSeconds(Math.Min(s, 3600)) : Options.PruneBackoff;
            _backoff[(peer.Id, p.Topic)] = now + backoff;
        }

        if (iwant.Count > 0 || reply.Count > 0 || prune.Count > 0)
        {
            // Split big IWANT answers so each RPC stays under the transmit limit.
            foreach (var chunk in ChunkBySize(reply))
            {
                Send(peer, new PubsubRpc { Publish = chunk });
            }

            if (iwant.Count > 0 || prune.Count > 0)
            {
                Send(peer, new PubsubRpc { Control = new ControlMessage { IWant = iwant, Prune = prune } });
            }
        }
    }

    private IEnumerable<List<PubsubMessage>> ChunkBySize(List<PubsubMessage> messages)
    {
        var chunk = new List<PubsubMessage>();
        var size = 0;
        foreach (var message in messages)
        {
            var length = message.Data.Length + 256;
            if (chunk.Count > 0 && size + length > Options.MaxTransmitSize)
            {
                yield return chunk;
                chunk = [];
                size = 0;
            }

            chunk.Add(message);
            size += length;
        }

        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }

    /// <summary>Topic peers that may join a mesh: not excluded, not backed off, non-negative score.</summary>
    private List<PeerId> Eligible(string topic, IReadOnlySet<PeerId> exclude)
    {
        var now = _time.GetUtcNow();
        return [.. (_topicPeers.GetValueOrDefault(topic) ?? []).Where(p =>
            !exclude.Contains(p)
            && !(_backoff.TryGetValue((p, topic), out var until) && until > now)
            && _peers.TryGetValue(p, out var state) && Score(state) >= 0)];
    }

    private List<PeerId> Pick(List<PeerId> candidates, int count)
    {
        if (count <= 0)
        {
            return [];
        }

        var array = candidates.ToArray();
        _random.Shuffle(array);
        return [.. array.Take(count)];
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "gossipsub: validator for {Topic} failed: {Reason}; message ignored")]
    private static partial void LogValidatorFailed(ILogger logger, string topic, string reason);
}
