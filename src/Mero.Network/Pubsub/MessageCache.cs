namespace Mero.Network.Pubsub;

/// <summary>
/// Recent messages in heartbeat windows: the newest <c>gossip</c> windows are advertised in IHAVE,
/// all <c>history</c> windows answer IWANT. Owned by the router loop (not thread-safe).
/// </summary>
internal sealed class MessageCache(int history, int gossip)
{
    private readonly Dictionary<string, PubsubMessage> _messages = new(StringComparer.Ordinal);
    private readonly LinkedList<List<(string Key, byte[] Id, string Topic)>> _windows = new([[]]);

    public int Count => _messages.Count;

    public void Put(byte[] id, PubsubMessage message)
    {
        var key = Key(id);
        if (_messages.TryAdd(key, message))
        {
            _windows.First!.Value.Add((key, id, message.Topic));
        }
    }

    public PubsubMessage? Get(byte[] id) => _messages.GetValueOrDefault(Key(id));

    public List<byte[]> GossipIds(string topic)
    {
        var ids = new List<byte[]>();
        var window = _windows.First;
        for (var i = 0; i < gossip && window is not null; i++, window = window.Next)
        {
            ids.AddRange(window.Value.Where(e => e.Topic == topic).Select(e => e.Id));
        }

        return ids;
    }

    /// <summary>Opens a new window and forgets the oldest past the history length.</summary>
    public void Shift()
    {
        _windows.AddFirst([]);
        while (_windows.Count > history)
        {
            foreach (var entry in _windows.Last!.Value)
            {
                _messages.Remove(entry.Key);
            }

            _windows.RemoveLast();
        }
    }

    public static string Key(byte[] id) => Convert.ToBase64String(id);
}

/// <summary>Message ids seen recently, expiring after a TTL. Owned by the router loop.</summary>
internal sealed class SeenCache(TimeSpan ttl)
{
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private readonly Queue<(string Key, DateTimeOffset At)> _order = new();

    public int Count => _ids.Count;

    public bool Contains(byte[] id) => _ids.Contains(MessageCache.Key(id));

    /// <summary>False when the id was already there.</summary>
    public bool Add(byte[] id, DateTimeOffset now)
    {
        var key = MessageCache.Key(id);
        if (!_ids.Add(key))
        {
            return false;
        }

        _order.Enqueue((key, now));
        return true;
    }

    public void Expire(DateTimeOffset now)
    {
        while (_order.TryPeek(out var oldest) && now - oldest.At > ttl)
        {
            _order.Dequeue();
            _ids.Remove(oldest.Key);
        }
    }
}
