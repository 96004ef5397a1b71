using Mero.Node.Contexts;

namespace Mero.Node.Governance;

/// <summary>
/// The context operations governance drives: create a namespace's context as the node's
/// namespace identity, and record a context joined through governance. <see cref="ContextManager"/>
/// implements them in the node; tests substitute a recorder.
/// </summary>
public interface IGovernedContexts
{
    Task<CreatedContext> CreateAsync(ApplicationId applicationId, byte[]? initArgs, string? name, byte[] memberSeed, CancellationToken ct);

    Task<bool> JoinAsync(ContextId contextId, ApplicationId applicationId, byte[] memberSeed, CancellationToken ct);

    /// <summary>Removes this node's copy of a context (namespace delete); false when it held none.</summary>
    Task<bool> DeleteAsync(ContextId contextId, CancellationToken ct);
}

/// <summary>
/// The node's implementation over <see cref="ContextManager"/>, resolved on first use: the context
/// manager takes the context authority, which reads governance, so a constructor dependency would be a cycle.
/// </summary>
public sealed class ManagedGovernedContexts(Func<ContextManager> contexts) : IGovernedContexts
{
    public Task<CreatedContext> CreateAsync(ApplicationId applicationId, byte[]? initArgs, string? name, byte[] memberSeed, CancellationToken ct) =>
        contexts().CreateAsync(applicationId, initArgs, null, name, memberSeed, ct);

    public Task<bool> JoinAsync(ContextId contextId, ApplicationId applicationId, byte[] memberSeed, CancellationToken ct) =>
        contexts().JoinAsync(contextId, applicationId, memberSeed, ct);

    public Task<bool> DeleteAsync(ContextId contextId, CancellationToken ct) =>
        contexts().DeleteAsync(contextId, ct);
}
