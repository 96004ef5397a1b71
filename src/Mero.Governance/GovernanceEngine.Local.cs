using Mero.Crypto;
using Mero.Dag;
using Mero.Primitives;
using Mero.Store;

namespace Mero.Governance;

/// <summary>Authoring ops on this node: parents, nonce, state hash, sealing and key material.</summary>
public sealed partial class GovernanceEngine
{
    /// <summary>
    /// Signs <paramref name="op"/> as this node and applies it through the full pipeline. Parents are
    /// the current heads (at most the cap, newest first); the nonce and state hash come from that cut.
    /// Subgroup creation and member removal get a fresh group key wrapped to the members who keep access.
    /// </summary>
    public (SignedGroupOp? Envelope, ApplyResult Result) Issue(GroupOp op, StoreBatch batch)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(batch);
        var parents = _dag.Heads.Count <= _dagOptions.MaxParents
            ? [.. _dag.Heads]
            : _dag.Heads.Select(h => new FoldKey(_applied[h].Generation, h)).OrderDescending().Take(_dagOptions.MaxParents).Select(k => k.Id).ToList();
        var cut = parents.Count == 0 ? new GovernanceState(Namespace) : CutState([.. parents.Order()]);
        _localNewKey = null;
        op = Complete(op, cut);
        (Hash, AeadKey)? sealKey = null;
        if (!op.IsRootOp)
        {
            sealKey = SealingKey(op, cut);
            if (sealKey is null)
            {
                return (null, ApplyResult.Rejected(RejectCode.MissingGroupKey, $"this node holds no key for {op.Target}"));
            }
        }

        var nonce = cut.Nonces.GetValueOrDefault(Identity.PublicKey) + 1;
        var envelope = SignedGroupOp.CreateWith(Identity.Signing, Namespace, parents, nonce, _state.Hash, op, sealKey);
        try
        {
            return (envelope, ApplyLocal(envelope, batch));
        }
        finally
        {
            _localNewKey = null;
        }
    }

    /// <summary>Applies an op authored on this node: as <see cref="Receive(SignedGroupOp, StoreBatch)"/>, plus the state-hash lock.</summary>
    public ApplyResult ApplyLocal(SignedGroupOp envelope, StoreBatch batch)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        _localOp = envelope.Id;
        try
        {
            return Receive(envelope, batch);
        }
        finally
        {
            _localOp = null;
        }
    }

    /// <summary>Deliveries for the group and every descendant group whose keys this node holds.</summary>
    public IEnumerable<KeyDeliveryOp> KeyDeliveriesFor(GroupId group, PublicKey member)
    {
        var agreement = FindAgreementKey(group, member);
        if (agreement is null)
        {
            yield break;
        }

        var groups = new List<GroupId> { group };
        for (var i = 0; i < groups.Count && groups.Count < 1024; i++)
        {
            groups.AddRange(_state.Children(groups[i]));
        }

        foreach (var g in groups)
        {
            var envelopes = _keyring.KeysOf(g)
                .Select(k => new KeyEnvelope(member, k.KeyId, KeyWrap.Wrap(agreement, k.Key, GroupKeyring.WrapContext(Namespace, g, k.KeyId))))
                .ToList();
            if (envelopes.Count > 0)
            {
                yield return new KeyDeliveryOp(g, envelopes);
            }
        }
    }

    /// <summary>
    /// Claims an invitation as this node: a join op whose parents are heads learned from the
    /// inviter or a peer (this node may hold none of them yet). Expiry is checked against
    /// <paramref name="nowMs"/> here and against the signed claim time on every node.
    /// </summary>
    public (SignedGroupOp? Envelope, ApplyResult Result) ClaimInvitation(SignedInvitation invitation, IReadOnlyList<Hash> knownHeads, ulong nowMs, StoreBatch batch)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        if (invitation.Namespace != Namespace || !invitation.VerifySignature())
        {
            return (null, ApplyResult.Rejected(RejectCode.InvitationInvalid, "the invitation is for another namespace or its signature does not verify"));
        }

        if (nowMs > invitation.ExpiresAtMs)
        {
            return (null, ApplyResult.Rejected(RejectCode.InvitationExpired, $"invitation expired at {invitation.ExpiresAtMs} ms, now {nowMs} ms"));
        }

        var nonce = _state.Nonces.GetValueOrDefault(Identity.PublicKey) + 1;
        var op = new JoinWithInvitationOp(invitation, Identity.Agreement.PublicKey, nowMs);
        var envelope = SignedGroupOp.CreateWith(Identity.Signing, Namespace, knownHeads, nonce, default, op, null);
        return (envelope, Receive(envelope, batch));
    }

    /// <summary>Mints a signed invitation into a group (the claim is checked on every node at apply time).</summary>
    public SignedInvitation CreateInvitation(GroupId group, GroupRole role, ulong expiresAtMs, Hash salt) =>
        SignedInvitation.Create(Identity.Signing, Namespace, group, role, expiresAtMs, salt);

    /// <summary>The opened payload of an applied op.</summary>
    public GroupOp? Opened(Hash id) => _applied.TryGetValue(id, out var applied) ? OpOf(applied) : null;

    public PublicKey SignerOf(Hash id) => _applied[id].Envelope.Signer;

    internal (Hash KeyId, byte[] Key)? LatestKey(GroupId group) => _keyring.Latest(group);

    private byte[]? FindAgreementKey(GroupId group, PublicKey member)
    {
        if (_state.Member(group, member) is { } row)
        {
            return row.AgreementKey;
        }

        return _state.Ancestors(group).Select(a => _state.Member(a, member)?.AgreementKey).FirstOrDefault(k => k is not null);
    }

    /// <summary>Fills in key material the author generates: new group keys and their envelopes.</summary>
    private GroupOp Complete(GroupOp op, GovernanceState cut)
    {
        switch (op)
        {
            case CreateNamespaceOp o:
                _localNewKey = NewKey(o.Namespace);
                return o;
            case CreateGroupOp { Keys.Count: 0 } o:
                var groupKey = NewKey(o.Group);
                _localNewKey = groupKey;
                return o with { Keys = WrapToMembers(cut, o.Parent, includeGroup: true, except: Identity.PublicKey, o.Group, groupKey.KeyId, groupKey.Key) };
            case RemoveMemberOp { Keys.Count: 0 } o:
                var rotated = NewKey(o.Group);
                _localNewKey = rotated;
                var remaining = WrapToMembers(cut, o.Group, includeGroup: true, except: o.Member, o.Group, rotated.KeyId, rotated.Key)
                    .Where(e => e.Recipient != Identity.PublicKey).ToList();
                return o with { NewKeyId = rotated.KeyId, Keys = remaining };
            default:
                return op;
        }
    }

    /// <summary>
    /// Wraps a key to every direct member of the group and of its ancestors (the members who can
    /// reach the group by membership or admin inheritance), except one identity.
    /// </summary>
    private List<KeyEnvelope> WrapToMembers(GovernanceState cut, GroupId from, bool includeGroup, PublicKey except, GroupId keyGroup, Hash keyId, byte[] key)
    {
        var recipients = new SortedDictionary<PublicKey, byte[]>();
        IEnumerable<GroupId> scope = includeGroup ? [from, .. cut.Ancestors(from)] : cut.Ancestors(from);
        foreach (var g in scope)
        {
            foreach (var (member, record) in cut.Members(g))
            {
                if (member != except)
                {
                    recipients.TryAdd(member, record.AgreementKey);
                }
            }
        }

        return [.. recipients.Select(r => new KeyEnvelope(r.Key, keyId, KeyWrap.Wrap(r.Value, key, GroupKeyring.WrapContext(Namespace, keyGroup, keyId))))];
    }

    private static (Hash KeyId, byte[] Key, GroupId Group) NewKey(GroupId group)
    {
        var key = GroupKeyring.NewKey();
        return (GroupKeyring.KeyIdOf(key), key, group);
    }

    /// <summary>The newest key of the op's group, else of its nearest ancestor whose key this node holds.</summary>
    private (Hash, AeadKey)? SealingKey(GroupOp op, GovernanceState cut)
    {
        var group = op.Target ?? Namespace;
        foreach (var g in (IEnumerable<GroupId>)[group, .. cut.Ancestors(group)])
        {
            if (_keyring.LatestCipher(g) is { } key)
            {
                return key;
            }
        }

        return null;
    }
}
