using System.Net;

namespace Mero.Node.Configuration;

/// <summary>The subset of multiaddr text the config uses: /ip4|ip6/ADDR/tcp/PORT.</summary>
public static class Multiaddr
{
    public static string Tcp(IPAddress address, int port) =>
        $"/{(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "ip6" : "ip4")}/{address}/tcp/{port}";

    public static bool TryParseTcp(string text, out IPEndPoint endpoint)
    {
        endpoint = new IPEndPoint(IPAddress.Loopback, 0);
        var parts = text.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 4 || parts[0] is not ("ip4" or "ip6") || parts[2] != "tcp")
        {
            return false;
        }

        if (!IPAddress.TryParse(parts[1], out var address) || !ushort.TryParse(parts[3], out var port))
        {
            return false;
        }

        if ((parts[0] == "ip4") != (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork))
        {
            return false;
        }

        endpoint = new IPEndPoint(address, port);
        return true;
    }
}
