namespace Mero.Runtime;

/// <summary>An event the guest emitted; <see cref="Handler"/> names a method receivers should run with its data.</summary>
public sealed record RuntimeEvent(string Kind, byte[] Data, string? Handler = null);

/// <summary>A call queued with <c>xcall</c>: run <see cref="Function"/> on context <see cref="ContextId"/> after commit.</summary>
public sealed record XCall(byte[] ContextId, string Function, byte[] Params);

/// <summary>A request from blob_announce_to_context: tell <see cref="ContextId"/>'s members this node has blob <see cref="BlobId"/>.</summary>
public sealed record BlobAnnouncement(byte[] BlobId, byte[] ContextId);

/// <summary>What the guest passed to <c>commit</c>: its own root hash and delta artifact.</summary>
public sealed record CommitRecord(byte[] RootHash, byte[] Artifact);

/// <summary>
/// The result of one execution. Logs and events are kept even when the call failed; the return
/// value, xcalls, context mutations and commit only matter when it succeeded, and the node
/// acts on them only then.
/// </summary>
public sealed class Outcome
{
    public bool Success => Error is null;

    /// <summary>Bytes from value_return(Ok); null if the guest never returned a value.</summary>
    public byte[]? ReturnValue { get; init; }

    public FunctionCallError? Error { get; init; }

    public IReadOnlyList<string> Logs { get; init; } = [];

    public IReadOnlyList<RuntimeEvent> Events { get; init; } = [];

    public IReadOnlyList<XCall> XCalls { get; init; } = [];

    public IReadOnlyList<ContextMutation> ContextMutations { get; init; } = [];

    public CommitRecord? Commit { get; init; }

    public IReadOnlyList<BlobAnnouncement> BlobAnnouncements { get; init; } = [];

    /// <summary>Bytes from emit_migration_witness (last call wins); transient, never written to storage.</summary>
    public byte[]? MigrationWitness { get; init; }

    public long FuelUsed { get; init; }

    public TimeSpan Elapsed { get; init; }
}
