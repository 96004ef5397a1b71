using Mero.Node;
using Mero.Node.Configuration;
using Xunit;

namespace Mero.Integration.Tests;

/// <summary>The runtime settings of config.toml: VM limit overrides and the fetch allow-list.</summary>
public sealed class RuntimeConfigTests
{
    [Fact]
    public async Task Limits_and_fetch_policy_come_from_config_toml_and_fetch_is_off_by_default()
    {
        var home = Path.Combine(Path.GetTempPath(), "merod-cfg-" + Guid.NewGuid().ToString("N"));
        try
        {
            var init = await MerodProcess.RunToEndAsync(["--home", home, "--node", "n", "init", "--server-port", "0", "--swarm-port", "0"]);
            Assert.Equal(0, init.ExitCode);
            var nodeHome = Path.Combine(home, "n");
            var path = Path.Combine(nodeHome, NodeConfigFile.FileName);

            var defaults = NodeOptions.FromConfig(nodeHome, NodeConfigFile.Load(path));
            Assert.False(defaults.Fetch.Enabled);
            Assert.Equal(8, NodeServiceCollectionExtensions.BuildLimits(defaults.RuntimeLimits).MaxXCalls);

            File.AppendAllText(path, """

                [runtime.limits]
                max_xcalls = 3
                max_events = 7
                max_storage_value_size = 4096

                [runtime.fetch]
                enabled = true
                allowed_hosts = ["api.example.com"]
                """);
            var options = NodeOptions.FromConfig(nodeHome, NodeConfigFile.Load(path));
            var limits = NodeServiceCollectionExtensions.BuildLimits(options.RuntimeLimits);
            Assert.Equal((3, 7, 4096L), (limits.MaxXCalls, limits.MaxEvents, limits.MaxStorageValueSize));
            Assert.True(options.Fetch.Allows(new Uri("https://api.example.com/x")));
            Assert.False(options.Fetch.Allows(new Uri("https://other.example.com/x")));

            File.WriteAllText(path, File.ReadAllText(path).Replace("max_xcalls = 3", "max_xcalls = 0", StringComparison.Ordinal));
            var error = Assert.Throws<NodeConfigException>(() => NodeOptions.FromConfig(nodeHome, NodeConfigFile.Load(path)));
            Assert.Contains("max_xcalls", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
