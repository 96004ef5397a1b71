using Mero.Crypto;
using Mero.Node;
using Mero.Node.Configuration;
using Mero.Node.Network;
using Mero.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Merod;

internal static class RunCommand
{
    public static async Task<int> RunAsync(string nodeHome, CancellationToken ct)
    {
        NodeOptions options;
        string peerId;
        try
        {
            var config = NodeConfigFile.Load(Path.Combine(nodeHome, NodeConfigFile.FileName));
            using (var identity = PeerIdentity.DecodeKeypair(config.Identity.Keypair))
            {
                peerId = PeerIdentity.PeerId(identity.PublicKey);
            }

            options = NodeOptions.FromConfig(nodeHome, config);
        }
        catch (Exception ex) when (ex is NodeConfigException or FormatException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = nodeHome });
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
        });
        // ASP.NET Core logs two lines per request at Information; at thousands of calls per second
        // that is most of the node's console time. Operators raise it with Logging__LogLevel__Microsoft.AspNetCore.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddMeroNode(options);
        builder.ConfigureMeroServer(options);

        await using var app = builder.Build();
        app.MapMeroEndpoints(options);
        await app.StartAsync(ct).ConfigureAwait(false);
        Console.WriteLine($"merod {peerId} serving on {string.Join(", ", options.ServerEndpoints.Select(e => $"http://{e}"))}");
        if (app.Services.GetService<SwarmService>()?.Host is { } swarm)
        {
            Console.WriteLine($"merod {peerId} swarm on {string.Join(", ", swarm.ListenAddresses)}");
        }

        await app.WaitForShutdownAsync(ct).ConfigureAwait(false);
        return 0;
    }
}
