using System.Net;
using Mero.Crypto;
using Mero.Network.Multiformats;
using Mero.Node.Configuration;
using Mero.Store;

namespace Merod;

internal static class InitCommand
{
    public static int Run(string nodeHome, string serverHost, int serverPort, int swarmPort, bool force)
    {
        var configPath = Path.Combine(nodeHome, NodeConfigFile.FileName);
        if (File.Exists(configPath) && !force)
        {
            Console.Error.WriteLine($"error: a node already exists at {nodeHome} (use --force to overwrite)");
            return 1;
        }

        if (!IPAddress.TryParse(serverHost, out var host))
        {
            Console.Error.WriteLine($"error: --server-host '{serverHost}' is not an IP address");
            return 2;
        }

        if (serverPort is < 0 or > 65535 || swarmPort is < 0 or > 65535)
        {
            Console.Error.WriteLine("error: ports must be 0..65535");
            return 2;
        }

        Directory.CreateDirectory(nodeHome);
        using var identity = Ed25519KeyPair.Generate();
        var config = new NodeConfigFile
        {
            Identity = { PeerId = PeerIdentity.PeerId(identity.PublicKey), Keypair = PeerIdentity.EncodeKeypair(identity) },
            Swarm = { Listen = [Tcp(IPAddress.Any, swarmPort), Tcp(IPAddress.IPv6Any, swarmPort)] },
            Server = { Listen = [Tcp(host, serverPort)] },
        };
        config.Save(configPath);

        var options = NodeOptions.FromConfig(nodeHome, config);
        using (MeroStore.Open(options.DataPath))
        {
        }

        Directory.CreateDirectory(options.BlobPath);
        Console.WriteLine($"Initialized node at {nodeHome}");
        Console.WriteLine($"  peer id: {config.Identity.PeerId}");
        Console.WriteLine($"  server:  {string.Join(", ", config.Server.Listen)}");
        return 0;
    }

    private static string Tcp(IPAddress address, int port) => Multiaddr.FromEndPoint(new IPEndPoint(address, port)).ToString();
}
