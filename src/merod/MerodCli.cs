using System.CommandLine;

namespace Merod;

/// <summary>The <c>merod</c> command line: global <c>--home</c> and <c>--node</c>, commands <c>init</c> and <c>run</c>.</summary>
public static class MerodCli
{
    public static Task<int> RunAsync(string[] args)
    {
        var home = new Option<string>("--home")
        {
            Description = "Directory holding node homes",
            Recursive = true,
            DefaultValueFactory = _ => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".calimero"),
        };
        var node = new Option<string>("--node", "--node-name")
        {
            Description = "Name of the node (its home is HOME/NAME)",
            Recursive = true,
            Required = true,
        };

        var serverPort = new Option<int>("--server-port") { Description = "HTTP port (admin API, JSON-RPC)", DefaultValueFactory = _ => 2528 };
        var serverHost = new Option<string>("--server-host") { Description = "HTTP bind address", DefaultValueFactory = _ => "127.0.0.1" };
        var swarmPort = new Option<int>("--swarm-port") { Description = "libp2p port", DefaultValueFactory = _ => 2428 };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing node home" };
        var init = new Command("init", "Create a node home: config.toml, identity key and datastore")
        {
            serverPort, serverHost, swarmPort, force,
        };
        init.SetAction(result => InitCommand.Run(
            NodeHome(result.GetValue(home)!, result.GetValue(node)!),
            result.GetValue(serverHost)!,
            result.GetValue(serverPort),
            result.GetValue(swarmPort),
            result.GetValue(force)));

        var run = new Command("run", "Run the node until Ctrl-C");
        run.SetAction((result, ct) => RunCommand.RunAsync(NodeHome(result.GetValue(home)!, result.GetValue(node)!), ct));

        var root = new RootCommand("merod: the Mero node daemon") { home, node, init, run };
        // System.CommandLine would answer SIGINT/SIGTERM itself and kill the process two seconds later,
        // cutting a node's shutdown (store close, peers told) short under load. The host's console
        // lifetime handles the signals instead and waits for a clean stop (HostOptions.ShutdownTimeout).
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    private static string NodeHome(string home, string node) => Path.GetFullPath(Path.Combine(home, node));
}
