using Mero.Crypto;
using Mero.Store;

namespace Mero.Governance;

/// <summary>
/// Pull-based key recovery: a member that sees data sealed under a group key it lacks asks a sync
/// peer for that key by id, and the peer wraps it to the member's agreement key. Deliveries on the
/// DAG remain the push path; this one heals a missed or late delivery within one sync round.
/// </summary>
public sealed partial class GovernanceEngine
{
    /// <summary>
    /// Responder side: key <paramref name="keyId"/> of <paramref name="group"/> wrapped for
    /// <paramref name="requester"/>, or an empty envelope when the group is not in this namespace,
    /// the requester is not a current member of it, or this node does not hold that key of that group.
    /// Every refusal looks the same, so the answer reveals nothing about membership.
    /// </summary>
    public byte[] WrapKeyForMember(GroupId group, PublicKey requester, Hash keyId)
    {
        if (!Membership.IsMember(_state, group, requester)
            || FindAgreementKey(group, requester) is not { } agreement
            || _keyring.KeysOf(group).FirstOrDefault(k => k.KeyId == keyId).Key is not { } key)
        {
            return [];
        }

        return KeyWrap.Wrap(agreement, key, GroupKeyring.WrapContext(Namespace, group, keyId));
    }

    /// <summary>
    /// Requester side: keeps a recovered key when the envelope opens, for this node, to a key whose
    /// id is <paramref name="keyId"/>, then applies the ops that waited for it. Callers ask only for
    /// ids named by signed data they received (a sealed op, a delta, a snapshot page), so the key is
    /// the one that data was sealed with. Membership is not checked here: the ops that make this
    /// node a member may themselves be sealed under this key. A recovered key opens data but never
    /// becomes the key this node seals with while it holds another of the group, so a responder
    /// cannot steer what this node encrypts under. True when the key is held afterwards.
    /// </summary>
    public bool AcceptRecoveredKey(GroupId group, Hash keyId, ReadOnlySpan<byte> envelope, StoreBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (_keyring.Get(keyId) is not null)
        {
            return true;
        }

        if (KeyWrap.Unwrap(Identity.Agreement, envelope, GroupKeyring.WrapContext(Namespace, group, keyId)) is not { } key
            || _keyring.Add(group, keyId, key, sequence: 0) is not { } record)
        {
            return false;
        }

        batch.Put(Column.Group, StoreLayout.Key(Namespace, StoreLayout.GroupKey, keyId.AsSpan()), record);
        ReleaseSealed(batch);
        return true;
    }
}
