namespace Mero.Governance;

/// <summary>Reads the node layer needs: op lookup for catch-up, group keys for context data, state at a governance cut.</summary>
public sealed partial class GovernanceEngine
{
    private (string Key, GovernanceState State)? _lastCut;

    /// <summary>True if the op is applied or waiting here (parents or key missing): no need to fetch it again.</summary>
    public bool Knows(Hash id) => _applied.ContainsKey(id) || _opened.ContainsKey(id) || _sealed.ContainsKey(id);

    public bool IsApplied(Hash id) => _applied.ContainsKey(id);

    /// <summary>The envelope of an applied op, or null.</summary>
    public SignedGroupOp? AppliedEnvelope(Hash id) => _applied.TryGetValue(id, out var applied) ? applied.Envelope : null;

    /// <summary>The newest key of <paramref name="group"/> this node holds.</summary>
    public (Hash KeyId, byte[] Key)? CurrentGroupKey(GroupId group) => _keyring.Latest(group);

    /// <summary>A held group key by id (older keys stay readable after a rotation).</summary>
    public byte[]? GroupKey(Hash keyId) => _keyring.Get(keyId);

    /// <summary>
    /// The state at the causal cut named by <paramref name="heads"/>, or null if any of them is not
    /// applied here. The live state answers when the heads are the current ones; otherwise the
    /// ancestors are folded (the last such cut is cached: consecutive deltas carry the same heads).
    /// </summary>
    public GovernanceState? StateAt(IReadOnlyCollection<Hash> heads)
    {
        ArgumentNullException.ThrowIfNull(heads);
        var distinct = heads.Distinct().Order().ToList();
        if (distinct.Count == 0 || distinct.Any(h => !_applied.ContainsKey(h)))
        {
            return null;
        }

        if (distinct.Count == _dag.Heads.Count && _dag.Heads.All(distinct.Contains))
        {
            return _state;
        }

        var key = string.Join(',', distinct);
        if (_lastCut is { } cached && cached.Key == key)
        {
            return cached.State;
        }

        var state = CutState(distinct);
        _lastCut = (key, state);
        return state;
    }
}
