using System.CommandLine;
using System.CommandLine.Help;
using System.Text.Json;
using Mero.Client;

namespace Meroctl;

/// <summary>The meroctl entry point, usable in-process: arguments in, text out, an exit code back.</summary>
public static class Cli
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int UsageError = 2;

    /// <summary>
    /// Parses and runs <paramref name="args"/>, writing results to <paramref name="stdout"/> and
    /// diagnostics to <paramref name="stderr"/>. Exit codes: 0 ok, 1 failure, 2 usage error.
    /// ANSI colors are only used when <paramref name="stdout"/> is the process's own terminal.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);

        var terminal = ReferenceEquals(stdout, System.Console.Out) && !System.Console.IsOutputRedirected;
        var root = new CommandFactory(stdout, stderr, terminal).CreateRootCommand();
        var parse = root.Parse(args);
        var invocation = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };

        if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
        {
            foreach (var error in parse.Errors)
            {
                await stderr.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            }

            await stderr.WriteLineAsync("Run 'meroctl --help' (or add --help to the command) for usage.").ConfigureAwait(false);
            return UsageError;
        }

        return await parse.InvokeAsync(invocation, ct).ConfigureAwait(false);
    }
}

/// <summary>Bad input the parser could not catch (invalid JSON, neither --node nor --api…): exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>Builds the meroctl command tree; each action writes to the given writers.</summary>
public sealed partial class CommandFactory(TextWriter stdout, TextWriter stderr, bool terminal = false)
{
    private readonly Option<string> _home = new("--home")
    {
        Description = "Directory holding node homes (<home>/<node>/config.toml). Env: CALIMERO_HOME",
        HelpName = "DIR",
        Recursive = true,
        DefaultValueFactory = _ => NodeAddress.DefaultHome(),
    };

    private readonly Option<string?> _node = new("--node")
    {
        Description = "Node name: read its server address from <home>/<node>/config.toml. Conflicts with --api",
        HelpName = "NAME",
        Recursive = true,
    };

    private readonly Option<string?> _api = new("--api")
    {
        Description = "Base URL of the node's API, e.g. http://127.0.0.1:2528. Conflicts with --node",
        HelpName = "URL",
        Recursive = true,
    };

    private readonly Option<string> _outputFormat = CreateOutputFormatOption();

    public RootCommand CreateRootCommand()
    {
        var root = new RootCommand("Command-line tool for operating a Calimero (mero) node: applications, contexts and method calls.")
        {
            _home,
            _node,
            _api,
            _outputFormat,
            HealthCommand(),
            AppCommand(),
            ContextCommand(),
            CallCommand(),
            NamespaceCommand(), GroupCommand(),
            BlobCommand(),
            PeersCommand(),
            NetworkCommand(),
        };
        return root;
    }

    private static Option<string> CreateOutputFormatOption()
    {
        var option = new Option<string>("--output-format")
        {
            Description = "human (tables) or json (one machine-readable document on stdout)",
            HelpName = "FORMAT",
            Recursive = true,
            DefaultValueFactory = _ => "human",
        };
        option.AcceptOnlyFromAmong("human", "json");
        return option;
    }

    private Command HealthCommand()
    {
        var command = new Command("health", "Check that the node is up");
        command.SetAction(Run(async (s, ct) =>
        {
            var health = await s.Client.HealthAsync(ct).ConfigureAwait(false);
            s.Output.Write(health, o => o.Render(Output.Row(Output.Table("Node", "Status"), s.Client.BaseAddress.ToString(), health.Status)));
        }));
        return command;
    }

    private Command AppCommand()
    {
        var command = new Command("app", "Manage applications");

        var path = new Option<string>("--path", "-p") { Description = "Path to the application's .wasm file", Required = true, HelpName = "FILE" };
        var metadata = new Option<string?>("--metadata", "-m") { Description = "Metadata for the application (stored as bytes)" };
        var package = new Option<string?>("--package") { Description = "Package name, e.g. com.example.myapp" };
        var version = new Option<string?>("--version") { Description = "Package version, e.g. 1.0.0" };
        var upload = new Option<bool>("--upload") { Description = "Send the file's bytes to the node (for a node on another machine) instead of its path" };
        var install = new Command("install", "Install an application") { path, metadata, package, version, upload };
        install.SetAction(Run(async (s, ct) =>
        {
            var file = Path.GetFullPath(s.Parse.GetRequiredValue(path));
            if (!File.Exists(file))
            {
                throw new UsageException($"--path: no such file: {file}");
            }

            var meta = s.Parse.GetValue(metadata);
            var result = s.Parse.GetValue(upload)
                ? await UploadAsync(s.Client, file, meta, s.Parse.GetValue(package), s.Parse.GetValue(version), ct).ConfigureAwait(false)
                : await s.Client.InstallDevApplicationAsync(
                    new Mero.Api.InstallDevApplicationRequest(
                        file,
                        meta is null ? [] : System.Text.Encoding.UTF8.GetBytes(meta),
                        s.Parse.GetValue(package),
                        s.Parse.GetValue(version)),
                    ct).ConfigureAwait(false);
            s.Output.Write(result, o => o.Render(Output.Success("Application Installed", $"Successfully installed application '{result.ApplicationId}'")));
        }));

        var list = new Command("list", "List installed applications");
        list.Aliases.Add("ls");
        list.SetAction(Run(async (s, ct) =>
        {
            var apps = await s.Client.ListApplicationsAsync(ct).ConfigureAwait(false);
            s.Output.Write(apps, o =>
            {
                if (apps.Apps.Count == 0)
                {
                    o.Line("No applications found");
                    return;
                }

                var table = Output.Table("ID", "Source", "Size", "Blob");
                foreach (var app in apps.Apps)
                {
                    Output.Row(table, app.Id, app.Source, app.Size.ToString(System.Globalization.CultureInfo.InvariantCulture), $"Blob: {app.Blob.Bytecode}");
                }

                o.Render(table);
            });
        }));

        var appId = new Argument<string>("APP_ID") { Description = "Application id or alias" };
        var get = new Command("get", "Fetch application details") { appId };
        get.SetAction(Run(async (s, ct) =>
        {
            var id = await ResolveApplicationAsync(s, s.Parse.GetRequiredValue(appId), ct).ConfigureAwait(false);
            var result = await s.Client.GetApplicationAsync(id, ct).ConfigureAwait(false);
            s.Output.Write(result, o =>
            {
                if (result.Application is not { } app)
                {
                    o.Line("No application found");
                    return;
                }

                var table = Output.Table("ID", "Source", "Size", "Blob", "Package", "Version");
                o.Render(Output.Row(
                    table,
                    app.Id,
                    app.Source,
                    app.Size.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    $"Blob: {app.Blob.Bytecode}",
                    app.Package,
                    app.Version));
            });
        }));

        command.Add(install);
        command.Add(list);
        command.Add(get);
        command.Add(AppUninstallCommand());
        return command;
    }

    private static async Task<Mero.Api.InstallApplicationResponseData> UploadAsync(
        MeroClient client, string file, string? metadata, string? package, string? version, CancellationToken ct)
    {
        var stream = File.OpenRead(file);
        await using (stream.ConfigureAwait(false))
        {
            return await client.UploadApplicationAsync(stream, Path.GetFileName(file), metadata, package, version, ct).ConfigureAwait(false);
        }
    }

    private Command ContextCommand()
    {
        var command = new Command("context", "Manage contexts");

        var applicationId = new Option<string>("--application-id", "-a") { Description = "Application (id or alias) to run in the context", Required = true, HelpName = "APP_ID" };
        var parameters = new Option<string?>("--params", "-p") { Description = "JSON arguments for the application's init", HelpName = "JSON" };
        var seed = new Option<string?>("--seed", "-s") { Description = "Seed for a deterministic context id (base58 hash)" };
        var name = new Option<string?>("--name") { Description = "Create a context alias with this name (also the context's name)", HelpName = "ALIAS" };
        var groupId = new Option<string?>("--group-id") { Description = "Group to create the context in" };
        var create = new Command("create", "Create a new context") { applicationId, parameters, seed, name, groupId };
        create.SetAction(Run(async (s, ct) =>
        {
            byte[]? init = null;
            if (s.Parse.GetValue(parameters) is { } json)
            {
                init = System.Text.Encoding.UTF8.GetBytes(ParseJson(json, "--params").GetRawText());
            }

            // Checked before creating, so a bad alias does not leave a context behind.
            var alias = s.Parse.GetValue(name) is { } n ? CheckedAlias(n) : null;
            if (alias is not null && await s.Client.LookupAliasAsync(AliasTarget.Context, alias, ct).ConfigureAwait(false) is { } taken)
            {
                throw new AliasNotFoundException($"--name: alias '{alias}' already points to '{taken}'; nothing was created");
            }

            var request = new Mero.Api.CreateContextRequest(
                await ResolveApplicationAsync(s, s.Parse.GetRequiredValue(applicationId), ct).ConfigureAwait(false),
                ContextSeed: s.Parse.GetValue(seed),
                InitializationParams: init,
                GroupId: s.Parse.GetValue(groupId),
                Name: s.Parse.GetValue(name));
            var result = await s.Client.CreateContextAsync(request, ct).ConfigureAwait(false);
            if (alias is not null)
            {
                await s.Client.CreateContextAliasAsync(alias, result.ContextId, ct).ConfigureAwait(false);
            }

            s.Output.Write(result, o =>
            {
                var table = Output.Table("Context Created", "Value");
                Output.Row(table, "Context ID", result.ContextId);
                Output.Row(table, "Member Public Key", result.MemberPublicKey);
                if (alias is not null)
                {
                    Output.Row(table, "Alias", alias);
                }

                if (result.GroupId is { } group)
                {
                    Output.Row(table, "Group ID", group);
                }

                o.Render(table);
            });
        }));

        var list = new Command("list", "List all contexts");
        list.Aliases.Add("ls");
        list.SetAction(Run(async (s, ct) =>
        {
            var contexts = await s.Client.ListContextsAsync(ct).ConfigureAwait(false);
            s.Output.Write(contexts, o =>
            {
                if (contexts.Contexts.Count == 0)
                {
                    o.Line("No contexts found");
                    return;
                }

                var table = ContextTable();
                foreach (var context in contexts.Contexts)
                {
                    ContextRow(table, context);
                }

                o.Render(table);
            });
        }));

        var getId = new Argument<string>("CONTEXT") { Description = "Context id or alias" };
        var get = new Command("get", "Fetch context details") { getId };
        get.SetAction(Run(async (s, ct) =>
        {
            var context = await s.Client.GetContextAsync(await ResolveContextAsync(s, s.Parse.GetRequiredValue(getId), ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            s.Output.Write(context, o => o.Render(ContextRow(ContextTable(), context)));
        }));

        var deleteId = new Argument<string>("CONTEXT") { Description = "Context id or alias" };
        var delete = new Command("delete", "Delete a context") { deleteId };
        delete.Aliases.Add("del");
        delete.SetAction(Run(async (s, ct) =>
        {
            var result = await s.Client.DeleteContextAsync(await ResolveContextAsync(s, s.Parse.GetRequiredValue(deleteId), ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            s.Output.Write(result, o => o.Render(Output.Success("Context Deleted", $"Successfully deleted context (deleted: {(result.IsDeleted ? "true" : "false")})")));
        }));

        var identitiesId = new Argument<string>("CONTEXT") { Description = "Context id or alias" };
        var identities = new Command("identities", "List the member identities of a context") { identitiesId };
        identities.SetAction(Run((s, ct) => ListIdentitiesAsync(s, s.Parse.GetRequiredValue(identitiesId), false, ct)));

        // Upstream's spelling: `context identity list --context ID`.
        var identityContext = new Option<string?>("--context", "-c") { Description = "Context id or alias (default: the 'default' context alias)", HelpName = "CONTEXT" };
        var owned = new Option<bool>("--owned") { Description = "Show only the identities this node holds keys for" };
        var identityList = new Command("list", "List identities in a context") { identityContext, owned };
        identityList.Aliases.Add("ls");
        identityList.SetAction(Run((s, ct) => ListIdentitiesAsync(s, s.Parse.GetValue(identityContext), s.Parse.GetValue(owned), ct)));
        var identity = new Command("identity", "Manage context identities") { identityList };

        command.Add(create);
        command.Add(list);
        command.Add(get);
        command.Add(delete);
        command.Add(identities);
        command.Add(identity);
        command.Add(ContextSyncCommand());
        command.Add(ContextAliasCommand());
        command.Add(ContextUseCommand());
        command.Add(ContextLeaveCommand());
        return command;
    }

    private static async Task ListIdentitiesAsync(Session s, string? context, bool owned, CancellationToken ct)
    {
        var contextId = await ResolveContextAsync(s, context, ct).ConfigureAwait(false);
        var result = owned
            ? await s.Client.GetOwnedContextIdentitiesAsync(contextId, ct).ConfigureAwait(false)
            : await s.Client.GetContextIdentitiesAsync(contextId, ct).ConfigureAwait(false);
        s.Output.Write(result, o =>
        {
            if (result.Identities.Count == 0)
            {
                o.Line("No identities found in context");
                return;
            }

            var table = Output.Table("Identity", "Type");
            foreach (var identity in result.Identities)
            {
                Output.Row(table, identity, owned ? "Owned Identity" : "Context Identity");
            }

            o.Render(table);
        });
    }

    private static Spectre.Console.Table ContextTable() =>
        Output.Table("Context ID", "Name", "Application ID", "Version", "Root Hash");

    private static Spectre.Console.Table ContextRow(Spectre.Console.Table table, Mero.Api.ContextDto context) =>
        Output.Row(table, context.Id, context.Name, context.ApplicationId, context.ApplicationVersion, context.ContextStateHash);

    private Command CallCommand()
    {
        var method = new Argument<string>("METHOD") { Description = "Method to call" };
        var context = new Option<string?>("--context", "-c") { Description = "Context (id or alias) to call the method on (default: the 'default' context alias)", HelpName = "CONTEXT" };
        var args = new Option<string?>("--args") { Description = "JSON arguments to pass to the method (default {})", HelpName = "JSON" };
        var executor = new Option<string?>("--as") { Description = "Public key of the member identity to execute as (default: the node's identity in the context)", HelpName = "PUBLIC_KEY" };
        var command = new Command("call", "Call a method on a context") { method, context, args, executor };
        command.SetAction(Run(async (s, ct) =>
        {
            var json = ParseJson(s.Parse.GetValue(args) ?? "{}", "--args");
            var result = await s.Client.ExecuteAsync(
                await ResolveContextAsync(s, s.Parse.GetValue(context), ct).ConfigureAwait(false),
                s.Parse.GetRequiredValue(method),
                json,
                s.Parse.GetValue(executor),
                ct).ConfigureAwait(false);
            s.Output.Write(result, o =>
            {
                if (result.Output is { } output)
                {
                    o.Line(Output.Pretty(output));
                }

                if (result.Logs.Count > 0)
                {
                    var logs = Output.Table("Logs");
                    foreach (var log in result.Logs)
                    {
                        Output.Row(logs, log);
                    }

                    o.Render(logs);
                }

                if (result.Events.Count > 0)
                {
                    var events = Output.Table("Event", "Data");
                    foreach (var e in result.Events)
                    {
                        Output.Row(events, e.Kind, e.Data is null ? e.DataBase64 : Output.Compact(e.Data));
                    }

                    o.Render(events);
                }

                if (result.Output is null && result.Logs.Count == 0 && result.Events.Count == 0)
                {
                    o.Line("(no output)");
                }
            });
        }));
        return command;
    }

    private static JsonElement ParseJson(string text, string option)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new UsageException($"{option} is not valid JSON: {ex.Message}");
        }
    }

    /// <summary>Wraps a command body: resolves the node, builds the client and output, maps failures to exit codes.</summary>
    private Func<ParseResult, CancellationToken, Task<int>> Run(Func<Session, CancellationToken, Task> body) => async (parse, ct) =>
    {
        try
        {
            var url = ResolveNode(parse);
            using var client = new MeroClient(url);
            var output = new Output(stdout, parse.GetValue(_outputFormat) == "json", terminal);
            await body(new Session(parse, client, output), ct).ConfigureAwait(false);
            return Cli.Success;
        }
        catch (UsageException ex)
        {
            await stderr.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return Cli.UsageError;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await stderr.WriteLineAsync("error: cancelled").ConfigureAwait(false);
            return Cli.Failure;
        }
        catch (Exception ex) when (ex is MeroApiException or NodeAddressException or IOException or UnauthorizedAccessException or AliasNotFoundException)
        {
            await stderr.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            if (ex is MeroApiException { RpcData.Detail: { Length: > 0 } detail } api && !api.Message.Contains(detail, StringComparison.Ordinal))
            {
                await stderr.WriteLineAsync($"  detail: {detail}").ConfigureAwait(false);
            }

            return Cli.Failure;
        }
    };

    private Uri ResolveNode(ParseResult parse)
    {
        var node = parse.GetValue(_node);
        var api = parse.GetValue(_api);
        if (node is not null && api is not null)
        {
            throw new UsageException("--node and --api conflict: give one");
        }

        if (api is not null)
        {
            if (!Uri.TryCreate(api, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                throw new UsageException($"--api '{api}' is not an http(s) URL, e.g. http://127.0.0.1:2528");
            }

            return url;
        }

        if (node is not null)
        {
            return NodeAddress.FromConfig(parse.GetValue(_home) ?? NodeAddress.DefaultHome(), node);
        }

        throw new UsageException("no node selected: pass --node NAME (reads <home>/NAME/config.toml) or --api URL");
    }

    private sealed record Session(ParseResult Parse, MeroClient Client, Output Output);
}
