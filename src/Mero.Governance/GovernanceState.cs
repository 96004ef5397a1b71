using Mero.Primitives;

namespace Mero.Governance;

/// <summary>
/// The folded governance state of one namespace as a set of records (key → borsh value), the same
/// records that are materialized in RocksDB. Typed accessors read and write records; every write
/// updates the order-independent state hash and is remembered as a change to persist.
/// Not thread-safe: owned by one engine.
/// </summary>
public sealed class GovernanceState
{
    private readonly Dictionary<byte[], byte[]> _records = new(ByteKeyComparer.Instance);
    private readonly SortedSet<byte[]> _keys = new(ByteKeyComparer.Instance);
    private readonly StateHashAccumulator _hash = new();
    private Dictionary<byte[], byte[]?>? _changes;

    public GovernanceState(GroupId ns) => Namespace = ns;

    public GroupId Namespace { get; }

    public Hash Hash => _hash.Current;

    public int RecordCount => _records.Count;

    /// <summary>Highest nonce seen per signer in the ops folded so far (not part of the hash).</summary>
    internal Dictionary<PublicKey, ulong> Nonces { get; } = [];

    internal IReadOnlyDictionary<byte[], byte[]> Records => _records;

    // ---- groups -------------------------------------------------------------------------

    public GroupRecord? Group(GroupId group) =>
        Get(Key(RecordKind.Group, group)) is { } v ? DecodeGroup(v) : null;

    public bool GroupExists(GroupId group) => _records.ContainsKey(Key(RecordKind.Group, group));

    public IEnumerable<GroupId> Children(GroupId group) =>
        Scan(Key(RecordKind.Child, group)).Select(k => GroupId.FromBytes(k.AsSpan(33, 32)));

    public Visibility Visibility(GroupId group) =>
        Get(Key(RecordKind.Visibility, group)) is { } v ? (Visibility)v[0] : Governance.Visibility.Restricted;

    public Visibility DefaultVisibility(GroupId group) =>
        Get(Key(RecordKind.DefaultVisibility, group)) is { } v ? (Visibility)v[0] : Governance.Visibility.Open;

    public Capabilities DefaultCapabilities(GroupId group) =>
        Get(Key(RecordKind.DefaultCapabilities, group)) is { } v ? (Capabilities)BitConverter.ToUInt32(v) : GovernanceDefaults.MemberCapabilities;

    public string? GroupAlias(GroupId group) => Get(Key(RecordKind.GroupAlias, group)) is { } v ? System.Text.Encoding.UTF8.GetString(v) : null;

    public ApplicationId? UpgradeTarget => Get(Key(RecordKind.UpgradeTarget, Namespace)) is { } v ? ApplicationId.FromBytes(v) : null;

    public IEnumerable<GroupId> Groups() => Scan([(byte)RecordKind.Group]).Select(k => GroupId.FromBytes(k.AsSpan(1, 32)));

    /// <summary>The group's ancestors, nearest first, bounded by <see cref="GovernanceDefaults.MaxDepth"/>.</summary>
    public IEnumerable<GroupId> Ancestors(GroupId group)
    {
        var current = Group(group);
        for (var depth = 0; current?.Parent is { } parent && depth < GovernanceDefaults.MaxDepth; depth++)
        {
            yield return parent;
            current = Group(parent);
        }
    }

    internal void PutGroup(GroupId group, GroupRecord record)
    {
        var w = new BorshWriter(72);
        w.WriteOption(record.Parent is { } p ? new[] { p } : null, static (w, v) => w.WriteId(v[0])).WriteId(record.Owner);
        Put(Key(RecordKind.Group, group), w.ToArray());
        if (record.Parent is { } parent)
        {
            Put(Key(RecordKind.Child, parent, group), []);
        }
    }

    /// <summary>Swaps the parent edge in one step: no state where the group has no parent.</summary>
    internal void MoveGroup(GroupId group, GroupId oldParent, GroupRecord record)
    {
        Delete(Key(RecordKind.Child, oldParent, group));
        PutGroup(group, record);
    }

    internal void SetVisibility(GroupId group, Visibility value) => Put(Key(RecordKind.Visibility, group), [(byte)value]);

    internal void SetDefaultVisibility(GroupId group, Visibility value) => Put(Key(RecordKind.DefaultVisibility, group), [(byte)value]);

    internal void SetDefaultCapabilities(GroupId group, Capabilities value) => Put(Key(RecordKind.DefaultCapabilities, group), BitConverter.GetBytes((uint)value));

    internal void SetGroupAlias(GroupId group, string alias) => Put(Key(RecordKind.GroupAlias, group), System.Text.Encoding.UTF8.GetBytes(alias));

    internal void SetUpgradeTarget(ApplicationId app) => Put(Key(RecordKind.UpgradeTarget, Namespace), app.ToArray());

    /// <summary>Removes every record scoped to the group (members, aliases, metadata, settings, its context refs).</summary>
    internal void DeleteGroupRecords(GroupId group)
    {
        if (Group(group) is { Parent: { } parent })
        {
            Delete(Key(RecordKind.Child, parent, group));
        }

        foreach (var kind in GroupScopedKinds)
        {
            foreach (var key in Scan(Key(kind, group)).ToList())
            {
                Delete(key);
            }
        }
    }

    // ---- members ------------------------------------------------------------------------

    public MemberRecord? Member(GroupId group, PublicKey member) =>
        Get(Key(RecordKind.Member, group, member)) is { } v ? DecodeMember(v) : null;

    public IEnumerable<(PublicKey Member, MemberRecord Record)> Members(GroupId group) =>
        Scan(Key(RecordKind.Member, group)).Select(k => (PublicKey.FromBytes(k.AsSpan(33, 32)), DecodeMember(_records[k])));

    public string? MemberAlias(GroupId group, PublicKey member) =>
        Get(Key(RecordKind.MemberAlias, group, member)) is { } v ? System.Text.Encoding.UTF8.GetString(v) : null;

    internal void PutMember(GroupId group, PublicKey member, MemberRecord record)
    {
        var w = new BorshWriter(48);
        w.WriteU8((byte)record.Role).WriteU32((uint)record.Capabilities).WriteBytes(record.AgreementKey);
        Put(Key(RecordKind.Member, group, member), w.ToArray());
    }

    internal void DeleteMember(GroupId group, PublicKey member)
    {
        Delete(Key(RecordKind.Member, group, member));
        Delete(Key(RecordKind.MemberAlias, group, member));
        Delete(Key(RecordKind.Metadata, group, [(byte)MetadataTarget.Member], member.AsSpan()));
    }

    internal void SetMemberAlias(GroupId group, PublicKey member, string alias) =>
        Put(Key(RecordKind.MemberAlias, group, member), System.Text.Encoding.UTF8.GetBytes(alias));

    // ---- contexts -----------------------------------------------------------------------

    public GroupId? ContextGroup(ContextId context) => Get(Key(RecordKind.ContextIndex, context)) is { } v ? GroupId.FromBytes(v) : null;

    public IEnumerable<ContextId> Contexts(GroupId group) =>
        Scan(Key(RecordKind.GroupContext, group)).Select(k => ContextId.FromBytes(k.AsSpan(33, 32)));

    /// <summary>Every context registered in any group of the namespace.</summary>
    public IEnumerable<ContextId> AllContexts() =>
        Scan([(byte)RecordKind.ContextIndex]).Select(k => ContextId.FromBytes(k.AsSpan(1, 32)));

    public bool HasJoinedContext(ContextId context, PublicKey member) => _records.ContainsKey(Key(RecordKind.MemberContext, context, member));

    public IEnumerable<PublicKey> ContextMembers(ContextId context) =>
        Scan(Key(RecordKind.MemberContext, context)).Select(k => PublicKey.FromBytes(k.AsSpan(33, 32)));

    internal void RegisterContext(GroupId group, ContextId context)
    {
        Put(Key(RecordKind.ContextIndex, context), group.ToArray());
        Put(Key(RecordKind.GroupContext, group, context), []);
    }

    internal void DetachContext(GroupId group, ContextId context)
    {
        Delete(Key(RecordKind.ContextIndex, context));
        Delete(Key(RecordKind.GroupContext, group, context));
        Delete(Key(RecordKind.Metadata, group, [(byte)MetadataTarget.Context], context.AsSpan()));
        foreach (var key in Scan(Key(RecordKind.MemberContext, context)).ToList())
        {
            Delete(key);
        }
    }

    internal void JoinContext(ContextId context, PublicKey member) => Put(Key(RecordKind.MemberContext, context, member), []);

    internal void LeaveContext(ContextId context, PublicKey member) => Delete(Key(RecordKind.MemberContext, context, member));

    // ---- metadata and invitations -------------------------------------------------------

    public byte[]? Metadata(GroupId group, MetadataTarget kind, ReadOnlySpan<byte> targetId) => Get(Key(RecordKind.Metadata, group, [(byte)kind], targetId));

    internal void SetMetadata(GroupId group, MetadataTarget kind, ReadOnlySpan<byte> targetId, byte[] data) => Put(Key(RecordKind.Metadata, group, [(byte)kind], targetId), data);

    public bool InvitationUsed(Hash invitationId) => _records.ContainsKey(Key(RecordKind.InvitationUsed, invitationId));

    internal void MarkInvitationUsed(Hash invitationId) => Put(Key(RecordKind.InvitationUsed, invitationId), []);

    // ---- persistence support ------------------------------------------------------------

    /// <summary>Starts recording changes (key → new value, null for deleted) for the next batch.</summary>
    internal void TrackChanges() => _changes = new(ByteKeyComparer.Instance);

    /// <summary>Adds a record read back from the store (startup).</summary>
    internal void Load(byte[] key, byte[] value) => Put(key, value);

    internal Dictionary<byte[], byte[]?> TakeChanges()
    {
        var changes = _changes ?? new(ByteKeyComparer.Instance);
        _changes = new(ByteKeyComparer.Instance);
        return changes;
    }

    /// <summary>Records of <paramref name="next"/> that differ from this state: what a rebuild must persist.</summary>
    internal Dictionary<byte[], byte[]?> DiffTo(GovernanceState next)
    {
        var diff = new Dictionary<byte[], byte[]?>(ByteKeyComparer.Instance);
        foreach (var (key, value) in next._records)
        {
            if (!_records.TryGetValue(key, out var old) || !old.AsSpan().SequenceEqual(value))
            {
                diff[key] = value;
            }
        }

        foreach (var key in _records.Keys)
        {
            if (!next._records.ContainsKey(key))
            {
                diff[key] = null;
            }
        }

        return diff;
    }

    private static readonly RecordKind[] GroupScopedKinds =
    [
        RecordKind.Member, RecordKind.MemberAlias, RecordKind.Metadata, RecordKind.Visibility, RecordKind.DefaultVisibility,
        RecordKind.DefaultCapabilities, RecordKind.GroupAlias, RecordKind.Group,
    ];

    private byte[]? Get(byte[] key) => _records.GetValueOrDefault(key);

    private void Put(byte[] key, byte[] value)
    {
        if (_records.TryGetValue(key, out var old))
        {
            if (old.AsSpan().SequenceEqual(value))
            {
                return;
            }

            _hash.Remove(key, old);
        }
        else
        {
            _keys.Add(key);
        }

        _records[key] = value;
        _hash.Add(key, value);
        _changes?.Remove(key);
        _changes?.Add(key, value);
    }

    private void Delete(byte[] key)
    {
        if (_records.Remove(key, out var old))
        {
            _keys.Remove(key);
            _hash.Remove(key, old);
            if (_changes is not null)
            {
                _changes[key] = null;
            }
        }
    }

    private IEnumerable<byte[]> Scan(byte[] prefix)
    {
        var upper = new byte[prefix.Length + 65];
        prefix.CopyTo(upper, 0);
        upper.AsSpan(prefix.Length).Fill(0xFF);
        return _keys.GetViewBetween(prefix, upper).Where(k => k.AsSpan().StartsWith(prefix));
    }

    private static byte[] Key<TA>(RecordKind kind, Id32<TA> a)
        where TA : IIdKind => [(byte)kind, .. a.AsSpan()];

    private static byte[] Key<TA, TB>(RecordKind kind, Id32<TA> a, Id32<TB> b)
        where TA : IIdKind
        where TB : IIdKind => [(byte)kind, .. a.AsSpan(), .. b.AsSpan()];

    private static byte[] Key(RecordKind kind, GroupId a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c) => [(byte)kind, .. a.AsSpan(), .. b, .. c];

    private static GroupRecord DecodeGroup(byte[] value)
    {
        var r = new BorshReader(value);
        GroupId? parent = r.ReadOptionTag() ? r.ReadId<IdKinds.Group>() : null;
        return new GroupRecord(parent, r.ReadId<IdKinds.PublicKey>());
    }

    private static MemberRecord DecodeMember(byte[] value)
    {
        var r = new BorshReader(value);
        return new MemberRecord((GroupRole)r.ReadU8(), (Capabilities)r.ReadU32(), r.ReadBytes());
    }

    /// <summary>First byte of every state record key (the seed's GroupMeta, GroupMember... prefixes).</summary>
    private enum RecordKind : byte
    {
        Group = 1,
        Member = 2,
        DefaultCapabilities = 3,
        Visibility = 4,
        DefaultVisibility = 5,
        ContextIndex = 6,
        GroupContext = 7,
        MemberContext = 8,
        GroupAlias = 9,
        MemberAlias = 10,
        Metadata = 11,
        UpgradeTarget = 12,
        InvitationUsed = 13,
        Child = 14,
    }
}
