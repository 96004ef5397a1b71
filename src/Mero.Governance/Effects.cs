namespace Mero.Governance;

/// <summary>
/// The state change of an accepted op, including cascades. Runs in the canonical fold order on
/// every node without re-checking authority (that was settled at the op's causal cut), and
/// tolerates targets a concurrent op already removed, so the fold is total and deterministic.
/// </summary>
internal static class Effects
{
    public static void Apply(GovernanceState s, PublicKey signer, GroupOp op)
    {
        switch (op)
        {
            case CreateNamespaceOp o when !s.GroupExists(o.Namespace) && o.Namespace == s.Namespace:
                s.PutGroup(o.Namespace, new GroupRecord(null, signer));
                s.PutMember(o.Namespace, signer, new MemberRecord(GroupRole.Admin, Capabilities.All, o.AgreementKey));
                s.SetUpgradeTarget(o.TargetApplication);
                break;
            case CreateGroupOp o when s.GroupExists(o.Parent) && !s.GroupExists(o.Group):
                s.PutGroup(o.Group, new GroupRecord(o.Parent, signer));
                s.SetVisibility(o.Group, o.Visibility ?? s.DefaultVisibility(o.Parent));
                s.PutMember(o.Group, signer, new MemberRecord(GroupRole.Admin, Capabilities.All, o.AgreementKey));
                break;
            case DeleteGroupOp o when s.GroupExists(o.Group) && o.Group != s.Namespace:
                DeleteSubtree(s, o.Group, 0);
                break;
            case AddMemberOp o when s.GroupExists(o.Group):
                var caps = s.Member(o.Group, o.Member)?.Capabilities ?? s.DefaultCapabilities(o.Group);
                s.PutMember(o.Group, o.Member, new MemberRecord(o.Role, caps, o.AgreementKey));
                break;
            case RemoveMemberOp o:
                RemoveWithCascade(s, o.Group, o.Member);
                break;
            case LeaveGroupOp o when o.Group == s.Namespace:
                // Leaving the namespace leaves every group of it where the leaver has a direct row.
                foreach (var group in s.Groups().Where(g => s.Member(g, signer) is not null).ToList())
                {
                    RemoveWithCascade(s, group, signer);
                }

                break;
            case LeaveGroupOp o:
                RemoveWithCascade(s, o.Group, signer);
                break;
            case SetRoleOp o when s.Member(o.Group, o.Member) is { } row:
                s.PutMember(o.Group, o.Member, row with { Role = o.Role });
                break;
            case SetCapabilitiesOp o when s.Member(o.Group, o.Member) is { } row:
                s.PutMember(o.Group, o.Member, row with { Capabilities = o.Capabilities });
                break;
            case SetDefaultCapabilitiesOp o when s.GroupExists(o.Group):
                s.SetDefaultCapabilities(o.Group, o.Capabilities);
                break;
            case SetVisibilityOp o when s.GroupExists(o.Group) && o.Group != s.Namespace:
                s.SetVisibility(o.Group, o.Visibility);
                break;
            case SetDefaultVisibilityOp o when s.GroupExists(o.Group):
                s.SetDefaultVisibility(o.Group, o.Visibility);
                break;
            case RegisterContextOp o when s.GroupExists(o.Group) && s.ContextGroup(o.Context) is null:
                s.RegisterContext(o.Group, o.Context);
                break;
            case DetachContextOp o when s.ContextGroup(o.Context) == o.Group:
                s.DetachContext(o.Group, o.Context);
                break;
            case JoinContextOp o when s.ContextGroup(o.Context) == o.Group:
                s.JoinContext(o.Context, signer);
                break;
            case SetGroupAliasOp o when s.GroupExists(o.Group):
                s.SetGroupAlias(o.Group, o.Alias);
                break;
            case SetMemberAliasOp o when s.Member(o.Group, o.Member) is not null:
                s.SetMemberAlias(o.Group, o.Member, o.Alias);
                break;
            case SetMetadataOp o when MetadataTargetExists(s, o):
                s.SetMetadata(o.Group, o.Kind, o.TargetId, o.Data);
                break;
            case SetUpgradeTargetOp o:
                s.SetUpgradeTarget(o.Application);
                break;
            case JoinWithInvitationOp o when s.GroupExists(o.Invitation.Group):
                s.MarkInvitationUsed(o.Invitation.Id);
                if (s.Member(o.Invitation.Group, signer) is null)
                {
                    s.PutMember(o.Invitation.Group, signer, new MemberRecord(o.Invitation.Role, s.DefaultCapabilities(o.Invitation.Group), o.AgreementKey));
                }

                break;
            case ReparentGroupOp o when s.Group(o.Group) is { Parent: { } old } record && old != o.NewParent && s.GroupExists(o.NewParent)
                && o.NewParent != o.Group && !s.Ancestors(o.NewParent).Contains(o.Group):
                // Re-checked here: two concurrent reparents, each fine at its own cut, could close a
                // loop; the fold order is canonical, so every node skips the same (later) one.
                s.MoveGroup(o.Group, old, record with { Parent = o.NewParent });
                break;
            case TransferOwnershipOp o when s.Group(o.Group) is { } record && s.Member(o.Group, o.NewOwner) is not null:
                s.PutGroup(o.Group, record with { Owner = o.NewOwner });
                break;
            default:
                // KeyDelivery changes only node-local keyrings; other ops whose target vanished concurrently are no-ops.
                break;
        }
    }

    /// <summary>
    /// Drops the member's direct row and their joined contexts in this group and in descendants,
    /// skipping any child subtree where the member has a direct row of its own.
    /// </summary>
    private static void RemoveWithCascade(GovernanceState s, GroupId group, PublicKey member)
    {
        if (s.Member(group, member) is null)
        {
            return;
        }

        s.DeleteMember(group, member);
        LeaveContexts(s, group, member, 0);
    }

    private static void LeaveContexts(GovernanceState s, GroupId group, PublicKey member, int depth)
    {
        foreach (var context in s.Contexts(group).ToList())
        {
            s.LeaveContext(context, member);
        }

        if (depth >= GovernanceDefaults.MaxDepth)
        {
            return;
        }

        foreach (var child in s.Children(group).ToList())
        {
            if (s.Member(child, member) is null)
            {
                LeaveContexts(s, child, member, depth + 1);
            }
        }
    }

    /// <summary>Deletes a group, its descendants (children first) and every context they own.</summary>
    private static void DeleteSubtree(GovernanceState s, GroupId group, int depth)
    {
        if (depth < GovernanceDefaults.MaxDepth)
        {
            foreach (var child in s.Children(group).ToList())
            {
                DeleteSubtree(s, child, depth + 1);
            }
        }

        foreach (var context in s.Contexts(group).ToList())
        {
            s.DetachContext(group, context);
        }

        s.DeleteGroupRecords(group);
    }

    private static bool MetadataTargetExists(GovernanceState s, SetMetadataOp o) => o.Kind switch
    {
        MetadataTarget.Member => s.Member(o.Group, PublicKey.FromBytes(o.TargetId)) is not null,
        MetadataTarget.Context => s.ContextGroup(ContextId.FromBytes(o.TargetId)) == o.Group,
        _ => s.GroupExists(o.Group),
    };
}
