using System.CommandLine;
using System.Globalization;

namespace Meroctl;

/// <summary>Operator commands: <c>peers</c>, <c>network status</c>, <c>context sync</c>, <c>app uninstall</c> (upstream's names and flags).</summary>
public sealed partial class CommandFactory
{
    private Command PeersCommand()
    {
        var command = new Command("peers", "Return the number of connected peers");
        command.SetAction(Run(async (s, ct) =>
        {
            var peers = await s.Client.GetPeersCountAsync(ct).ConfigureAwait(false);
            s.Output.Write(peers, o => o.Render(Output.Row(Output.Table("Peers Count", "Count"), "Connected peers", peers.Count.ToString(CultureInfo.InvariantCulture))));
        }));
        return command;
    }

    private Command NetworkCommand()
    {
        var status = new Command("status", "Show the node's libp2p status: peer id, addresses, connected peers, topics");
        status.SetAction(Run(async (s, ct) =>
        {
            var net = await s.Client.GetNetworkStatusAsync(ct).ConfigureAwait(false);
            s.Output.Write(net, o =>
            {
                var summary = Output.Table("Network", "Value");
                Output.Row(summary, "Local peer id", net.LocalPeerId);
                Output.Row(summary, "Listen addresses", net.ListenAddrs.Count == 0 ? "(none)" : string.Join('\n', net.ListenAddrs));
                Output.Row(summary, "External addresses", net.ExternalAddrs.Count == 0 ? "(none)" : string.Join('\n', net.ExternalAddrs));
                Output.Row(summary, "Connected peers", net.ConnectedPeers.Count.ToString(CultureInfo.InvariantCulture));
                Output.Row(summary, "Subscribed topics", net.SubscribedTopics.Count == 0 ? "(none)" : string.Join('\n', net.SubscribedTopics));
                o.Render(summary);
                if (net.ConnectedPeers.Count > 0)
                {
                    var peers = Output.Table("Peer", "Addresses", "Direction", "Agent");
                    foreach (var peer in net.ConnectedPeers)
                    {
                        Output.Row(peers, peer.PeerId, string.Join('\n', peer.Addrs), string.Join(", ", peer.Directions), peer.AgentVersion);
                    }

                    o.Render(peers);
                }
            });
        }));
        return new Command("network", "Inspect the node's network") { status };
    }

    private Command ContextSyncCommand()
    {
        var context = new Option<string?>("--context", "-c") { Description = "Context to sync", HelpName = "CONTEXT_ID" };
        var all = new Option<bool>("--all") { Description = "Sync all contexts" };
        var sync = new Command("sync", "Explicitly request a sync with the context's peers") { context, all };
        sync.SetAction(Run(async (s, ct) =>
        {
            var id = s.Parse.GetValue(context);
            var everything = s.Parse.GetValue(all);
            if ((id is null) == !everything)
            {
                throw new UsageException("give exactly one of --context CONTEXT_ID or --all");
            }

            var result = await s.Client.SyncContextsAsync(id is null ? null : await ResolveContextAsync(s, id, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            s.Output.Write(result, o =>
            {
                if (result.Results.Count == 0)
                {
                    o.Line("No contexts to sync");
                    return;
                }

                var table = Output.Table("Context ID", "Status", "Peers Asked", "Peers OK", "Root Hash");
                foreach (var r in result.Results)
                {
                    Output.Row(table, r.ContextId, r.Status, r.PeersAsked.ToString(CultureInfo.InvariantCulture), r.PeersOk.ToString(CultureInfo.InvariantCulture), r.RootHash);
                }

                o.Render(table);
            });
        }));
        return sync;
    }

    private Command AppUninstallCommand()
    {
        var appId = new Argument<string>("APP_ID") { Description = "Application id" };
        var uninstall = new Command("uninstall", "Uninstall an application (refused while contexts use it)") { appId };
        uninstall.SetAction(Run(async (s, ct) =>
        {
            var result = await s.Client.UninstallApplicationAsync(await ResolveApplicationAsync(s, s.Parse.GetRequiredValue(appId), ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            s.Output.Write(result, o => o.Render(Output.Success("Application Uninstalled", $"Successfully uninstalled application '{result.ApplicationId}'")));
        }));
        return uninstall;
    }
}
