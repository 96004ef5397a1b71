using Mero.Primitives;
using Microsoft.Extensions.Logging;

namespace Mero.Node.Replication;

/// <summary>What one explicit sync round did for one context.</summary>
public sealed record ExplicitSyncResult(ContextId ContextId, ExplicitSyncStatus Status, int PeersAsked, int PeersOk);

public enum ExplicitSyncStatus
{
    /// <summary>At least one peer answered and we took what it had.</summary>
    Synced,

    /// <summary>Peers share the topic but none answered usefully.</summary>
    Failed,

    /// <summary>Nobody else is on the context's topic: nothing to do, not an error.</summary>
    NoPeers,

    /// <summary>The node runs without a swarm.</summary>
    Offline,
}

/// <summary>Operator-requested sync (<c>POST /admin-api/contexts/sync</c>): one round with every peer on each context's topic.</summary>
public sealed partial class ReplicationService
{
    /// <summary>How long an explicit round waits for a background sync of the same context to finish first.</summary>
    private static readonly TimeSpan InFlightWait = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Syncs each context with every peer subscribed to its topic, one after another, and reports
    /// per context. Unlike gossip-triggered syncs it waits for one already in flight rather than
    /// skipping, so when it returns the node holds what the answering peers had.
    /// </summary>
    public async Task<IReadOnlyList<ExplicitSyncResult>> SyncNowAsync(IReadOnlyList<ContextId> contexts, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        var results = new List<ExplicitSyncResult>(contexts.Count);
        var transport = _transport;
        foreach (var context in contexts)
        {
            if (transport is null)
            {
                results.Add(new ExplicitSyncResult(context, ExplicitSyncStatus.Offline, 0, 0));
                continue;
            }

            var peers = await transport.TopicPeersAsync(TopicOf(context), ct).ConfigureAwait(false);
            var ok = 0;
            foreach (var peer in peers)
            {
                await WaitForInFlightAsync(context, ct).ConfigureAwait(false);
                if (await SyncAsync(context, peer, ct).ConfigureAwait(false))
                {
                    ok++;
                }
            }

            var status = peers.Count == 0 ? ExplicitSyncStatus.NoPeers : ok > 0 ? ExplicitSyncStatus.Synced : ExplicitSyncStatus.Failed;
            LogExplicitSync(_logger, context.ToString(), status, peers.Count, ok);
            results.Add(new ExplicitSyncResult(context, status, peers.Count, ok));
        }

        return results;
    }

    private async Task WaitForInFlightAsync(ContextId context, CancellationToken ct)
    {
        // SyncAsync returns at once when another sync of the context runs; an operator asked for a
        // real round, so let that one finish (bounded, the other may be a long snapshot).
        var deadline = _time.GetUtcNow() + InFlightWait;
        while (_syncing.ContainsKey(context) && _time.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), _time, ct).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "explicit sync of {ContextId}: {Status}, {PeersOk}/{PeersAsked} peers answered")]
    private static partial void LogExplicitSync(ILogger logger, string contextId, ExplicitSyncStatus status, int peersAsked, int peersOk);
}
