namespace Mero.Governance;

/// <summary>Membership and authority walks over the group tree (upstream's check_path semantics).</summary>
public static class Membership
{
    /// <summary>Direct admin, or admin of a parent while every group on the way down is Open.</summary>
    public static bool IsEffectiveAdmin(GovernanceState state, GroupId group, PublicKey identity)
    {
        ArgumentNullException.ThrowIfNull(state);
        var current = group;
        for (var depth = 0; depth <= GovernanceDefaults.MaxDepth; depth++)
        {
            if (state.Member(current, identity) is { Role: GroupRole.Admin })
            {
                return true;
            }

            if (state.Visibility(current) != Visibility.Open || state.Group(current)?.Parent is not { } parent)
            {
                return false;
            }

            current = parent;
        }

        return false;
    }

    /// <summary>
    /// Direct row; else climb while Open: an admin of an ancestor is a member; the first ancestor with
    /// a direct row decides by its CAN_JOIN_OPEN_SUBGROUPS bit. A Restricted group is a wall.
    /// </summary>
    public static bool IsMember(GovernanceState state, GroupId group, PublicKey identity)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Member(group, identity) is not null)
        {
            return true;
        }

        bool? anchorDecision = null;
        var current = group;
        for (var depth = 0; depth <= GovernanceDefaults.MaxDepth; depth++)
        {
            if (state.Visibility(current) != Visibility.Open || state.Group(current)?.Parent is not { } parent)
            {
                return anchorDecision ?? false;
            }

            var row = state.Member(parent, identity);
            if (row is { Role: GroupRole.Admin })
            {
                return true;
            }

            if (row is not null && anchorDecision is null)
            {
                anchorDecision = row.Capabilities.HasFlag(Capabilities.CanJoinOpenSubgroups);
            }

            current = parent;
        }

        return anchorDecision ?? false;
    }

    /// <summary>Admins pass every capability check; others need the bit on their direct, non-ReadOnly row.</summary>
    public static bool HasCapability(GovernanceState state, GroupId group, PublicKey identity, Capabilities capability)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (IsEffectiveAdmin(state, group, identity))
        {
            return true;
        }

        return state.Member(group, identity) is { } row && row.Role != GroupRole.ReadOnly && row.Capabilities.HasFlag(capability);
    }
}
