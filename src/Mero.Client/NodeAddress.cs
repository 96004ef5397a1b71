using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Tomlyn;
using Tomlyn.Model;

namespace Mero.Client;

/// <summary>A node's config could not give a server URL: no file, bad TOML, or no usable <c>[server] listen</c> address.</summary>
public sealed class NodeAddressException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Finds a node's admin/JSON-RPC base URL from its <c>&lt;home&gt;/&lt;node&gt;/config.toml</c>, the file
/// <c>merod --home HOME --node NAME init</c> writes. The URL comes from the first <c>/ip4|ip6/ADDR/tcp/PORT</c>
/// multiaddr in <c>[server] listen</c>; wildcard addresses map to loopback.
/// </summary>
public static class NodeAddress
{
    public const string ConfigFileName = "config.toml";

    /// <summary><c>$CALIMERO_HOME</c> when set, else <c>~/.calimero</c>.</summary>
    public static string DefaultHome()
    {
        var fromEnv = Environment.GetEnvironmentVariable("CALIMERO_HOME");
        return string.IsNullOrWhiteSpace(fromEnv)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".calimero")
            : fromEnv;
    }

    /// <summary>The path of <paramref name="nodeName"/>'s config under <paramref name="home"/> (a leading <c>~</c> is expanded).</summary>
    public static string ConfigPath(string home, string nodeName)
    {
        ArgumentNullException.ThrowIfNull(home);
        if (string.IsNullOrWhiteSpace(nodeName) || nodeName is "." or ".." || nodeName.IndexOfAny(['/', '\\']) >= 0)
        {
            throw new NodeAddressException($"'{nodeName}' is not a node name (expected a directory name under the home, e.g. node1)");
        }

        return Path.Combine(ExpandHome(home), nodeName, ConfigFileName);
    }

    /// <summary>Reads <c>&lt;home&gt;/&lt;nodeName&gt;/config.toml</c> and returns the node's base URL, e.g. <c>http://127.0.0.1:2528/</c>.</summary>
    public static Uri FromConfig(string home, string nodeName)
    {
        var path = ConfigPath(home, nodeName);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NodeAddressException(
                $"node '{nodeName}' has no config at {path}; run `merod --home {home} --node {nodeName} init` first, or pass --api URL",
                ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new NodeAddressException($"cannot read {path}: {ex.Message}", ex);
        }

        return FromConfigText(text, path);
    }

    /// <summary>Parses config.toml text; <paramref name="source"/> names it in error messages.</summary>
    public static Uri FromConfigText(string toml, string source = ConfigFileName)
    {
        ArgumentNullException.ThrowIfNull(toml);
        TomlTable? root;
        try
        {
            root = TomlSerializer.Deserialize<TomlTable>(toml);
        }
        catch (TomlException ex)
        {
            throw new NodeAddressException($"{source} is not valid TOML: {ex.Message}", ex);
        }

        if (root is null || !root.TryGetValue("server", out var serverValue) || serverValue is not TomlTable server)
        {
            throw new NodeAddressException($"{source} has no [server] section");
        }

        if (!server.TryGetValue("listen", out var listenValue))
        {
            throw new NodeAddressException($"{source} has no 'listen' key in [server]");
        }

        var addresses = listenValue switch
        {
            TomlArray array => array.Select(a => a as string).ToList(),
            string single => [single],
            _ => throw new NodeAddressException($"{source}: [server] listen must be an array of multiaddr strings"),
        };
        if (addresses.Any(a => a is null))
        {
            throw new NodeAddressException($"{source}: [server] listen must be an array of multiaddr strings");
        }

        return FromMultiaddrs(addresses!, source);
    }

    /// <summary>The base URL for the first usable <c>/ip4|ip6/ADDR/tcp/PORT</c> of <paramref name="listen"/>.</summary>
    public static Uri FromMultiaddrs(IEnumerable<string> listen, string source = ConfigFileName)
    {
        ArgumentNullException.ThrowIfNull(listen);
        var all = listen.ToList();
        foreach (var address in all)
        {
            if (TryParseMultiaddr(address, out var url))
            {
                return url;
            }
        }

        var found = all.Count == 0 ? "it is empty" : "found " + string.Join(", ", all.Select(a => $"'{a}'"));
        throw new NodeAddressException($"{source}: [server] listen has no /ip4|ip6/ADDR/tcp/PORT address ({found})");
    }

    /// <summary>
    /// Maps <c>/ip4/A/tcp/P</c> or <c>/ip6/A/tcp/P</c> (trailing protocols ignored) to <c>http://A:P/</c>;
    /// <c>0.0.0.0</c> becomes <c>127.0.0.1</c> and <c>::</c> becomes <c>::1</c>.
    /// </summary>
    public static bool TryParseMultiaddr(string multiaddr, out Uri url)
    {
        url = null!;
        if (string.IsNullOrWhiteSpace(multiaddr))
        {
            return false;
        }

        var parts = multiaddr.Trim().Split('/');
        if (parts.Length < 5 || parts[0].Length != 0 || parts[3] != "tcp")
        {
            return false;
        }

        var family = parts[1] switch
        {
            "ip4" => AddressFamily.InterNetwork,
            "ip6" => AddressFamily.InterNetworkV6,
            _ => AddressFamily.Unknown,
        };
        if (family == AddressFamily.Unknown
            || !IPAddress.TryParse(parts[2], out var ip)
            || ip.AddressFamily != family
            || !int.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
        {
            return false;
        }

        if (ip.Equals(IPAddress.Any))
        {
            ip = IPAddress.Loopback;
        }
        else if (ip.Equals(IPAddress.IPv6Any))
        {
            ip = IPAddress.IPv6Loopback;
        }

        var host = family == AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString();
        url = new Uri($"http://{host}:{port.ToString(CultureInfo.InvariantCulture)}/");
        return true;
    }

    private static string ExpandHome(string path)
    {
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
        {
            var profile = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return path.Length == 1 ? profile : Path.Combine(profile, path[2..]);
        }

        return path;
    }
}
