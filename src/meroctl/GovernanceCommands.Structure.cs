using System.CommandLine;
using Mero.Api;

namespace Meroctl;

/// <summary>
/// Group structure and metadata with upstream meroctl's names: group reparent, metadata /
/// member-metadata / context-metadata (get, set as a read-modify-write like upstream's), and
/// transfer-ownership (not an upstream command: upstream has the op without a CLI).
/// </summary>
public sealed partial class CommandFactory
{
    private IEnumerable<Command> GroupStructureCommands()
    {
        var reparentId = new Argument<string>("GROUP_ID") { Description = "Group to move" };
        var newParent = new Argument<string>("NEW_PARENT_ID") { Description = "Its new parent group" };
        var reparent = new Command("reparent", "Atomically move a group to a new parent") { reparentId, newParent };
        reparent.SetAction(Run(async (s, ct) =>
        {
            var result = await s.Client.ReparentGroupAsync(s.Parse.GetRequiredValue(reparentId), s.Parse.GetRequiredValue(newParent), ct).ConfigureAwait(false);
            s.Output.Write(result, o => o.Render(Output.Success("Group Reparented", result.Reparented ? "Successfully reparented group" : "Reparent did not change parent")));
        }));

        var transferId = new Argument<string>("GROUP_ID") { Description = "Group (or namespace root) this node owns" };
        var newOwner = new Argument<string>("NEW_OWNER") { Description = "Public key of a direct member" };
        var transfer = new Command("transfer-ownership", "Hand ownership of a group to a direct member (owner only)") { transferId, newOwner };
        transfer.SetAction(Run(async (s, ct) =>
        {
            var result = await s.Client.TransferOwnershipAsync(s.Parse.GetRequiredValue(transferId), s.Parse.GetRequiredValue(newOwner), ct).ConfigureAwait(false);
            s.Output.Write(result, o => o.Render(Output.Row(Output.Table("Group", "Owner"), result.GroupId, result.Owner)));
        }));

        return
        [
            reparent,
            transfer,
            MetadataCommand("metadata", "Show / update a group's metadata record", null),
            MetadataCommand("member-metadata", "Show / update a member's metadata record", "IDENTITY"),
            MetadataCommand("context-metadata", "Show / update a registered context's metadata", "CONTEXT_ID"),
        ];
    }

    /// <summary>get/set for one metadata target; <paramref name="targetName"/> is the second argument (null for the group).</summary>
    private Command MetadataCommand(string name, string description, string? targetName)
    {
        var command = new Command(name, description);
        foreach (var verb in new[] { "get", "set" })
        {
            var group = new Argument<string>("GROUP_ID") { Description = "Group id" };
            var target = targetName is null ? null : new Argument<string>(targetName) { Description = targetName == "IDENTITY" ? "Member public key" : "Context id" };
            var sub = new Command(verb, verb == "get" ? "Show the metadata record" : "Update the metadata record (read, merge, write)") { group };
            if (target is not null)
            {
                sub.Add(target);
            }

            string? Member(ParseResult p) => targetName == "IDENTITY" ? p.GetRequiredValue(target!) : null;
            string? Context(ParseResult p) => targetName == "CONTEXT_ID" ? p.GetRequiredValue(target!) : null;

            if (verb == "get")
            {
                sub.SetAction(Run(async (s, ct) =>
                {
                    var result = await s.Client.GetMetadataAsync(s.Parse.GetRequiredValue(group), Member(s.Parse), Context(s.Parse), ct).ConfigureAwait(false);
                    s.Output.Write(result, o => RenderMetadata(o, result.Data));
                }));
            }
            else
            {
                var newName = new Option<string?>("--name") { Description = "Set the display name (omit to keep the current name)" };
                var set = new Option<string[]>("--set") { Description = "Insert/overwrite a data entry (repeatable)", HelpName = "KEY=VALUE", AllowMultipleArgumentsPerToken = false };
                var unset = new Option<string[]>("--unset") { Description = "Remove a data entry (repeatable); not with --replace-data", HelpName = "KEY" };
                var replace = new Option<bool>("--replace-data") { Description = "Replace the whole data map with the --set pairs instead of merging" };
                sub.Add(newName);
                sub.Add(set);
                sub.Add(unset);
                sub.Add(replace);
                sub.SetAction(Run(async (s, ct) =>
                {
                    var pairs = new List<(string Key, string Value)>();
                    foreach (var kv in s.Parse.GetValue(set) ?? [])
                    {
                        var eq = kv.IndexOf('=', StringComparison.Ordinal);
                        if (eq <= 0)
                        {
                            throw new UsageException($"--set '{kv}' is not KEY=VALUE");
                        }

                        pairs.Add((kv[..eq], kv[(eq + 1)..]));
                    }

                    var removed = s.Parse.GetValue(unset) ?? [];
                    var replaceData = s.Parse.GetValue(replace);
                    if (replaceData && removed.Length > 0)
                    {
                        throw new UsageException("--unset and --replace-data conflict: give one");
                    }

                    var groupId = s.Parse.GetRequiredValue(group);
                    var current = replaceData ? null : (await s.Client.GetMetadataAsync(groupId, Member(s.Parse), Context(s.Parse), ct).ConfigureAwait(false)).Data;
                    var data = new SortedDictionary<string, string>(current?.Data.ToDictionary() ?? [], StringComparer.Ordinal);
                    foreach (var (key, value) in pairs)
                    {
                        data[key] = value;
                    }

                    foreach (var key in removed)
                    {
                        data.Remove(key);
                    }

                    await s.Client.SetMetadataAsync(groupId, new SetMetadataRequest(s.Parse.GetValue(newName), data), Member(s.Parse), Context(s.Parse), ct).ConfigureAwait(false);
                    var written = new MetadataRecordDto(s.Parse.GetValue(newName) ?? current?.Name, data);
                    s.Output.Write(new GetMetadataResponse(written), o => RenderMetadata(o, written));
                }));
            }

            command.Add(sub);
        }

        return command;
    }

    private static void RenderMetadata(Output o, MetadataRecordDto? record)
    {
        if (record is null)
        {
            o.Line("No metadata set");
            return;
        }

        var table = Output.Table("Field", "Value");
        Output.Row(table, "name", record.Name ?? "");
        foreach (var (key, value) in record.Data)
        {
            Output.Row(table, "data." + key, value);
        }

        o.Render(table);
    }
}
