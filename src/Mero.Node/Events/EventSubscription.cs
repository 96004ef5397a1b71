using System.Threading.Channels;

namespace Mero.Node.Events;

/// <summary>One subscriber's view of the bus: a bounded queue of events for the contexts it chose.</summary>
public sealed class EventSubscription : IDisposable
{
    private readonly EventBus _bus;
    private readonly Channel<ContextEvent> _queue;
    private long _dropped;
    private int _disposed;

    internal EventSubscription(EventBus bus, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _bus = bus;
        _queue = Channel.CreateBounded<ContextEvent>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails when full, which is how drops are counted
        });
    }

    public ChannelReader<ContextEvent> Events => _queue.Reader;

    /// <summary>Events this subscriber lost because its queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Subscribe(IReadOnlyList<ContextId> contextIds) => _bus.Post(new AddContextsCommand(this, contextIds));

    public void Unsubscribe(IReadOnlyList<ContextId> contextIds) => _bus.Post(new RemoveContextsCommand(this, contextIds));

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _bus.Post(new RemoveContextsCommand(this, null));
            _queue.Writer.TryComplete();
        }
    }

    internal void Deliver(ContextEvent contextEvent)
    {
        if (!_queue.Writer.TryWrite(contextEvent) && Volatile.Read(ref _disposed) == 0)
        {
            Interlocked.Increment(ref _dropped);
        }
    }
}
