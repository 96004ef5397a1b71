using Mero.Node.Aliases;
using Mero.Node.Replication;
using Mero.Store;
using Microsoft.Extensions.Logging;

namespace Mero.Node.Contexts;

/// <summary>How a local leave ended.</summary>
public enum LeaveStatus
{
    Left,
    NotFound,

    /// <summary>The node holds no key in the context (never joined here, or already left).</summary>
    NotMember,
}

public sealed record LeaveResult(LeaveStatus Status, PublicKey? MemberPublicKey = null);

/// <summary>
/// Node-local housekeeping: leaving a context without a governance op, and what a context occupies.
/// A leave, as upstream: drops every identity row whose key this node holds, writes a "left"
/// marker (so a restart does not follow it again) and unsubscribes from the context's topic. The
/// context record, its state and its DAG stay, so it can still be read; writes are refused since
/// no owned member is left to sign them. Joining the context again clears the marker.
/// </summary>
public sealed partial class ContextManager
{
    private static readonly byte[] LeftPrefix = "ctx/left/"u8.ToArray();

    public Task<LeaveResult> LeaveAsync(ContextId contextId, CancellationToken ct) =>
        SendAsync(new LeaveContextCommand(contextId, ct), ct);

    /// <summary>True once this node left the context locally (and has not joined it again).</summary>
    public bool HasLeft(ContextId contextId) => _store.Has(Column.Meta, LeftKey(contextId));

    /// <summary>Bytes (keys and values) the context's record, state, private state, members and DAG occupy; null when unknown.</summary>
    public long? StorageSize(ContextId contextId)
    {
        if (_store.Get(Column.Context, contextId.AsSpan()) is not { } record)
        {
            return null;
        }

        long size = contextId.AsSpan().Length + record.Length;
        foreach (var column in new[] { Column.State, Column.PrivateState, Column.Identity, Column.Delta })
        {
            foreach (var (key, value) in _store.Scan(column, contextId.ToArray()))
            {
                size += key.Length + value.Length;
            }
        }

        return size;
    }

    private LeaveResult Leave(ContextId contextId)
    {
        if (Get(contextId) is null)
        {
            return new LeaveResult(LeaveStatus.NotFound);
        }

        var owned = Identities(contextId).Where(i => i.IsOwned).ToList();
        if (owned.Count == 0)
        {
            return new LeaveResult(LeaveStatus.NotMember);
        }

        using var batch = _store.CreateBatch();
        foreach (var identity in owned)
        {
            batch.Delete(Column.Identity, StoreKeys.Compose(contextId.AsSpan(), identity.PublicKey.AsSpan()));
        }

        batch.Put(Column.Meta, LeftKey(contextId), BitConverter.GetBytes(_time.GetUtcNow().ToUnixTimeMilliseconds()));
        _store.Commit(batch);
        _outbox?.Post(new ReplicationNotice.ContextUnfollowed(contextId));
        LogLeft(_logger, contextId.ToString(), owned.Count);
        return new LeaveResult(LeaveStatus.Left, owned[0].PublicKey);
    }

    /// <summary>What <see cref="Delete"/> adds to its batch: the left marker and every alias naming the context.</summary>
    private void ForgetLocalRecords(StoreBatch batch, ContextId contextId)
    {
        batch.Delete(Column.Meta, LeftKey(contextId));
        AliasStore.DeleteTargeting(_store, batch, AliasKind.Context, contextId.AsSpan());
    }

    private static byte[] LeftKey(ContextId contextId) => [.. LeftPrefix, .. contextId.AsSpan()];

    [LoggerMessage(Level = LogLevel.Information, Message = "Left context {ContextId} locally ({Identities} owned identities dropped, data kept)")]
    private static partial void LogLeft(ILogger logger, string contextId, int identities);
}

internal sealed record LeaveContextCommand(ContextId ContextId, CancellationToken Token) : ContextCommand<LeaveResult>;
