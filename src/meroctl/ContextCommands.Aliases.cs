using System.CommandLine;
using Mero.Client;

namespace Meroctl;

/// <summary>An alias that names nothing on the node (or no default context set): exit code 1.</summary>
internal sealed class AliasNotFoundException(string message) : Exception(message);

/// <summary>
/// <c>context alias add|remove|get|list</c>, <c>context use</c>, <c>context leave</c>, and the one
/// place where an alias given for a context or application id is resolved (via the node's lookup route).
/// </summary>
public sealed partial class CommandFactory
{
    private const string DefaultContext = "default";

    private Command ContextAliasCommand()
    {
        var addName = new Argument<string>("ALIAS") { Description = "Name for the alias" };
        var addContext = new Argument<string>("CONTEXT") { Description = "The context (id or alias) to create an alias for" };
        var force = new Option<bool>("--force", "-f") { Description = "Overwrite the alias if it already points elsewhere" };
        var add = new Command("add", "Add a new alias for a context") { addName, addContext, force };
        add.Aliases.Add("new");
        add.Aliases.Add("create");
        add.SetAction(Run(async (s, ct) =>
        {
            var name = s.Parse.GetRequiredValue(addName);
            if (name == DefaultContext)
            {
                throw new UsageException($"'{DefaultContext}' is set with 'context use <CONTEXT>'");
            }

            await PointContextAliasAsync(s, name, s.Parse.GetRequiredValue(addContext), s.Parse.GetValue(force), ct).ConfigureAwait(false);
        }));

        var removeName = new Argument<string>("ALIAS") { Description = "Name of the alias to remove" };
        var remove = new Command("remove", "Remove a context alias") { removeName };
        foreach (var alias in new[] { "rm", "del", "delete" })
        {
            remove.Aliases.Add(alias);
        }

        remove.SetAction(Run(async (s, ct) =>
        {
            var name = CheckedAlias(s.Parse.GetRequiredValue(removeName));
            await s.Client.DeleteAliasAsync(AliasTarget.Context, name, ct).ConfigureAwait(false);
            s.Output.Write(new { alias = name, deleted = true }, o => o.Render(Output.Success("Alias Deleted", $"Successfully deleted alias '{name}'")));
        }));

        var getName = new Argument<string>("ALIAS") { Description = "Name of the alias to look up", DefaultValueFactory = _ => DefaultContext };
        var get = new Command("get", "Resolve an alias to a context") { getName };
        get.SetAction(Run(async (s, ct) =>
        {
            var name = CheckedAlias(s.Parse.GetRequiredValue(getName));
            var value = await s.Client.LookupAliasAsync(AliasTarget.Context, name, ct).ConfigureAwait(false);
            s.Output.Write(new Mero.Api.LookupAliasData(value), o =>
            {
                var table = Output.Table("Alias Lookup", "");
                Output.Row(table, "Alias", name);
                Output.Row(table, "Status", value is null ? "Not Found" : "Found");
                if (value is not null)
                {
                    Output.Row(table, "Value", value);
                }

                o.Render(table);
            });
        }));

        var list = new Command("list", "List all context aliases");
        list.Aliases.Add("ls");
        list.SetAction(Run(async (s, ct) =>
        {
            var aliases = await s.Client.ListAliasesAsync(AliasTarget.Context, ct).ConfigureAwait(false);
            s.Output.Write(aliases, o =>
            {
                if (aliases.Count == 0)
                {
                    o.Line("No context aliases");
                    return;
                }

                var table = Output.Table("Value", "Alias");
                foreach (var (name, value) in aliases.OrderBy(a => a.Key, StringComparer.Ordinal))
                {
                    Output.Row(table, value, name);
                }

                o.Render(table);
            });
        }));

        return new Command("alias", "Manage context aliases") { add, remove, get, list };
    }

    private Command ContextUseCommand()
    {
        var context = new Argument<string>("CONTEXT") { Description = "The context (id or alias) to make the default" };
        var force = new Option<bool>("--force", "-f") { Description = "Overwrite the default if it already points elsewhere" };
        var use = new Command("use", $"Set the default context (the '{DefaultContext}' alias)") { context, force };
        use.SetAction(Run((s, ct) => PointContextAliasAsync(s, DefaultContext, s.Parse.GetRequiredValue(context), s.Parse.GetValue(force), ct)));
        return use;
    }

    private Command ContextLeaveCommand()
    {
        var context = new Argument<string>("CONTEXT") { Description = "The context (id or alias) to leave on this node" };
        var leave = new Command("leave", "Locally stop following a context (no governance op; its data stays, writes are refused)") { context };
        leave.SetAction(Run(async (s, ct) =>
        {
            var id = await ResolveContextAsync(s, s.Parse.GetRequiredValue(context), ct).ConfigureAwait(false);
            var result = await s.Client.LeaveContextAsync(id, ct).ConfigureAwait(false);
            s.Output.Write(result, o =>
            {
                var table = Output.Table("Context Left", "Value");
                Output.Row(table, "Context ID", result.ContextId);
                Output.Row(table, "Member Public Key", result.MemberPublicKey);
                o.Render(table);
            });
        }));
        return leave;
    }

    /// <summary>Upstream's add/use flow: the target must exist; a name pointing elsewhere needs --force (delete, then create).</summary>
    private static async Task PointContextAliasAsync(Session s, string name, string target, bool force, CancellationToken ct)
    {
        CheckedAlias(name);
        var contextId = await ResolveContextAsync(s, target, ct).ConfigureAwait(false);
        var existing = await s.Client.LookupAliasAsync(AliasTarget.Context, name, ct).ConfigureAwait(false);
        if (existing == contextId)
        {
            s.Output.Write(new { alias = name, contextId, changed = false }, o => o.Line($"Alias '{name}' already points to '{contextId}'. Doing nothing."));
            return;
        }

        if (existing is not null)
        {
            if (!force)
            {
                throw new AliasNotFoundException($"alias '{name}' already points to '{existing}'; use --force to overwrite");
            }

            await s.Client.DeleteAliasAsync(AliasTarget.Context, name, ct).ConfigureAwait(false);
        }

        await s.Client.CreateContextAliasAsync(name, contextId, ct).ConfigureAwait(false);
        s.Output.Write(new { alias = name, contextId, changed = true }, o => o.Render(Output.Success("Alias Created", $"Alias '{name}' now points to '{contextId}'")));
    }

    /// <summary>A context id, or an alias to one; a missing <paramref name="aliasOrId"/> means the '<c>default</c>' alias.</summary>
    private static async Task<string> ResolveContextAsync(Session s, string? aliasOrId, CancellationToken ct)
    {
        var text = aliasOrId ?? DefaultContext;
        return await s.Client.ResolveAsync(AliasTarget.Context, CheckedAliasOrId(text), ct).ConfigureAwait(false)
            ?? throw new AliasNotFoundException(text == DefaultContext
                ? "no context given and no default context set: pass --context or run 'meroctl context use <CONTEXT>'"
                : $"'{text}' is neither a context id nor a context alias on this node");
    }

    private static async Task<string> ResolveApplicationAsync(Session s, string aliasOrId, CancellationToken ct) =>
        await s.Client.ResolveAsync(AliasTarget.Application, CheckedAliasOrId(aliasOrId), ct).ConfigureAwait(false)
            ?? throw new AliasNotFoundException($"'{aliasOrId}' is neither an application id nor an application alias on this node");

    /// <summary>Ids are 43-44 base58 characters, within the alias rules; anything the rules refuse is a usage error here, not a lookup.</summary>
    private static string CheckedAliasOrId(string text) => CheckedAlias(text);

    private static string CheckedAlias(string name) => MeroClient.AliasNameError(name) is { } error ? throw new UsageException(error) : name;
}
