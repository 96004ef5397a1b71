using System.Text.Json;
using Mero.Governance;

namespace Mero.Node.Governance;

/// <summary>A metadata record as upstream's admin API shows it: a display name and opaque string properties.</summary>
public sealed record MetadataView(string? Name, IReadOnlyDictionary<string, string> Data);

/// <summary>
/// Reparent, ownership transfer and metadata records (docs/governance.md "Structure and metadata").
/// Each is one signed op validated by the engine at its causal cut and gossiped like the others.
/// </summary>
public sealed partial class GovernanceService
{
    /// <summary>Moves a subgroup under <paramref name="newParent"/>; false when it already is there (no op issued).</summary>
    public async Task<bool> ReparentGroupAsync(GroupId group, GroupId newParent, CancellationToken ct)
    {
        if (Follows(group))
        {
            throw new NodeException(NodeErrorKind.InvalidInput, $"{group} is a namespace root: it has no parent");
        }

        var ns = await NamespaceOfAsync(group, ct).ConfigureAwait(false);
        var parent = await _actor.QueryAsync(ns, e => e.State.Group(group)?.Parent, ct).ConfigureAwait(false);
        if (parent == newParent)
        {
            return false;
        }

        await IssueAsync(ns, new ReparentGroupOp(group, newParent), ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>Hands ownership of a group (or namespace root) to a direct member; only the owner may.</summary>
    public async Task TransferOwnershipAsync(GroupId group, PublicKey newOwner, CancellationToken ct)
    {
        var ns = await NamespaceOfAsync(group, ct).ConfigureAwait(false);
        await IssueAsync(ns, new TransferOwnershipOp(group, newOwner), ct).ConfigureAwait(false);
    }

    /// <summary>The group's owner key.</summary>
    public async Task<PublicKey> OwnerAsync(GroupId group, CancellationToken ct)
    {
        var ns = await NamespaceOfAsync(group, ct).ConfigureAwait(false);
        return await _actor.QueryAsync(ns, e => e.State.Group(group)!.Owner, ct).ConfigureAwait(false);
    }

    /// <summary>The metadata record of a group, one of its members or one of its contexts; null when never set.</summary>
    public async Task<MetadataView?> GetMetadataAsync(GroupId group, MetadataTarget kind, byte[] targetId, CancellationToken ct)
    {
        var ns = await NamespaceOfAsync(group, ct).ConfigureAwait(false);
        var (exists, stored) = await _actor.QueryAsync(ns, e => (kind switch
        {
            MetadataTarget.Member => e.State.Member(group, PublicKey.FromBytes(targetId)) is not null,
            MetadataTarget.Context => e.State.ContextGroup(ContextId.FromBytes(targetId)) == group,
            _ => true,
        }, e.State.Metadata(group, kind, targetId)), ct).ConfigureAwait(false);
        if (!exists)
        {
            throw new NodeException(NodeErrorKind.NotFound, $"no {kind.ToString().ToLowerInvariant()} with that id in group {group}");
        }

        return stored is null ? null : DecodeMetadata(stored);
    }

    /// <summary>
    /// Replaces a metadata record. A null name keeps the current one (upstream's "absent field keeps
    /// the current name"); the data map is replaced. Size and name are checked here, rights by the engine.
    /// </summary>
    public async Task<MetadataView> SetMetadataAsync(GroupId group, MetadataTarget kind, byte[] targetId, string? name, IReadOnlyDictionary<string, string> data, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (name is not null && (name.Trim().Length == 0 || System.Text.Encoding.UTF8.GetByteCount(name) > GovernanceDefaults.MaxAliasBytes))
        {
            throw new NodeException(NodeErrorKind.InvalidInput, $"name must be non-empty and at most {GovernanceDefaults.MaxAliasBytes} bytes");
        }

        var ns = await NamespaceOfAsync(group, ct).ConfigureAwait(false);
        var current = await _actor.QueryAsync(ns, e => e.State.Metadata(group, kind, targetId), ct).ConfigureAwait(false);
        var record = new MetadataView(name ?? (current is null ? null : DecodeMetadata(current).Name), new SortedDictionary<string, string>(data.ToDictionary(), StringComparer.Ordinal));
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new StoredMetadata(record.Name, record.Data));
        if (bytes.Length > GovernanceDefaults.MaxMetadataBytes)
        {
            throw new NodeException(NodeErrorKind.InvalidInput, $"metadata is {bytes.Length} bytes encoded; at most {GovernanceDefaults.MaxMetadataBytes}");
        }

        await IssueAsync(ns, new SetMetadataOp(group, kind, kind == MetadataTarget.Group ? [] : targetId, bytes), ct).ConfigureAwait(false);
        return record;
    }

    private sealed record StoredMetadata(string? Name, IReadOnlyDictionary<string, string> Data);

    /// <summary>Records are JSON (name, data); one a non-conforming peer wrote shows as empty rather than failing the read.</summary>
    private static MetadataView DecodeMetadata(byte[] stored)
    {
        try
        {
            var parsed = JsonSerializer.Deserialize<StoredMetadata>(stored);
            return new MetadataView(parsed?.Name, parsed?.Data ?? new Dictionary<string, string>());
        }
        catch (JsonException)
        {
            return new MetadataView(null, new Dictionary<string, string>());
        }
    }
}
