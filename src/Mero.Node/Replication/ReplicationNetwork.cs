namespace Mero.Node.Replication;

/// <summary>
/// Hands replication consumers the node's transport and topic router once the network is up.
/// In merod the swarm completes it at start (or with null when the node runs without a swarm);
/// tests complete it with a simulated transport.
/// </summary>
public sealed class ReplicationNetwork
{
    private readonly TaskCompletionSource<TopicRouter?> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The router, or null if this node is off the network.</summary>
    public Task<TopicRouter?> WhenReadyAsync(CancellationToken ct) => _ready.Task.WaitAsync(ct);

    public void Attach(TopicRouter? router) => _ready.TrySetResult(router);

    /// <summary>The router if the network is already up.</summary>
    public TopicRouter? Current => _ready.Task.IsCompletedSuccessfully ? _ready.Task.Result : null;
}
