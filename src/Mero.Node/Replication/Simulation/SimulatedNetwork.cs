namespace Mero.Node.Replication.Simulation;

/// <summary>
/// An in-process network of <see cref="SimulatedTransport"/>s. Gossip reaches every peer subscribed
/// to the topic (no mesh: the mesh's job is reach, which the simulation grants) unless the seeded
/// fault model drops it or a partition separates the two peers; every delivery waits a seeded delay
/// on the <see cref="TimeProvider"/>, so a fake clock replays a run exactly.
/// </summary>
public sealed class SimulatedNetwork
{
    private readonly Dictionary<string, SimulatedTransport> _peers = [];
    private readonly HashSet<(string, string)> _cut = [];
    private readonly Random _random;
    private readonly Lock _gate = new();

    public SimulatedNetwork(SimulationOptions options, TimeProvider time)
    {
        options.Validate();
        Options = options;
        Time = time;
        _random = new Random(options.Seed);
    }

    public SimulationOptions Options { get; }

    public TimeProvider Time { get; }

    /// <summary>Gossip deliveries dropped by the fault model or a partition so far.</summary>
    public int Dropped { get; private set; }

    public SimulatedTransport AddPeer(string peer)
    {
        lock (_gate)
        {
            if (_peers.ContainsKey(peer))
            {
                throw new ArgumentException($"peer {peer} already exists", nameof(peer));
            }

            var transport = new SimulatedTransport(this, peer);
            _peers.Add(peer, transport);
            return transport;
        }
    }

    /// <summary>Cuts every link between the two sides until <see cref="Heal"/>.</summary>
    public void Partition(IEnumerable<string> sideA, IEnumerable<string> sideB)
    {
        var b = sideB.ToList();
        lock (_gate)
        {
            foreach (var x in sideA)
            {
                foreach (var y in b)
                {
                    _cut.Add((x, y));
                    _cut.Add((y, x));
                }
            }
        }
    }

    public void Heal()
    {
        lock (_gate)
        {
            _cut.Clear();
        }
    }

    /// <summary>Takes a peer off the network (a crash); its pending deliveries are lost.</summary>
    public void Disconnect(string peer)
    {
        lock (_gate)
        {
            if (_peers.Remove(peer, out var transport))
            {
                transport.Close();
            }
        }
    }

    internal IReadOnlyList<string> Subscribers(string topic, string except)
    {
        lock (_gate)
        {
            return [.. _peers.Values.Where(p => p.LocalPeer != except && p.IsSubscribed(topic)).Select(p => p.LocalPeer).Order(StringComparer.Ordinal)];
        }
    }

    internal void Publish(string from, string topic, ReadOnlyMemory<byte> payload)
    {
        var copy = payload.ToArray();
        lock (_gate)
        {
            // Ordinal order keeps the random draws, and so the whole run, reproducible.
            foreach (var target in _peers.Values.Where(p => p.LocalPeer != from && p.IsSubscribed(topic)).OrderBy(p => p.LocalPeer, StringComparer.Ordinal))
            {
                if (_cut.Contains((from, target.LocalPeer)) || _random.NextDouble() < Options.DropRate)
                {
                    Dropped++;
                    continue;
                }

                var message = new TopicMessage(topic, from, copy);
                After(NextDelay(), () => target.Deliver(message));
            }
        }
    }

    internal async Task<byte[]> RequestAsync(string from, string to, string protocol, ReadOnlyMemory<byte> request, CancellationToken ct)
    {
        SimulatedTransport target;
        TimeSpan there, back;
        lock (_gate)
        {
            if (!_peers.TryGetValue(to, out target!) || _cut.Contains((from, to)))
            {
                throw new PeerUnreachableException(to, "not reachable");
            }

            there = NextDelay();
            back = NextDelay();
        }

        await Task.Delay(there, Time, ct).ConfigureAwait(false);

        // A peer that left while the request travelled never sees it.
        EnsureStillLinked(to, from, to, "connection lost before the request arrived");

        byte[] response;
        try
        {
            response = await target.HandleAsync(from, protocol, request.ToArray(), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && ex is not PeerUnreachableException)
        {
            // Over libp2p a failing handler resets the stream; the requester learns nothing more.
            throw new PeerUnreachableException(to, "the peer failed to answer: " + ex.GetType().Name);
        }

        await Task.Delay(back, Time, ct).ConfigureAwait(false);
        EnsureStillLinked(to, to, from, "connection lost before the response arrived");
        return response;
    }

    /// <summary>Throws unless <paramref name="target"/> is still on the network and the link <paramref name="from"/> → <paramref name="to"/> is not cut.</summary>
    private void EnsureStillLinked(string target, string from, string to, string reason)
    {
        lock (_gate)
        {
            if (!_peers.ContainsKey(target) || _cut.Contains((from, to)))
            {
                throw new PeerUnreachableException(target, reason);
            }
        }
    }

    private TimeSpan NextDelay() =>
        Options.MinDelay + TimeSpan.FromTicks((long)(_random.NextDouble() * (Options.MaxDelay - Options.MinDelay).Ticks));

    private void After(TimeSpan delay, Action action)
    {
        ITimer? timer = null;
        timer = Time.CreateTimer(
            _ =>
            {
                action();
                timer?.Dispose();
            },
            null,
            delay,
            Timeout.InfiniteTimeSpan);
    }
}
