using Mero.Runtime;

namespace Mero.Node.Contexts;

/// <summary>A context the node just created, with the identity it made for itself.</summary>
public sealed record CreatedContext(ContextId ContextId, PublicKey MemberPublicKey, Hash RootHash);

/// <summary>The result of one execute: the runtime's outcome, the state root after it and the CRDT delta it produced (null if state did not change).</summary>
public sealed record ExecutionReport(ContextId ContextId, PublicKey Executor, Outcome Outcome, Hash RootHash, int StateChanges, Mero.State.Crdt.CrdtDelta? Delta = null);

/// <summary>Messages to the context manager's mailbox; each carries the promise its caller awaits.</summary>
internal abstract record ContextCommand
{
    public abstract void Fail(Exception error);

    public abstract void Cancel();
}

internal abstract record ContextCommand<T> : ContextCommand
{
    public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Fail(Exception error) => Completion.TrySetException(error);

    public override void Cancel() => Completion.TrySetCanceled();
}

internal sealed record CreateContextCommand(ApplicationId ApplicationId, byte[] InitArgs, Hash? Seed, string? Name, CancellationToken Token)
    : ContextCommand<CreatedContext>
{
    /// <summary>The member identity to create the context as; null makes a fresh key.</summary>
    public byte[]? MemberSeed { get; init; }
}

internal sealed record JoinContextCommand(ContextId ContextId, ApplicationId ApplicationId, byte[] MemberSeed, CancellationToken Token) : ContextCommand<bool>;

internal sealed record ExecuteCommand(ContextId ContextId, string Method, byte[] Input, PublicKey? Executor, CancellationToken Token)
    : ContextCommand<ExecutionReport>
{
    /// <summary>Set when the call was queued by an xcall from this context.</summary>
    public ContextId? XCallOrigin { get; init; }

    /// <summary>How many xcalls led to this one (0 for a call from a client).</summary>
    public int XCallDepth { get; init; }
}

internal sealed record DeleteContextCommand(ContextId ContextId, CancellationToken Token) : ContextCommand<bool>;
