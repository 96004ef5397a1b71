using Mero.Primitives;
using Mero.Store;

namespace Mero.Node.Contexts;

/// <summary>A member identity of a context; <see cref="Seed"/> is set when this node owns the key.</summary>
public sealed record ContextIdentity(PublicKey PublicKey, byte[]? Seed)
{
    public bool IsOwned => Seed is not null;
}

/// <summary>Members of contexts in <c>Column.Identity</c>, keyed ContextId ‖ PublicKey.</summary>
public static class ContextIdentities
{
    private const byte SchemaVersion = 1;

    public static void Put(StoreBatch batch, ContextId context, ContextIdentity identity)
    {
        var value = new BorshWriter()
            .WriteU8(SchemaVersion)
            .WriteOption(identity.Seed, static (w, seed) => w.WriteFixed(seed))
            .ToArray();
        batch.Put(Column.Identity, StoreKeys.Compose(context.AsSpan(), identity.PublicKey.AsSpan()), value);
    }

    public static IReadOnlyList<ContextIdentity> List(MeroStore store, ContextId context)
    {
        var identities = new List<ContextIdentity>();
        foreach (var (key, value) in store.Scan(Column.Identity, context.ToArray()))
        {
            var reader = new BorshReader(value);
            if (reader.ReadU8() != SchemaVersion)
            {
                throw new BorshException("unknown identity record version");
            }

            var seed = reader.ReadOptionTag() ? reader.ReadFixed(32).ToArray() : null;
            identities.Add(new ContextIdentity(PublicKey.FromBytes(key.AsSpan(32)), seed));
        }

        return identities;
    }
}
