using System.CommandLine;
using System.Globalization;
using Mero.Api;

namespace Meroctl;

/// <summary>What <c>group members check-access</c> prints: the identity's role and capability flags in the group.</summary>
internal sealed record AccessCheck(string GroupId, string Identity, string Role, uint Capabilities, IReadOnlyList<string> Granted);

/// <summary>
/// Upstream meroctl's group settings (get, set-default-capabilities / set-default-caps,
/// set-subgroup-visibility / set-subgroup-vis), members add / check-access, contexts detach and sync.
/// </summary>
public sealed partial class CommandFactory
{
    private Command GroupSettingsCommand()
    {
        var command = new Command("settings", "Manage group-level default settings");

        var getGroup = new Argument<string>("GROUP_ID") { Description = "Group id" };
        var get = new Command("get", "Get current default settings for a group") { getGroup };
        get.SetAction(Run(async (s, ct) =>
        {
            var g = await s.Client.GetGroupAsync(s.Parse.GetRequiredValue(getGroup), ct).ConfigureAwait(false);
            var settings = new { g.GroupId, g.SubgroupVisibility, g.DefaultCapabilities };
            s.Output.Write(settings, o =>
            {
                var table = Output.Table("Default Setting", "Value");
                Output.Row(table, "Subgroup Visibility", g.SubgroupVisibility);
                CapabilityRows(table, g.DefaultCapabilities);

                o.Render(table);
            });
        }));

        var capsGroup = new Argument<string>("GROUP_ID") { Description = "Group id" };
        var capsValue = new Argument<string?>("CAPABILITIES")
        {
            Description = "Capability bits as a number or names joined by ','; combined with the --can-* flags (none given: 0)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var setCaps = new Command("set-default-capabilities", "Set default capabilities for new group members (admin only)") { capsGroup, capsValue };
        setCaps.Aliases.Add("set-default-caps");
        var flags = AddCapabilityFlags(setCaps, "New members get");
        setCaps.SetAction(Run(async (s, ct) =>
        {
            var caps = ReadCapabilities(s.Parse, capsValue, flags);
            await s.Client.SetDefaultCapabilitiesAsync(s.Parse.GetRequiredValue(capsGroup), caps, ct).ConfigureAwait(false);
            s.Output.Write(new SetDefaultCapabilitiesRequest(caps), o => o.Render(Output.Success("Default Capabilities Updated", $"New members get {DescribeCapabilities(caps)}")));
        }));

        var visGroup = new Argument<string>("GROUP_ID") { Description = "Group id" };
        var mode = new Option<string>("--mode") { Description = "open (parent members with CAN_JOIN_OPEN_SUBGROUPS are inherited) or restricted", Required = true };
        mode.AcceptOnlyFromAmong("open", "restricted");
        var setVis = new Command("set-subgroup-visibility", "Set this subgroup's visibility (admin or CAN_MANAGE_VISIBILITY)") { visGroup, mode };
        setVis.Aliases.Add("set-subgroup-vis");
        setVis.SetAction(Run(async (s, ct) =>
        {
            var value = s.Parse.GetRequiredValue(mode);
            await s.Client.SetSubgroupVisibilityAsync(s.Parse.GetRequiredValue(visGroup), value, ct).ConfigureAwait(false);
            s.Output.Write(new SetSubgroupVisibilityRequest(value), o => o.Render(Output.Success("Subgroup Visibility Updated", $"Visibility set to {value}")));
        }));

        command.Add(get);
        command.Add(setCaps);
        command.Add(setVis);
        return command;
    }

    private Command GroupSyncCommand()
    {
        var group = new Argument<string>("GROUP_ID") { Description = "Group id" };
        var sync = new Command("sync", "Catch the group's namespace up from its peers now") { group };
        sync.SetAction(Run(async (s, ct) =>
        {
            var result = await s.Client.SyncGroupAsync(s.Parse.GetRequiredValue(group), ct).ConfigureAwait(false);
            s.Output.Write(result, o =>
            {
                var table = Output.Table("Group Synced", "Value");
                Output.Row(table, "Group ID", result.GroupId);
                Output.Row(table, "Peers Asked", result.PeersAsked.ToString(CultureInfo.InvariantCulture));
                Output.Row(table, "Peers Failed", result.PeersFailed.ToString(CultureInfo.InvariantCulture));
                Output.Row(table, "Ops Fetched", result.OpsFetched.ToString(CultureInfo.InvariantCulture));
                Output.Row(table, "Members", result.MemberCount.ToString(CultureInfo.InvariantCulture));
                Output.Row(table, "Contexts", result.ContextCount.ToString(CultureInfo.InvariantCulture));
                Output.Row(table, "State Hash", result.GroupStateHash);
                o.Render(table);
            });
        }));
        return sync;
    }

    private Command GroupContextDetachCommand()
    {
        var group = new Argument<string>("GROUP_ID") { Description = "Group id" };
        var context = new Argument<string>("CONTEXT_ID") { Description = "Context registered in the group" };
        var detach = new Command("detach", "Detach a context from a group (admins of the group)") { group, context };
        detach.SetAction(Run(async (s, ct) =>
        {
            var contextId = s.Parse.GetRequiredValue(context);
            await s.Client.DetachContextFromGroupAsync(s.Parse.GetRequiredValue(group), contextId, ct).ConfigureAwait(false);
            s.Output.Write(new EmptyResponse(), o => o.Render(Output.Success("Context Detached", $"Detached {contextId}")));
        }));
        return detach;
    }

    private IEnumerable<Command> MemberAddCommands()
    {
        var addGroup = new Argument<string>("GROUP_ID") { Description = "Group id" };
        var addIdentity = new Argument<string>("IDENTITY") { Description = "Public key of a member of the namespace" };
        var addRole = new Argument<string?>("ROLE") { Description = "admin, member (default) or read-only", Arity = ArgumentArity.ZeroOrOne };
        var roleOption = new Option<string?>("--role") { Description = "Same as ROLE" };
        var add = new Command("add", "Add a member of the namespace to a group") { addGroup, addIdentity, addRole, roleOption };
        add.SetAction(Run(async (s, ct) =>
        {
            var positional = s.Parse.GetValue(addRole);
            var option = s.Parse.GetValue(roleOption);
            if (positional is not null && option is not null && !string.Equals(positional, option, StringComparison.OrdinalIgnoreCase))
            {
                throw new UsageException($"ROLE '{positional}' and --role '{option}' conflict: give one");
            }

            var role = positional ?? option ?? "member";
            var identity = s.Parse.GetRequiredValue(addIdentity);
            await s.Client.AddGroupMembersAsync(s.Parse.GetRequiredValue(addGroup), new AddGroupMembersRequest([new GroupMemberInput(identity, role)]), ct).ConfigureAwait(false);
            s.Output.Write(new EmptyResponse(), o => o.Render(Output.Success("Member Added", $"Added {identity} as {role}")));
        }));

        var checkGroup = new Argument<string>("GROUP_ID") { Description = "Group id" };
        var checkIdentity = new Argument<string>("IDENTITY") { Description = "Public key to check" };
        var check = new Command("check-access", "Show an identity's role and capabilities in a group") { checkGroup, checkIdentity };
        check.SetAction(Run(async (s, ct) =>
        {
            var groupId = s.Parse.GetRequiredValue(checkGroup);
            var identity = s.Parse.GetRequiredValue(checkIdentity);
            var members = await s.Client.ListGroupMembersAsync(groupId, ct).ConfigureAwait(false);
            var row = members.Members.FirstOrDefault(m => string.Equals(m.Identity, identity, StringComparison.Ordinal));
            var caps = row?.Capabilities ?? 0;
            var result = new AccessCheck(groupId, identity, row?.Role ?? "not a member", caps, [.. CapabilityNames.Where((_, bit) => (caps & (1u << bit)) != 0)]);
            s.Output.Write(result, o =>
            {
                var table = Output.Table("Access", "Value");
                Output.Row(table, "Role", result.Role);
                CapabilityRows(table, caps);

                o.Render(table);
            });
        }));

        return [add, check];
    }
}
