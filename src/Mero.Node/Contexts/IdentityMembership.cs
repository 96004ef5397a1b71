using Mero.Runtime;
using Mero.Store;

namespace Mero.Node.Contexts;

/// <summary>Answers context_is_member / context_members from the context's identity records.</summary>
internal sealed class IdentityMembership(MeroStore store, ContextId context) : IContextMembership
{
    public bool IsMember(ReadOnlySpan<byte> publicKey) =>
        publicKey.Length == 32 && store.Has(Column.Identity, StoreKeys.Compose(context.AsSpan(), publicKey));

    public IReadOnlyList<byte[]> Members() => [.. ContextIdentities.List(store, context).Select(i => i.PublicKey.ToArray())];
}
