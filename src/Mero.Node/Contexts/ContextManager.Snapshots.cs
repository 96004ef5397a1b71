using Mero.Node.Events;
using Mero.Node.Replication;
using Mero.Primitives;
using Mero.Store;
using Microsoft.Extensions.Logging;

namespace Mero.Node.Contexts;

/// <summary>
/// A context frozen for sending: the store as of one commit, with the root and heads of that same
/// commit. Pages are read from <see cref="View"/> while the node keeps writing; dispose to release it.
/// </summary>
public sealed record ContextSnapshotSource(ContextId ContextId, Hash RootHash, IReadOnlyList<Hash> Heads, StoreSnapshot View) : IDisposable
{
    public void Dispose() => View.Dispose();
}

/// <summary>
/// A received snapshot ready to install: its records and contained op ids already in sorted files
/// (written as pages arrived), and the root and heads it reached.
/// </summary>
public sealed record ContextSnapshotInstall(ContextSnapshotReceiver Received, Hash RootHash, IReadOnlyList<Hash> Heads)
{
    public ContextId ContextId => Received.ContextId;
}

public sealed partial class ContextManager
{
    private const string IncomingDirectory = "incoming";

    /// <summary>Freezes a context for a snapshot; null if this node has not joined it.</summary>
    public async Task<ContextSnapshotSource?> OpenSnapshotAsync(ContextId contextId, CancellationToken ct)
    {
        var command = new OpenSnapshotCommand(contextId, ct);
        try
        {
            return await SendAsync(command, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The loop may still open it for nobody: a store snapshot left pinned would outlive the store.
            _ = command.Completion.Task.ContinueWith(static opened => opened.Result?.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
    }

    /// <summary>
    /// Starts receiving a snapshot into sorted files beside the store (same file system, so
    /// installing them is a rename). Not on the loop: each receiver belongs to one fetch.
    /// </summary>
    public ContextSnapshotReceiver CreateSnapshotReceiver(ContextId contextId)
    {
        var directory = Path.Combine(_store.Path, IncomingDirectory);
        Directory.CreateDirectory(directory);
        return new ContextSnapshotReceiver(contextId, () => MeroStore.CreateSortedFile(Path.Combine(directory, $"{contextId}-{Guid.NewGuid():N}.sst")));
    }

    /// <summary>Replaces the state of a context that has no ops yet with a peer's snapshot; false if refused.</summary>
    public Task<bool> InstallSnapshotAsync(ContextSnapshotInstall snapshot, CancellationToken ct) =>
        SendAsync(new InstallSnapshotCommand(snapshot, ct), ct);

    /// <summary>Snapshot files left by a node that stopped while receiving are never going to be installed.</summary>
    private void SweepIncomingSnapshots()
    {
        var directory = Path.Combine(_store.Path, IncomingDirectory);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private ContextSnapshotSource? OpenSnapshot(ContextId contextId) =>
        Get(contextId) is { } context
            ? new ContextSnapshotSource(contextId, context.RootHash, [.. HeadsOf(contextId).Order()], _store.Snapshot())
            : null;

    /// <summary>
    /// Four steps, each atomic: clear any old state, ingest the records, ingest the checkpoints, then
    /// one batch with the heads (checkpointed too) and root. A crash before the last leaves an empty
    /// DAG with a root that does not match, so the next sync takes the snapshot again (over whatever
    /// was ingested).
    /// </summary>
    private bool Install(ContextSnapshotInstall snapshot)
    {
        if (Get(snapshot.ContextId) is not { } context || HeadsOf(snapshot.ContextId).Count > 0)
        {
            return false;
        }

        // Checked before the old state is cleared: a refused snapshot changes nothing here.
        if (snapshot.Received.Verify(snapshot.RootHash) is { } reason)
        {
            LogSnapshotRefused(_logger, snapshot.ContextId.ToString(), reason);
            return false;
        }

        var prefix = snapshot.ContextId.ToArray();
        var end = StoreRange.EndOfPrefix(prefix);
        bool hasState;
        using (var existing = _store.Range(Column.State, prefix, end))
        {
            hasState = existing.MoveNext();
        }

        if (hasState)
        {
            using var clear = _store.CreateBatch();
            clear.DeleteRange(Column.State, prefix, end!);
            _store.Commit(clear);
        }

        snapshot.Received.IngestInto(_store);
        using var batch = _store.CreateBatch();
        foreach (var head in snapshot.Heads)
        {
            ContextOpLog.PutCheckpoint(batch, snapshot.ContextId, head);
        }

        ContextOpLog.PutHeads(batch, snapshot.ContextId, snapshot.Heads);
        batch.Put(Column.Context, snapshot.ContextId.AsSpan(), (context with { RootHash = snapshot.RootHash }).Encode());
        _store.Commit(batch);
        CommitHeads(snapshot.ContextId, snapshot.Heads);
        _mergedAheadOfDag.Remove(snapshot.ContextId);
        LogSnapshotInstalled(_logger, snapshot.ContextId.ToString(), snapshot.Received.RecordCount, snapshot.RootHash.ToString());
        _events?.Publish(new ContextEvent(snapshot.ContextId, snapshot.RootHash, []));

        // Ops that waited on something the snapshot contains can go now.
        ReleaseKnownParents(snapshot.ContextId);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Installed a snapshot of {ContextId}: {Records} records, root {Root}")]
    private static partial void LogSnapshotInstalled(ILogger logger, string contextId, long records, string root);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a snapshot of {ContextId}: {Reason}")]
    private static partial void LogSnapshotRefused(ILogger logger, string contextId, string reason);
}

internal sealed record OpenSnapshotCommand(ContextId ContextId, CancellationToken Token) : ContextCommand<ContextSnapshotSource?>;

internal sealed record InstallSnapshotCommand(ContextSnapshotInstall Snapshot, CancellationToken Token) : ContextCommand<bool>;
