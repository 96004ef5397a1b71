namespace Mero.Runtime;

/// <summary>
/// Node services one call may use, handed in per call so the runtime stays below the node.
/// Every member is optional: a missing service makes its host functions report "unavailable"
/// the way upstream does without a node client (0 for private storage, a trap for blobs).
/// </summary>
public sealed record RuntimeServices
{
    /// <summary>Services for a bare engine: no private storage, no blobs, system clock, OS randomness, fetch off.</summary>
    public static RuntimeServices None { get; } = new();

    /// <summary>Node-local key-value store behind private_storage_*; never replicated.</summary>
    public IRuntimeStorage? PrivateStorage { get; init; }

    /// <summary>
    /// Node-local ordered index behind storage_index_*; never replicated. Without one the index
    /// writes return 0 ("not persisted") and reads find nothing, which SDK collections answer by
    /// rebuilding from synchronized state, as upstream designs for backends without an index.
    /// </summary>
    public IRuntimeOrderedIndex? OrderedIndex { get; init; }

    /// <summary>Content-addressed blob store behind blob_*.</summary>
    public IRuntimeBlobStore? Blobs { get; init; }

    /// <summary>Membership queries for context_is_member / context_members.</summary>
    public IContextMembership? Membership { get; init; }

    /// <summary>Wall clock for time_now.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Source for random_bytes; null means the OS CSPRNG. Tests pass a seeded one.</summary>
    public Random? Random { get; init; }

    /// <summary>Whether and where the guest may make HTTP requests; off by default.</summary>
    public FetchPolicy Fetch { get; init; } = FetchPolicy.Disabled;

    /// <summary>Set when this call was dispatched by an xcall: the calling context (32 bytes).</summary>
    public byte[]? XCallOrigin { get; init; }
}

/// <summary>Answers membership questions about the executing context.</summary>
public interface IContextMembership
{
    bool IsMember(ReadOnlySpan<byte> publicKey);

    IReadOnlyList<byte[]> Members();
}
