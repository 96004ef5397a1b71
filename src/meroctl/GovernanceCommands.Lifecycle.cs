using System.CommandLine;
using Mero.Api;

namespace Meroctl;

/// <summary>
/// Leave, delete and subgroups with upstream meroctl's names: namespace delete (del) / leave /
/// create-group; group delete (del) / leave / subgroups.
/// </summary>
public sealed partial class CommandFactory
{
    private IEnumerable<Command> NamespaceLifecycleCommands()
    {
        var deleteNs = new Argument<string>("NAMESPACE_ID") { Description = "Namespace id" };
        var delete = new Command("delete", "Delete a namespace on this node (root admins only; peers keep theirs)") { deleteNs };
        delete.Aliases.Add("del");
        delete.SetAction(Run(async (s, ct) =>
        {
            var result = await s.Client.DeleteNamespaceAsync(s.Parse.GetRequiredValue(deleteNs), ct).ConfigureAwait(false);
            s.Output.Write(result, o => o.Line(result.IsDeleted ? "Namespace deleted" : "Namespace not deleted"));
        }));

        var leaveNs = new Argument<string>("NAMESPACE_ID") { Description = "Namespace id" };
        var leave = new Command("leave", "Leave a namespace (cascades through descendants)") { leaveNs };
        leave.SetAction(Run(async (s, ct) =>
        {
            var result = await s.Client.LeaveNamespaceAsync(s.Parse.GetRequiredValue(leaveNs), ct).ConfigureAwait(false);
            s.Output.Write(result, o => o.Render(Output.Row(Output.Table("Namespace Left", "Member Public Key"), result.NamespaceId, result.MemberPublicKey)));
        }));

        var createNs = new Argument<string>("NAMESPACE_ID") { Description = "Namespace id" };
        var alias = new Option<string?>("--alias") { Description = "Name of the new group" };
        var visibility = new Option<string?>("--visibility") { Description = "open or restricted (default)" };
        var createGroup = new Command("create-group", "Create a child group in a namespace") { createNs, alias, visibility };
        createGroup.SetAction(Run(async (s, ct) =>
        {
            var result = await s.Client.CreateGroupInNamespaceAsync(
                s.Parse.GetRequiredValue(createNs),
                new CreateGroupInNamespaceRequest(s.Parse.GetValue(alias), s.Parse.GetValue(visibility)),
                ct).ConfigureAwait(false);
            s.Output.Write(result, o => o.Render(Output.Row(Output.Table("Group Created"), result.GroupId)));
        }));

        return [delete, leave, createGroup];
    }

    private IEnumerable<Command> GroupLifecycleCommands()
    {
        var deleteId = new Argument<string>("GROUP_ID") { Description = "Group id" };
        var delete = new Command("delete", "Delete a group with its subgroups and contexts") { deleteId };
        delete.Aliases.Add("del");
        delete.SetAction(Run(async (s, ct) =>
        {
            var result = await s.Client.DeleteGroupAsync(s.Parse.GetRequiredValue(deleteId), ct).ConfigureAwait(false);
            s.Output.Write(result, o => o.Line(result.IsDeleted ? "Group deleted" : "Group not deleted"));
        }));

        var leaveId = new Argument<string>("GROUP_ID") { Description = "Group id (not a namespace root: use namespace leave)" };
        var leave = new Command("leave", "Voluntarily leave a group") { leaveId };
        leave.SetAction(Run(async (s, ct) =>
        {
            var result = await s.Client.LeaveGroupAsync(s.Parse.GetRequiredValue(leaveId), ct).ConfigureAwait(false);
            s.Output.Write(result, o => o.Render(Output.Row(Output.Table("Group Left", "Member Public Key"), result.GroupId, result.MemberPublicKey)));
        }));

        var subgroupsId = new Argument<string>("GROUP_ID") { Description = "Group id" };
        var subgroups = new Command("subgroups", "List direct subgroups of a group") { subgroupsId };
        subgroups.SetAction(Run(async (s, ct) =>
        {
            var result = await s.Client.ListSubgroupsAsync(s.Parse.GetRequiredValue(subgroupsId), ct).ConfigureAwait(false);
            s.Output.Write(result, o =>
            {
                if (result.Subgroups.Count == 0)
                {
                    o.Line("No subgroups");
                    return;
                }

                var table = Output.Table("Group ID", "Name");
                foreach (var g in result.Subgroups)
                {
                    Output.Row(table, g.GroupId, g.Name);
                }

                o.Render(table);
            });
        }));

        return [delete, leave, subgroups];
    }
}
