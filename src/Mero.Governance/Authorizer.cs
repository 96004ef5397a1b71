namespace Mero.Governance;

/// <summary>
/// Decides whether a signer may apply an op, reading only the state at the op's causal cut, so
/// every node reaches the same verdict whatever order ops arrive in.
/// </summary>
internal static class Authorizer
{
    public static Rejection? Check(GovernanceState s, PublicKey signer, GroupOp op)
    {
        if (op is CreateNamespaceOp)
        {
            return new(RejectCode.BadGenesis, "namespace creation is only valid as the parentless genesis op");
        }

        if (op.Target is { } target && !s.GroupExists(target))
        {
            return new(RejectCode.NotFound, $"group {target} does not exist");
        }

        if (op.Target is { } g && IsReadOnlyWriter(s, g, signer, op))
        {
            return new(RejectCode.ReadOnly, "a ReadOnly member cannot change group state");
        }

        return op switch
        {
            CreateGroupOp o => CreateGroup(s, signer, o),
            DeleteGroupOp o => DeleteGroup(s, signer, o),
            AddMemberOp o => AddMember(s, signer, o),
            RemoveMemberOp o => RemoveMember(s, signer, o.Group, o.Member),
            LeaveGroupOp o => Leave(s, signer, o),
            SetRoleOp o => SetRole(s, signer, o),
            SetCapabilitiesOp o => RequireDirect(s, o.Group, o.Member) ?? RequireAdmin(s, o.Group, signer),
            SetDefaultCapabilitiesOp o => RequireAdmin(s, o.Group, signer),
            SetVisibilityOp o => SetVisibility(s, signer, o),
            SetDefaultVisibilityOp o => RequireAdmin(s, o.Group, signer),
            RegisterContextOp o => s.ContextGroup(o.Context) is not null
                ? new(RejectCode.AlreadyExists, $"context {o.Context} is already registered")
                : RequireCapability(s, o.Group, signer, Capabilities.CanCreateContext),
            DetachContextOp o => RequireContextIn(s, o.Group, o.Context) ?? RequireAdmin(s, o.Group, signer),
            JoinContextOp o => RequireContextIn(s, o.Group, o.Context)
                ?? (Membership.IsMember(s, o.Group, signer) ? null : new(RejectCode.Unauthorized, "only group members may join its contexts")),
            SetGroupAliasOp o => RequireCapability(s, o.Group, signer, Capabilities.CanManageMetadata),
            SetMemberAliasOp o => RequireDirect(s, o.Group, o.Member)
                ?? (o.Member == signer ? null : RequireCapability(s, o.Group, signer, Capabilities.CanManageMetadata)),
            SetMetadataOp o => SetMetadata(s, signer, o),
            SetUpgradeTargetOp o => o.Group != s.Namespace
                ? new(RejectCode.Unauthorized, "the upgrade target is set on the namespace root; subgroups inherit it")
                : RequireCapability(s, o.Group, signer, Capabilities.ManageApplication),
            JoinWithInvitationOp o => Join(s, signer, o),
            KeyDeliveryOp o => Membership.IsMember(s, o.Group, signer) || s.Ancestors(o.Group).Any(a => s.Member(a, signer) is not null)
                ? null
                : new(RejectCode.Unauthorized, "only members may deliver group keys"),
            ReparentGroupOp o => Reparent(s, signer, o),
            TransferOwnershipOp o => s.Group(o.Group)!.Owner != signer
                ? new(RejectCode.Unauthorized, $"only the owner of {o.Group} may transfer its ownership")
                : RequireDirect(s, o.Group, o.NewOwner),
            _ => new(RejectCode.Malformed, $"unknown op {op.GetType().Name}"),
        };
    }

    private static bool IsReadOnlyWriter(GovernanceState s, GroupId group, PublicKey signer, GroupOp op) =>
        op is not (JoinContextOp or LeaveGroupOp or KeyDeliveryOp or JoinWithInvitationOp)
        && s.Member(group, signer) is { Role: GroupRole.ReadOnly }
        && !Membership.IsEffectiveAdmin(s, group, signer);

    private static Rejection? CreateGroup(GovernanceState s, PublicKey signer, CreateGroupOp o)
    {
        if (s.GroupExists(o.Group))
        {
            return new(RejectCode.AlreadyExists, $"group {o.Group} already exists");
        }

        if (s.Ancestors(o.Parent).Count() + 1 >= GovernanceDefaults.MaxDepth)
        {
            return new(RejectCode.TooDeep, $"groups nest at most {GovernanceDefaults.MaxDepth} deep");
        }

        if (Membership.IsEffectiveAdmin(s, o.Parent, signer))
        {
            return null;
        }

        // CAN_CREATE_SUBGROUP is honored only directly under the namespace root.
        return o.Parent == s.Namespace && Membership.HasCapability(s, o.Parent, signer, Capabilities.CanCreateSubgroup)
            ? null
            : new(RejectCode.Unauthorized, "creating a subgroup needs admin on the parent or CAN_CREATE_SUBGROUP at the root");
    }

    private static Rejection? DeleteGroup(GovernanceState s, PublicKey signer, DeleteGroupOp o)
    {
        var record = s.Group(o.Group)!;
        if (record.Parent is not { } parent)
        {
            return new(RejectCode.Unauthorized, "the namespace root cannot be deleted");
        }

        return record.Owner == signer
            || Membership.IsEffectiveAdmin(s, s.Namespace, signer)
            || Membership.IsEffectiveAdmin(s, parent, signer)
            || Membership.HasCapability(s, parent, signer, Capabilities.CanDeleteSubgroup)
            ? null
            : new(RejectCode.Unauthorized, "deleting a subgroup needs its owner, a namespace or parent admin, or CAN_DELETE_SUBGROUP");
    }

    private static Rejection? AddMember(GovernanceState s, PublicKey signer, AddMemberOp o)
    {
        if (s.Member(o.Group, o.Member) is not null)
        {
            return new(RejectCode.AlreadyExists, $"{o.Member} is already a direct member");
        }

        return o.Role == GroupRole.Admin ? RequireAdmin(s, o.Group, signer) : RequireCapability(s, o.Group, signer, Capabilities.ManageMembers);
    }

    private static Rejection? RemoveMember(GovernanceState s, PublicKey signer, GroupId group, PublicKey member)
    {
        if (RequireDirect(s, group, member) is { } missing)
        {
            return missing;
        }

        if (s.Group(group)!.Owner == member)
        {
            return new(RejectCode.OwnerImmune, "the group owner cannot be removed");
        }

        var target = s.Member(group, member)!;
        var auth = target.Role == GroupRole.Admin ? RequireAdmin(s, group, signer) : RequireCapability(s, group, signer, Capabilities.ManageMembers);
        return auth ?? LastAdminGuard(s, group, member, target.Role);
    }

    private static Rejection? Leave(GovernanceState s, PublicKey signer, LeaveGroupOp o)
    {
        if (RequireDirect(s, o.Group, signer) is { } missing)
        {
            return missing;
        }

        // A namespace leave cascades to every group where the leaver has a direct row: all of them
        // are checked before anything changes, so a refusal names the group and leaves no half-leave.
        var groups = o.Group == s.Namespace ? s.Groups().Where(g => s.Member(g, signer) is not null).ToList() : [o.Group];
        foreach (var group in groups)
        {
            if (s.Group(group)!.Owner == signer)
            {
                return new(RejectCode.OwnerImmune, $"the owner of {group} cannot leave without transferring ownership");
            }

            if (LastAdminGuard(s, group, signer, s.Member(group, signer)!.Role) is { } lastAdmin)
            {
                return lastAdmin with { Message = $"{lastAdmin.Message} ({group})" };
            }
        }

        return null;
    }

    private static Rejection? SetRole(GovernanceState s, PublicKey signer, SetRoleOp o)
    {
        if (RequireDirect(s, o.Group, o.Member) is { } missing)
        {
            return missing;
        }

        var current = s.Member(o.Group, o.Member)!.Role;
        var touchesAdmin = current == GroupRole.Admin || o.Role == GroupRole.Admin;
        var auth = touchesAdmin ? RequireAdmin(s, o.Group, signer) : RequireCapability(s, o.Group, signer, Capabilities.ManageMembers);
        return auth ?? (o.Role == GroupRole.Admin ? null : LastAdminGuard(s, o.Group, o.Member, current));
    }

    private static Rejection? SetVisibility(GovernanceState s, PublicKey signer, SetVisibilityOp o)
    {
        if (s.Group(o.Group)!.Parent is not { } parent)
        {
            return new(RejectCode.Unauthorized, "the namespace root has no visibility");
        }

        return Membership.IsEffectiveAdmin(s, o.Group, signer)
            || Membership.IsEffectiveAdmin(s, parent, signer)
            || Membership.HasCapability(s, o.Group, signer, Capabilities.CanManageVisibility)
            || Membership.HasCapability(s, parent, signer, Capabilities.CanManageVisibility)
            ? null
            : new(RejectCode.Unauthorized, "changing visibility needs admin or CAN_MANAGE_VISIBILITY");
    }

    private static Rejection? SetMetadata(GovernanceState s, PublicKey signer, SetMetadataOp o)
    {
        switch (o.Kind)
        {
            case MetadataTarget.Member:
                var member = PublicKey.FromBytes(o.TargetId);
                return RequireDirect(s, o.Group, member)
                    ?? (member == signer ? null : RequireCapability(s, o.Group, signer, Capabilities.CanManageMetadata));
            case MetadataTarget.Context:
                return RequireContextIn(s, o.Group, ContextId.FromBytes(o.TargetId))
                    ?? RequireCapability(s, o.Group, signer, Capabilities.CanManageMetadata);
            default:
                return RequireCapability(s, o.Group, signer, Capabilities.CanManageMetadata);
        }
    }

    private static Rejection? Reparent(GovernanceState s, PublicKey signer, ReparentGroupOp o)
    {
        if (s.Group(o.Group)!.Parent is null)
        {
            return new(RejectCode.Unauthorized, "the namespace root has no parent to change");
        }

        if (!s.GroupExists(o.NewParent))
        {
            return new(RejectCode.NotFound, $"new parent {o.NewParent} does not exist");
        }

        if (RequireAdmin(s, s.Namespace, signer) is { } notAdmin)
        {
            return notAdmin;
        }

        if (o.NewParent == o.Group || s.Ancestors(o.NewParent).Contains(o.Group))
        {
            return new(RejectCode.ReparentCycle, $"{o.NewParent} is {o.Group} or one of its descendants");
        }

        return s.Ancestors(o.NewParent).Count() + 1 + SubtreeHeight(s, o.Group, 0) >= GovernanceDefaults.MaxDepth
            ? new(RejectCode.TooDeep, $"groups nest at most {GovernanceDefaults.MaxDepth} deep")
            : null;
    }

    /// <summary>Levels below <paramref name="group"/> (0 for a leaf), bounded by the depth limit.</summary>
    internal static int SubtreeHeight(GovernanceState s, GroupId group, int depth) =>
        depth >= GovernanceDefaults.MaxDepth ? 0 : s.Children(group).Select(c => 1 + SubtreeHeight(s, c, depth + 1)).DefaultIfEmpty(0).Max();

    private static Rejection? Join(GovernanceState s, PublicKey signer, JoinWithInvitationOp o)
    {
        var invitation = o.Invitation;
        if (invitation.Namespace != s.Namespace || !invitation.VerifySignature())
        {
            return new(RejectCode.InvitationInvalid, "the invitation is for another namespace or its signature does not verify");
        }

        if (o.ClaimedAtMs > invitation.ExpiresAtMs)
        {
            return new(RejectCode.InvitationExpired, $"claimed at {o.ClaimedAtMs} ms, after expiry at {invitation.ExpiresAtMs} ms");
        }

        if (s.InvitationUsed(invitation.Id))
        {
            return new(RejectCode.InvitationUsed, $"invitation {invitation.Id} was already claimed");
        }

        if (s.Member(invitation.Group, signer) is not null)
        {
            return new(RejectCode.AlreadyExists, "the joiner is already a direct member");
        }

        var inviterOk = invitation.Role == GroupRole.Admin
            ? Membership.IsEffectiveAdmin(s, invitation.Group, invitation.Inviter)
            : Membership.HasCapability(s, invitation.Group, invitation.Inviter, Capabilities.CanInviteMembers);
        return inviterOk ? null : new(RejectCode.InvitationInvalid, "the inviter may not invite into this group with this role");
    }

    private static Rejection? LastAdminGuard(GovernanceState s, GroupId group, PublicKey member, GroupRole role) =>
        role == GroupRole.Admin && !s.Members(group).Any(m => m.Member != member && m.Record.Role == GroupRole.Admin)
            ? new(RejectCode.LastAdmin, "a group must keep at least one admin")
            : null;

    private static Rejection? RequireDirect(GovernanceState s, GroupId group, PublicKey member) =>
        s.Member(group, member) is null ? new(RejectCode.NotFound, $"{member} is not a direct member of {group}") : null;

    private static Rejection? RequireContextIn(GovernanceState s, GroupId group, ContextId context) =>
        s.ContextGroup(context) == group ? null : new(RejectCode.NotFound, $"context {context} is not registered in {group}");

    private static Rejection? RequireAdmin(GovernanceState s, GroupId group, PublicKey signer) =>
        Membership.IsEffectiveAdmin(s, group, signer) ? null : new(RejectCode.Unauthorized, $"{signer} is not an admin of {group}");

    private static Rejection? RequireCapability(GovernanceState s, GroupId group, PublicKey signer, Capabilities capability) =>
        Membership.HasCapability(s, group, signer, capability) ? null : new(RejectCode.Unauthorized, $"{signer} lacks {capability} in {group}");
}
