namespace Mero.Runtime;

/// <summary>
/// A change to contexts or membership requested by the guest. Queued during the call and
/// applied by the node only after the call succeeded and its state committed.
/// </summary>
public abstract record ContextMutation
{
    private ContextMutation()
    {
    }

    public sealed record CreateContext(string Protocol, byte[] ApplicationId, byte[] InitArgs, string? Alias) : ContextMutation;

    public sealed record DeleteContext(byte[] ContextId) : ContextMutation;

    public sealed record AddMember(byte[] PublicKey) : ContextMutation;

    public sealed record RemoveMember(byte[] PublicKey) : ContextMutation;
}
