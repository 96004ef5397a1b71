using Mero.Runtime;
using Mero.Store;
using Microsoft.Extensions.Logging;

namespace Mero.Node.Contexts;

/// <summary>
/// What a call may use beyond its state (private storage, blobs, membership, clock, fetch policy)
/// and what the node does after a call committed: context mutations first, then queued xcalls.
/// </summary>
public sealed partial class ContextManager
{
    private RuntimeServices ServicesFor(ContextId contextId, PrivateStateStorage privateState, ContextId? xcallOrigin) => new()
    {
        PrivateStorage = privateState,
        Blobs = _blobs,
        Membership = new IdentityMembership(_store, contextId),
        Clock = _time,
        Fetch = _fetchPolicy,
        XCallOrigin = xcallOrigin?.ToArray(),
    };

    /// <summary>Longest chain of xcalls started by one client call; stops contexts calling each other forever.</summary>
    public const int MaxXCallDepth = 8;

    /// <summary>Runs after the call's batch committed; failures here never undo the call.</summary>
    private void AfterCommit(ContextId source, Outcome outcome, int depth)
    {
        foreach (var mutation in outcome.ContextMutations)
        {
            try
            {
                Apply(source, mutation);
            }
            catch (Exception e) when (e is NodeException or ArgumentException or FormatException or InvalidOperationException)
            {
                LogMutationFailed(_logger, source.ToString(), mutation.GetType().Name, e.Message);
            }
        }

        foreach (var call in outcome.XCalls)
        {
            QueueXCall(source, call, depth + 1);
        }
    }

    private void Apply(ContextId source, ContextMutation mutation)
    {
        switch (mutation)
        {
            case ContextMutation.AddMember add:
                if (!_store.Has(Column.Identity, StoreKeys.Compose(source.AsSpan(), add.PublicKey)))
                {
                    using var batch = _store.CreateBatch();
                    ContextIdentities.Put(batch, source, new ContextIdentity(PublicKey.FromBytes(add.PublicKey), null));
                    _store.Commit(batch);
                }

                break;
            case ContextMutation.RemoveMember remove:
                using (var batch = _store.CreateBatch())
                {
                    batch.Delete(Column.Identity, StoreKeys.Compose(source.AsSpan(), remove.PublicKey));
                    _store.Commit(batch);
                }

                break;
            case ContextMutation.DeleteContext delete:
                // Without governance to say who may delete what, a context may delete only itself.
                var target = ContextId.FromBytes(delete.ContextId);
                if (target != source)
                {
                    throw new NodeException(NodeErrorKind.Unauthorized, $"context {source} may not delete context {target}: only itself");
                }

                Delete(target);
                break;
            case ContextMutation.CreateContext create:
                Create(new CreateContextCommand(ApplicationId.FromBytes(create.ApplicationId), create.InitArgs, null, create.Alias, CancellationToken.None));
                break;
        }

        LogMutationApplied(_logger, source.ToString(), mutation.GetType().Name);
    }

    /// <summary>
    /// Runs the xcall later, through the mailbox, as this node's member of the target context; it
    /// has no return value and its failure is only logged.
    /// </summary>
    private void QueueXCall(ContextId source, XCall call, int depth)
    {
        var target = ContextId.FromBytes(call.ContextId);
        if (depth > MaxXCallDepth)
        {
            LogXCallFailed(_logger, source.ToString(), target.ToString(), call.Function, $"xcall chain deeper than {MaxXCallDepth}");
            return;
        }

        var command = new ExecuteCommand(target, call.Function, call.Params, null, CancellationToken.None) { XCallOrigin = source, XCallDepth = depth };
        QueueFollowUp(command, reason => LogXCallFailed(_logger, source.ToString(), target.ToString(), call.Function, reason));
    }

    /// <summary>
    /// Queues an execute the node starts itself (an xcall, an event handler) behind the current
    /// command; nobody awaits it, so a failure, a full mailbox included, only reaches <paramref name="failed"/>.
    /// </summary>
    private void QueueFollowUp(ExecuteCommand command, Action<string> failed)
    {
        if (!_mailbox.Writer.TryWrite(command))
        {
            failed("the context mailbox is full");
            return;
        }

        _ = command.Completion.Task.ContinueWith(
            task =>
            {
                var reason = task.IsFaulted ? task.Exception!.GetBaseException().Message
                    : task.IsCanceled ? "cancelled"
                    : task.Result.Outcome.Error?.ToString();
                if (reason is not null)
                {
                    failed(reason);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "xcall from {Source} to {Target}.{Function} failed: {Reason}")]
    private static partial void LogXCallFailed(ILogger logger, string source, string target, string function, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Context {ContextId} applied mutation {Mutation}")]
    private static partial void LogMutationApplied(ILogger logger, string contextId, string mutation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Context {ContextId} could not apply mutation {Mutation}: {Reason}")]
    private static partial void LogMutationFailed(ILogger logger, string contextId, string mutation, string reason);
}
