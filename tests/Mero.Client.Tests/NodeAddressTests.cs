using Xunit;

namespace Mero.Client.Tests;

public sealed class NodeAddressTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("mero-client-tests-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    /// <summary>A config like <c>merod init</c> writes: snake_case keys, many sections.</summary>
    private const string MerodConfig = """
        mode = "standard"

        [identity]
        peer_id = "12D3KooWExample"
        keypair = "secret"

        [swarm]
        listen = ["/ip4/0.0.0.0/tcp/2428", "/ip6/::/tcp/2428"]

        [server]
        listen = ["/ip4/127.0.0.1/tcp/2528"]
        auth_mode = "proxy"

        [server.admin]
        enabled = true

        [sync]
        timeout_ms = 30000
        """;

    private string WriteConfig(string node, string text)
    {
        var dir = Path.Combine(_home, node);
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "config.toml");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Reads_server_listen_from_config()
    {
        WriteConfig("node1", MerodConfig);

        Assert.Equal(new Uri("http://127.0.0.1:2528/"), NodeAddress.FromConfig(_home, "node1"));
    }

    [Theory]
    [InlineData("/ip4/0.0.0.0/tcp/2600", "http://127.0.0.1:2600/")]
    [InlineData("/ip6/::/tcp/2601", "http://[::1]:2601/")]
    [InlineData("/ip6/::1/tcp/2602", "http://[::1]:2602/")]
    [InlineData("/ip4/10.1.2.3/tcp/80/http", "http://10.1.2.3:80/")]
    public void Maps_multiaddrs(string multiaddr, string expected)
    {
        Assert.True(NodeAddress.TryParseMultiaddr(multiaddr, out var url));
        Assert.Equal(new Uri(expected), url);
    }

    [Theory]
    [InlineData("/ip4/127.0.0.1/udp/2528")]
    [InlineData("/dns/localhost/tcp/2528")]
    [InlineData("/ip4/::1/tcp/2528")]
    [InlineData("/ip4/127.0.0.1/tcp/0")]
    [InlineData("/ip4/127.0.0.1/tcp/70000")]
    [InlineData("127.0.0.1:2528")]
    [InlineData("")]
    public void Rejects_unusable_multiaddrs(string multiaddr) =>
        Assert.False(NodeAddress.TryParseMultiaddr(multiaddr, out _));

    [Fact]
    public void Takes_first_usable_entry_and_maps_wildcard()
    {
        WriteConfig("n", """
            [server]
            listen = ["/ip4/127.0.0.1/udp/9", "/ip4/0.0.0.0/tcp/2700", "/ip6/::/tcp/2700"]
            """);

        Assert.Equal(new Uri("http://127.0.0.1:2700/"), NodeAddress.FromConfig(_home, "n"));
    }

    [Fact]
    public void Missing_file_names_path_and_init()
    {
        var ex = Assert.Throws<NodeAddressException>(() => NodeAddress.FromConfig(_home, "ghost"));

        Assert.Contains(Path.Combine(_home, "ghost", "config.toml"), ex.Message);
        Assert.Contains("merod", ex.Message);
    }

    [Fact]
    public void Missing_server_section_or_listen_key_is_clear()
    {
        WriteConfig("a", "mode = \"standard\"\n");
        var noSection = Assert.Throws<NodeAddressException>(() => NodeAddress.FromConfig(_home, "a"));
        Assert.Contains("[server]", noSection.Message);

        WriteConfig("b", "[server]\nauth_mode = \"proxy\"\n");
        var noKey = Assert.Throws<NodeAddressException>(() => NodeAddress.FromConfig(_home, "b"));
        Assert.Contains("listen", noKey.Message);
    }

    [Fact]
    public void No_usable_address_lists_what_was_found()
    {
        WriteConfig("c", "[server]\nlisten = [\"/ip4/127.0.0.1/udp/1\"]\n");

        var ex = Assert.Throws<NodeAddressException>(() => NodeAddress.FromConfig(_home, "c"));

        Assert.Contains("/ip4/127.0.0.1/udp/1", ex.Message);
    }

    [Fact]
    public void Invalid_toml_is_reported()
    {
        var path = WriteConfig("d", "[server\nlisten = ");

        var ex = Assert.Throws<NodeAddressException>(() => NodeAddress.FromConfig(_home, "d"));

        Assert.Contains(path, ex.Message);
        Assert.Contains("TOML", ex.Message);
    }

    [Fact]
    public void Wrong_listen_type_is_reported()
    {
        WriteConfig("e", "[server]\nlisten = 2528\n");

        var ex = Assert.Throws<NodeAddressException>(() => NodeAddress.FromConfig(_home, "e"));

        Assert.Contains("listen", ex.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("a/b")]
    public void Rejects_bad_node_names(string name) =>
        Assert.Throws<NodeAddressException>(() => NodeAddress.FromConfig(_home, name));
}
