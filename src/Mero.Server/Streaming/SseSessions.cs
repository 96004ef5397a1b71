using System.Collections.Concurrent;
using System.Security.Cryptography;
using Mero.Node.Events;

namespace Mero.Server.Streaming;

/// <summary>
/// SSE sessions outlive connections: a reconnect with <c>Last-Event-ID: {session}-{n}</c> resumes the
/// session's subscriptions and event counter. Nothing is replayed: events that arrive while no
/// connection is attached are counted (so ids show a gap) and dropped.
/// </summary>
public sealed class SseSessions(EventBus bus, TimeProvider time) : IDisposable
{
    /// <summary>Upstream's session lifetime without a connection.</summary>
    public static readonly TimeSpan Expiry = TimeSpan.FromHours(24);

    public const int MaxSessions = 4096;

    private readonly ConcurrentDictionary<ulong, SseSession> _sessions = new();

    public SseSession? Find(ulong id) => _sessions.TryGetValue(id, out var session) ? session : null;

    /// <summary>Resumes <paramref name="resumeId"/> when it exists, else opens a fresh session.</summary>
    public (SseSession Session, bool Resumed) Open(ulong? resumeId)
    {
        PurgeExpired();
        if (resumeId is { } id && _sessions.TryGetValue(id, out var existing))
        {
            return (existing, true);
        }

        if (_sessions.Count >= MaxSessions)
        {
            throw new InvalidOperationException($"too many SSE sessions (limit {MaxSessions})");
        }

        while (true)
        {
            var fresh = new SseSession(BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)), bus.Subscribe(), time);
            if (_sessions.TryAdd(fresh.Id, fresh))
            {
                return (fresh, false);
            }

            fresh.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var session in _sessions.Values)
        {
            session.Dispose();
        }

        _sessions.Clear();
    }

    private void PurgeExpired()
    {
        var now = time.GetUtcNow();
        foreach (var (id, session) in _sessions)
        {
            if (!session.IsConnected && now - session.LastActive > Expiry && _sessions.TryRemove(id, out _))
            {
                session.Dispose();
            }
        }
    }
}

/// <summary>One SSE session: its bus subscription, the contexts it follows and its event counter.</summary>
public sealed class SseSession(ulong id, EventSubscription subscription, TimeProvider time) : IDisposable
{
    private readonly ConcurrentDictionary<ContextId, byte> _contexts = new();
    private long _counter;
    private CancellationTokenSource? _connection;

    public ulong Id { get; } = id;

    public EventSubscription Subscription { get; } = subscription;

    public DateTimeOffset LastActive { get; private set; } = time.GetUtcNow();

    public bool IsConnected => Volatile.Read(ref _connection) is not null;

    public long EventCounter => Interlocked.Read(ref _counter);

    public IReadOnlyList<ContextId> Contexts => [.. _contexts.Keys];

    public long NextEventNumber() => Interlocked.Increment(ref _counter);

    /// <summary>
    /// Binds a new connection, which the caller owns and disposes. A connection still attached (a
    /// client that reconnected before the server noticed it left) is told to stop.
    /// </summary>
    public CancellationTokenSource Attach()
    {
        LastActive = time.GetUtcNow();
        var connection = new CancellationTokenSource();
        if (Interlocked.Exchange(ref _connection, connection) is { } previous)
        {
            try
            {
                previous.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // It finished on its own meanwhile.
            }
        }

        return connection;
    }

    public void Detach(CancellationTokenSource connection)
    {
        LastActive = time.GetUtcNow();
        Interlocked.CompareExchange(ref _connection, null, connection);
    }

    public void Subscribe(IReadOnlyList<ContextId> ids)
    {
        foreach (var id in ids)
        {
            _contexts[id] = 0;
        }

        Subscription.Subscribe(ids);
        LastActive = time.GetUtcNow();
    }

    public void Unsubscribe(IReadOnlyList<ContextId> ids)
    {
        foreach (var id in ids)
        {
            _contexts.TryRemove(id, out _);
        }

        Subscription.Unsubscribe(ids);
        LastActive = time.GetUtcNow();
    }

    /// <summary>Drops what queued while no one listened, advancing the counter so the client sees the gap.</summary>
    public void SkipMissed()
    {
        while (Subscription.Events.TryRead(out _))
        {
            NextEventNumber();
        }
    }

    public void Dispose() => Subscription.Dispose();
}
