namespace Mero.Store;

/// <summary>The RocksDB column families; each holds one kind of record, keyed by the layer that owns it.</summary>
public enum Column
{
    /// <summary>Node-level records: schema version, node identity.</summary>
    Meta,

    /// <summary>Installed application metadata, keyed by ApplicationId.</summary>
    Application,

    /// <summary>Blob bytes, keyed by BlobId.</summary>
    Blob,

    /// <summary>Context metadata (application, root hash, heads), keyed by ContextId.</summary>
    Context,

    /// <summary>Context member identities (and the keys this node owns), keyed by ContextId ‖ PublicKey.</summary>
    Identity,

    /// <summary>Replicated application state, keyed by ContextId ‖ state key.</summary>
    State,

    /// <summary>Node-local application state that never replicates, keyed by ContextId ‖ key.</summary>
    PrivateState,

    /// <summary>Causal deltas of context DAGs.</summary>
    Delta,

    /// <summary>Governance: groups, members, op logs.</summary>
    Group,
}
