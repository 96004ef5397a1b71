using System.Threading.Channels;

namespace Mero.Node.Replication;

/// <summary>What the context manager tells replication after a commit.</summary>
public abstract record ReplicationNotice
{
    /// <summary>A local op committed: publish it.</summary>
    public sealed record OpCommitted(ContextOp Op) : ReplicationNotice;

    /// <summary>This node joined (or created) a context: follow its topic and fetch its state.</summary>
    public sealed record ContextFollowed(ContextId ContextId) : ReplicationNotice;

    /// <summary>This node left (or deleted) the context's namespace: drop its topic and heartbeats.</summary>
    public sealed record ContextUnfollowed(ContextId ContextId) : ReplicationNotice;
}

/// <summary>
/// The context manager's hand-off to replication: it never waits on the network. Bounded; when
/// replication falls behind, the oldest notices go first (heartbeats and sync repair the gap).
/// </summary>
public sealed class ReplicationOutbox
{
    private readonly Channel<ReplicationNotice> _channel = Channel.CreateBounded<ReplicationNotice>(
        new BoundedChannelOptions(65_536) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });

    public ChannelReader<ReplicationNotice> Reader => _channel.Reader;

    public void Post(ReplicationNotice notice) => _channel.Writer.TryWrite(notice);
}
