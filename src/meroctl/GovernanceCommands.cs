using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Mero.Api;

namespace Meroctl;

/// <summary>
/// <c>namespace</c> (alias <c>ns</c>) and <c>group</c> commands, with upstream meroctl's names:
/// namespace create/invite/join/list/get/identity/groups; group list/get/join-context/contexts,
/// group members list/remove/set-role/set-capabilities (set-caps)/get-capabilities (get-caps);
/// settings, sync, members add/check-access and contexts detach are in GovernanceCommands.Settings.cs.
/// </summary>
public sealed partial class CommandFactory
{
    /// <summary>Upstream's <c>--can-*</c> flags, in capability bit order (bit 0..8).</summary>
    private static readonly string[] CapabilityNames =
    [
        "can-create-context", "can-invite-members", "can-join-open-subgroups", "manage-members", "manage-application",
        "can-create-subgroup", "can-delete-subgroup", "can-manage-visibility", "can-manage-metadata",
    ];

    private Command NamespaceCommand()
    {
        var command = new Command("namespace", "Manage namespaces (root groups: an application with its member network)");
        command.Aliases.Add("ns");

        var applicationId = new Option<string>("--application-id", "-a") { Description = "Application of the namespace and its context", Required = true, HelpName = "APP_ID" };
        var name = new Option<string?>("--name") { Description = "Human-readable namespace name" };
        var parameters = new Option<string?>("--params", "-p") { Description = "JSON arguments for the context's init", HelpName = "JSON" };
        var create = new Command("create", "Create a namespace and its context") { applicationId, name, parameters };
        create.SetAction(Run(async (s, ct) =>
        {
            byte[]? init = null;
            if (s.Parse.GetValue(parameters) is { } json)
            {
                init = System.Text.Encoding.UTF8.GetBytes(ParseJson(json, "--params").GetRawText());
            }

            var result = await s.Client.CreateNamespaceAsync(new CreateNamespaceRequest(s.Parse.GetRequiredValue(applicationId), s.Parse.GetValue(name), InitializationParams: init), ct).ConfigureAwait(false);
            s.Output.Write(result, o =>
            {
                var table = Output.Table("Namespace Created", "Value");
                Output.Row(table, "Namespace ID", result.NamespaceId);
                Output.Row(table, "Context ID", result.ContextId);
                Output.Row(table, "Member Public Key", result.MemberPublicKey);
                o.Render(table);
            });
        }));

        var inviteNs = new Argument<string>("NAMESPACE_ID") { Description = "Namespace id" };
        var expiration = new Option<ulong?>("--expiration-timestamp") { Description = "Validity of the invitation in seconds (default one year)", HelpName = "SECONDS" };
        var role = new Option<string?>("--role") { Description = "Role the joiner gets: Admin, Member (default) or ReadOnly" };
        var invite = new Command("invite", "Create an invitation (JSON) for a namespace") { inviteNs, expiration, role };
        invite.SetAction(Run(async (s, ct) =>
        {
            var result = await s.Client.CreateNamespaceInvitationAsync(
                s.Parse.GetRequiredValue(inviteNs),
                new CreateInvitationRequest(s.Parse.GetValue(expiration), Role: s.Parse.GetValue(role)),
                ct).ConfigureAwait(false);
            // Human mode prints {"invitation": {...}} for copy-paste into `namespace join`, as upstream.
            s.Output.Write(result, o => o.Line(JsonSerializer.Serialize(new { invitation = result.Invitation }, new JsonSerializerOptions { WriteIndented = true })));
        }));

        var joinNs = new Argument<string>("NAMESPACE_ID") { Description = "Namespace id" };
        var invitation = new Argument<string>("INVITATION") { Description = "The invitation JSON printed by `namespace invite`" };
        var join = new Command("join", "Join a namespace using an invitation") { joinNs, invitation };
        join.SetAction(Run(async (s, ct) =>
        {
            var parsed = ParseJson(s.Parse.GetRequiredValue(invitation), "INVITATION");
            var result = await s.Client.JoinNamespaceAsync(s.Parse.GetRequiredValue(joinNs), new JoinNamespaceRequest(parsed), ct).ConfigureAwait(false);
            s.Output.Write(result, o => o.Render(Output.Success("Successfully joined namespace", $"{result.NamespaceId} as {result.MemberIdentity}")));
        }));

        var list = new Command("list", "List the namespaces this node follows");
        list.Aliases.Add("ls");
        list.SetAction(Run(async (s, ct) =>
        {
            var namespaces = await s.Client.ListNamespacesAsync(ct).ConfigureAwait(false);
            s.Output.Write(namespaces, o =>
            {
                if (namespaces.Count == 0)
                {
                    o.Line("No namespaces found");
                    return;
                }

                var table = NamespaceTable();
                foreach (var ns in namespaces)
                {
                    NamespaceRow(table, ns);
                }

                o.Render(table);
            });
        }));

        var getNs = new Argument<string>("NAMESPACE_ID") { Description = "Namespace id" };
        var get = new Command("get", "Get details about a namespace") { getNs };
        get.SetAction(Run(async (s, ct) =>
        {
            var ns = await s.Client.GetNamespaceAsync(s.Parse.GetRequiredValue(getNs), ct).ConfigureAwait(false);
            s.Output.Write(ns, o => o.Render(NamespaceRow(NamespaceTable(), ns)));
        }));

        var identityNs = new Argument<string>("NAMESPACE_ID") { Description = "Namespace id" };
        var identity = new Command("identity", "This node's identity (member key) in a namespace") { identityNs };
        identity.Aliases.Add("id");
        identity.SetAction(Run(async (s, ct) =>
        {
            var result = await s.Client.GetNamespaceIdentityAsync(s.Parse.GetRequiredValue(identityNs), ct).ConfigureAwait(false);
            s.Output.Write(result, o => o.Render(Output.Row(Output.Table("Namespace ID", "Public Key"), result.NamespaceId, result.PublicKey)));
        }));

        var groupsNs = new Argument<string>("NAMESPACE_ID") { Description = "Namespace id" };
        var groups = new Command("groups", "List direct groups under a namespace") { groupsNs };
        groups.SetAction(Run(async (s, ct) =>
        {
            var result = await s.Client.ListNamespaceGroupsAsync(s.Parse.GetRequiredValue(groupsNs), ct).ConfigureAwait(false);
            s.Output.Write(result, o =>
            {
                var table = Output.Table("Group ID", "Name");
                foreach (var g in result)
                {
                    Output.Row(table, g.GroupId, g.Name);
                }

                o.Render(table);
            });
        }));

        command.Add(create);
        command.Add(invite);
        command.Add(join);
        command.Add(list);
        command.Add(get);
        command.Add(identity);
        command.Add(groups);
        foreach (var sub in NamespaceLifecycleCommands())
        {
            command.Add(sub);
        }

        return command;
    }

    private Command GroupCommand()
    {
        var command = new Command("group", "Manage groups: members, capabilities, contexts");

        var list = new Command("list", "List the groups of every namespace this node follows");
        list.Aliases.Add("ls");
        list.SetAction(Run(async (s, ct) =>
        {
            var groups = await s.Client.ListGroupsAsync(ct).ConfigureAwait(false);
            s.Output.Write(groups, o =>
            {
                if (groups.Count == 0)
                {
                    o.Line("No groups found");
                    return;
                }

                var table = GroupTable();
                foreach (var g in groups)
                {
                    GroupRow(table, g);
                }

                o.Render(table);
            });
        }));

        var getId = new Argument<string>("GROUP_ID") { Description = "Group id (a namespace id is its root group)" };
        var get = new Command("get", "Get information about a group") { getId };
        get.SetAction(Run(async (s, ct) =>
        {
            var g = await s.Client.GetGroupAsync(s.Parse.GetRequiredValue(getId), ct).ConfigureAwait(false);
            s.Output.Write(g, o => o.Render(GroupRow(GroupTable(), g)));
        }));

        var contextId = new Argument<string>("CONTEXT_ID") { Description = "Context to join" };
        var joinContext = new Command("join-context", "Join a context via group membership") { contextId };
        joinContext.SetAction(Run(async (s, ct) =>
        {
            var result = await s.Client.JoinContextAsync(s.Parse.GetRequiredValue(contextId), ct).ConfigureAwait(false);
            s.Output.Write(result, o =>
            {
                var table = Output.Table("Context Joined", "Value");
                Output.Row(table, "Context ID", result.ContextId);
                Output.Row(table, "Member Public Key", result.MemberPublicKey);
                o.Render(table);
            });
        }));

        var contextsGroup = new Argument<string>("GROUP_ID") { Description = "Group id" };
        var contextsList = new Command("list", "List the contexts of a group") { contextsGroup };
        contextsList.Aliases.Add("ls");
        contextsList.SetAction(Run(async (s, ct) =>
        {
            var result = await s.Client.ListGroupContextsAsync(s.Parse.GetRequiredValue(contextsGroup), ct).ConfigureAwait(false);
            s.Output.Write(result, o =>
            {
                var table = Output.Table("Context ID", "Name");
                foreach (var c in result)
                {
                    Output.Row(table, c.ContextId, c.Name);
                }

                o.Render(table);
            });
        }));
        var contexts = new Command("contexts", "List or detach contexts in a group") { contextsList, GroupContextDetachCommand() };

        command.Add(list);
        command.Add(get);
        command.Add(joinContext);
        command.Add(contexts);
        command.Add(MembersCommand());
        command.Add(GroupSettingsCommand());
        command.Add(GroupSyncCommand());
        foreach (var sub in GroupLifecycleCommands())
        {
            command.Add(sub);
        }

        foreach (var sub in GroupStructureCommands())
        {
            command.Add(sub);
        }

        return command;
    }

    private Command MembersCommand()
    {
        var command = new Command("members", "Manage group members");

        var listGroup = new Argument<string>("GROUP_ID") { Description = "Group id" };
        var list = new Command("list", "List all members of a group") { listGroup };
        list.Aliases.Add("ls");
        list.SetAction(Run(async (s, ct) =>
        {
            var result = await s.Client.ListGroupMembersAsync(s.Parse.GetRequiredValue(listGroup), ct).ConfigureAwait(false);
            s.Output.Write(result, o =>
            {
                var table = Output.Table("Identity", "Role", "Capabilities", "Name");
                foreach (var m in result.Members)
                {
                    Output.Row(table, m.Identity, m.Role, m.Capabilities is { } c ? DescribeCapabilities(c) : null, m.Name);
                }

                o.Render(table);
            });
        }));

        var removeGroup = new Argument<string>("GROUP_ID") { Description = "Group id" };
        var removeMembers = new Argument<string[]>("IDENTITY") { Description = "Member keys to remove", Arity = ArgumentArity.OneOrMore };
        var remove = new Command("remove", "Remove members from a group (rotates the group key)") { removeGroup, removeMembers };
        remove.SetAction(Run(async (s, ct) =>
        {
            var members = s.Parse.GetRequiredValue(removeMembers);
            await s.Client.RemoveGroupMembersAsync(s.Parse.GetRequiredValue(removeGroup), new RemoveGroupMembersRequest(members), ct).ConfigureAwait(false);
            s.Output.Write(new EmptyResponse(), o => o.Render(Output.Success("Members Removed", $"Removed {members.Length} member(s)")));
        }));

        var roleGroup = new Argument<string>("GROUP_ID") { Description = "Group id" };
        var roleMember = new Argument<string>("IDENTITY") { Description = "Member key" };
        var roleValue = new Argument<string>("ROLE") { Description = "admin, member or read-only" };
        var setRole = new Command("set-role", "Update a member's role") { roleGroup, roleMember, roleValue };
        setRole.SetAction(Run(async (s, ct) =>
        {
            var role = s.Parse.GetRequiredValue(roleValue);
            await s.Client.UpdateMemberRoleAsync(s.Parse.GetRequiredValue(roleGroup), s.Parse.GetRequiredValue(roleMember), new UpdateMemberRoleRequest(role), ct).ConfigureAwait(false);
            s.Output.Write(new EmptyResponse(), o => o.Render(Output.Success("Role Updated", $"Role set to {role}")));
        }));

        var capsGroup = new Argument<string>("GROUP_ID") { Description = "Group id" };
        var capsMember = new Argument<string>("IDENTITY") { Description = "Member key" };
        var capsValue = new Argument<string?>("CAPABILITIES")
        {
            Description = "Capability bits as a number (0x.. or decimal) or names joined by ',' (" + string.Join(", ", CapabilityNames) + "); combined with the --can-* flags",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var setCaps = new Command("set-capabilities", "Set a member's capabilities (admin only)") { capsGroup, capsMember, capsValue };
        setCaps.Aliases.Add("set-caps");
        var flags = AddCapabilityFlags(setCaps, "Grant");
        setCaps.SetAction(Run(async (s, ct) =>
        {
            var caps = ReadCapabilities(s.Parse, capsValue, flags);
            await s.Client.SetMemberCapabilitiesAsync(s.Parse.GetRequiredValue(capsGroup), s.Parse.GetRequiredValue(capsMember), new SetMemberCapabilitiesRequest(caps), ct).ConfigureAwait(false);
            s.Output.Write(new MemberCapabilitiesData(caps), o => o.Render(Output.Success("Capabilities Updated", $"Capabilities set to {DescribeCapabilities(caps)}")));
        }));

        var getCapsGroup = new Argument<string>("GROUP_ID") { Description = "Group id" };
        var getCapsMember = new Argument<string>("IDENTITY") { Description = "Member key" };
        var getCaps = new Command("get-capabilities", "Get a member's capabilities") { getCapsGroup, getCapsMember };
        getCaps.Aliases.Add("get-caps");
        getCaps.SetAction(Run(async (s, ct) =>
        {
            var result = await s.Client.GetMemberCapabilitiesAsync(s.Parse.GetRequiredValue(getCapsGroup), s.Parse.GetRequiredValue(getCapsMember), ct).ConfigureAwait(false);
            s.Output.Write(result, o => o.Render(Output.Row(Output.Table("Capabilities", "Bits"), DescribeCapabilities(result.Capabilities), result.Capabilities.ToString(CultureInfo.InvariantCulture))));
        }));

        command.Add(list);
        command.Add(remove);
        command.Add(setRole);
        command.Add(setCaps);
        command.Add(getCaps);
        foreach (var sub in MemberAddCommands())
        {
            command.Add(sub);
        }

        return command;
    }

    /// <summary>A number (decimal or 0x hex) or capability names joined by ',' or '|'; unknown names are a usage error.</summary>
    /// <summary>One <c>--can-*</c> flag per capability bit, added to <paramref name="command"/> in bit order.</summary>
    private static List<Option<bool>> AddCapabilityFlags(Command command, string verb)
    {
        var flags = CapabilityNames.Select(n => new Option<bool>("--" + n) { Description = $"{verb} {n}" }).ToList();
        foreach (var flag in flags)
        {
            command.Add(flag);
        }

        return flags;
    }

    /// <summary>The positional capability value (none given: 0) with every set <c>--can-*</c> flag added.</summary>
    private static uint ReadCapabilities(ParseResult parse, Argument<string?> value, IReadOnlyList<Option<bool>> flags)
    {
        var caps = parse.GetValue(value) is { } text ? ParseCapabilities(text) : 0u;
        for (var bit = 0; bit < flags.Count; bit++)
        {
            if (parse.GetValue(flags[bit]))
            {
                caps |= 1u << bit;
            }
        }

        return caps;
    }

    /// <summary>One row per capability (CAN_CREATE_CONTEXT: true/false).</summary>
    private static void CapabilityRows(Spectre.Console.Table table, uint caps)
    {
        for (var bit = 0; bit < CapabilityNames.Length; bit++)
        {
            Output.Row(table, CapabilityNames[bit].ToUpperInvariant().Replace('-', '_'), ((caps & (1u << bit)) != 0) ? "true" : "false");
        }
    }

    internal static uint ParseCapabilities(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? uint.TryParse(trimmed.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hex)
            : uint.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out hex))
        {
            return hex < 1u << CapabilityNames.Length ? hex : throw new UsageException($"capabilities {hex} set bits above {CapabilityNames.Length - 1}");
        }

        var caps = 0u;
        foreach (var part in trimmed.Split([',', '|', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var normalized = part.TrimStart('-').Replace('_', '-').ToLowerInvariant();
            var bit = Array.FindIndex(CapabilityNames, n => n == normalized || n.Replace("-", "", StringComparison.Ordinal) == normalized.Replace("-", "", StringComparison.Ordinal));
            if (bit < 0)
            {
                throw new UsageException($"unknown capability '{part}': use a number or {string.Join(", ", CapabilityNames)}");
            }

            caps |= 1u << bit;
        }

        return caps;
    }

    private static string DescribeCapabilities(uint caps)
    {
        var names = CapabilityNames.Where((_, bit) => (caps & (1u << bit)) != 0).ToList();
        return names.Count == 0 ? "none" : string.Join(", ", names);
    }

    private static Spectre.Console.Table NamespaceTable() =>
        Output.Table("Namespace ID", "Name", "Application ID", "Members", "Contexts", "Subgroups", "Identity");

    private static Spectre.Console.Table NamespaceRow(Spectre.Console.Table table, NamespaceDto ns) =>
        Output.Row(
            table,
            ns.NamespaceId,
            ns.Name,
            ns.TargetApplicationId,
            ns.MemberCount.ToString(CultureInfo.InvariantCulture),
            ns.ContextCount.ToString(CultureInfo.InvariantCulture),
            ns.SubgroupCount.ToString(CultureInfo.InvariantCulture),
            ns.Identity);

    private static Spectre.Console.Table GroupTable() =>
        Output.Table("Group ID", "Name", "Namespace", "Members", "Contexts", "Visibility", "State Hash");

    private static Spectre.Console.Table GroupRow(Spectre.Console.Table table, GroupInfoDto g) =>
        Output.Row(
            table,
            g.GroupId,
            g.Name,
            g.NamespaceId,
            g.MemberCount.ToString(CultureInfo.InvariantCulture),
            g.ContextCount.ToString(CultureInfo.InvariantCulture),
            g.SubgroupVisibility,
            g.GroupStateHash);
}
