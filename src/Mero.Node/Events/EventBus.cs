using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mero.Node.Events;

/// <summary>
/// Fans committed context events out to subscribers (WebSocket and SSE sessions). One mailbox and
/// one loop own the subscription table. Each subscriber has a bounded queue: a subscriber that
/// does not keep up loses events (counted in <see cref="EventSubscription.Dropped"/>) rather than
/// slowing the node, the same skip-on-overflow contract upstream's streams give.
/// </summary>
public sealed partial class EventBus(ILogger<EventBus> logger) : BackgroundService
{
    public const int DefaultQueueCapacity = 1024;

    private readonly Channel<BusCommand> _mailbox = Channel.CreateUnbounded<BusCommand>(new UnboundedChannelOptions { SingleReader = true });

    public void Publish(ContextEvent contextEvent) => _mailbox.Writer.TryWrite(new PublishCommand(contextEvent));

    /// <summary>A new subscription with no contexts; add some with <see cref="EventSubscription.Subscribe"/>.</summary>
    public EventSubscription Subscribe(int capacity = DefaultQueueCapacity) => new(this, capacity);

    internal void Post(BusCommand command) => _mailbox.Writer.TryWrite(command);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var byContext = new Dictionary<ContextId, HashSet<EventSubscription>>();
        try
        {
            await foreach (var command in _mailbox.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                switch (command)
                {
                    case PublishCommand publish when byContext.TryGetValue(publish.Event.ContextId, out var subscribers):
                        foreach (var subscriber in subscribers)
                        {
                            subscriber.Deliver(publish.Event);
                        }

                        break;
                    case AddContextsCommand add:
                        foreach (var id in add.ContextIds)
                        {
                            if (!byContext.TryGetValue(id, out var set))
                            {
                                byContext[id] = set = [];
                            }

                            set.Add(add.Subscription);
                        }

                        break;
                    case RemoveContextsCommand remove:
                        foreach (var id in remove.ContextIds ?? [.. byContext.Keys])
                        {
                            if (byContext.TryGetValue(id, out var set) && set.Remove(remove.Subscription) && set.Count == 0)
                            {
                                byContext.Remove(id);
                            }
                        }

                        break;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            LogStopped(logger, byContext.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "event bus stopped with {Contexts} subscribed contexts")]
    private static partial void LogStopped(ILogger logger, int contexts);
}

internal abstract record BusCommand;

internal sealed record PublishCommand(ContextEvent Event) : BusCommand;

internal sealed record AddContextsCommand(EventSubscription Subscription, IReadOnlyList<ContextId> ContextIds) : BusCommand;

/// <summary>Null context ids removes the subscription from every context.</summary>
internal sealed record RemoveContextsCommand(EventSubscription Subscription, IReadOnlyList<ContextId>? ContextIds) : BusCommand;
