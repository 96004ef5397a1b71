using Mero.Network.Multiformats;

namespace Mero.Network.Pubsub;

public sealed partial class Gossipsub
{
    /// <summary>
    /// Spec heartbeat: repair each mesh to [D_lo, D_hi] (dropping negative scores), expire and top up
    /// fanout, emit IHAVE gossip to non-mesh peers, shift the message cache, decay scores. Control
    /// messages are batched into one RPC per peer.
    /// </summary>
    private void Heartbeat()
    {
        var now = _time.GetUtcNow();
        var grafts = new Dictionary<PeerId, List<string>>();
        var prunes = new Dictionary<PeerId, List<ControlPrune>>();
        var ihaves = new Dictionary<PeerId, List<ControlIHave>>();
        var backoffSeconds = (ulong)Options.PruneBackoff.TotalSeconds;

        foreach (var peer in _peers.Values)
        {
            peer.InvalidMessages *= Options.Score.InvalidMessageDecay;
            if (peer.InvalidMessages < 0.01)
            {
                peer.InvalidMessages = 0;
            }

            peer.IHaveIds = 0;
        }

        foreach (var (topic, mesh) in _mesh)
        {
            foreach (var peer in mesh.Where(p => !_peers.TryGetValue(p, out var s) || Score(s) < 0).ToList())
            {
                mesh.Remove(peer);
                Add(prunes, peer, new ControlPrune(topic, backoffSeconds));
                _backoff[(peer, topic)] = now + Options.PruneBackoff;
            }

            if (mesh.Count < Options.DLow)
            {
                foreach (var peer in Pick(Eligible(topic, mesh), Options.D - mesh.Count))
                {
                    mesh.Add(peer);
                    Add(grafts, peer, topic);
                }
            }
            else if (mesh.Count > Options.DHigh)
            {
                // Keep the best-scored D; ties broken at random.
                var ranked = mesh.ToArray();
                _random.Shuffle(ranked);
                foreach (var peer in ranked.OrderByDescending(p => Score(_peers[p])).Skip(Options.D).ToList())
                {
                    mesh.Remove(peer);
                    Add(prunes, peer, new ControlPrune(topic, backoffSeconds));
                    _backoff[(peer, topic)] = now + Options.PruneBackoff;
                }
            }
        }

        foreach (var topic in _fanout.Keys.ToList())
        {
            if (now - _fanoutLastPublish.GetValueOrDefault(topic) > Options.FanoutTtl)
            {
                _fanout.Remove(topic);
                _fanoutLastPublish.Remove(topic);
                continue;
            }

            var fanout = _fanout[topic];
            fanout.RemoveWhere(p => !(_topicPeers.GetValueOrDefault(topic)?.Contains(p) ?? false) || Score(_peers[p]) < Options.Score.PublishThreshold);
            if (fanout.Count < Options.D)
            {
                fanout.UnionWith(Pick(Eligible(topic, fanout), Options.D - fanout.Count));
            }
        }

        foreach (var (topic, targets) in _mesh.Concat(_fanout))
        {
            var ids = _cache.GossipIds(topic);
            if (ids.Count == 0)
            {
                continue;
            }

            if (ids.Count > Options.MaxIHaveLength)
            {
                ids = ids[^Options.MaxIHaveLength..];
            }

            var candidates = (_topicPeers.GetValueOrDefault(topic) ?? [])
                .Where(p => !targets.Contains(p) && _peers.TryGetValue(p, out var s) && Score(s) >= Options.Score.GossipThreshold)
                .ToList();
            var count = Math.Max(Options.DLazy, (int)(Options.GossipFactor * candidates.Count));
            foreach (var peer in Pick(candidates, count))
            {
                Add(ihaves, peer, new ControlIHave(topic, ids));
            }
        }

        foreach (var peer in grafts.Keys.Union(prunes.Keys).Union(ihaves.Keys))
        {
            if (_peers.TryGetValue(peer, out var state))
            {
                Send(state, new PubsubRpc
                {
                    Control = new ControlMessage
                    {
                        Graft = grafts.GetValueOrDefault(peer) ?? [],
                        Prune = prunes.GetValueOrDefault(peer) ?? [],
                        IHave = ihaves.GetValueOrDefault(peer) ?? [],
                    },
                });
            }
        }

        _cache.Shift();
        _seen.Expire(now);
        foreach (var key in _backoff.Where(e => e.Value <= now).Select(e => e.Key).ToList())
        {
            _backoff.Remove(key);
        }
    }

    private static void Add<T>(Dictionary<PeerId, List<T>> map, PeerId peer, T item)
    {
        if (!map.TryGetValue(peer, out var list))
        {
            map[peer] = list = [];
        }

        list.Add(item);
    }
}
