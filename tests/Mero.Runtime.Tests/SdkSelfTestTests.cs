using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Mero.Runtime.Tests;

/// <summary>
/// Runs the SDK's self-test module (built by sdk/assemblyscript's npm test, which test.sh runs
/// before the .NET tests) on the real engine, so the SDK wrappers are checked against this host
/// and not only against the JS mock. Without the build product these tests pass vacuously.
/// </summary>
public sealed class SdkSelfTestTests
{
    private static readonly string? ModulePath = Find();

    [Fact]
    public void AccountId_and_deviceId_report_the_account_and_the_executor()
    {
        if (ModulePath is null)
        {
            return;
        }

        var split = new ExecutionContext(TestEngines.Filled(0xC1), TestEngines.Filled(0xE1)) { AccountId = TestEngines.Filled(0xA1) };
        var outcome = Run("identity", "{}", split, RuntimeServices.None);

        Assert.Equal(Convert.ToHexStringLower(TestEngines.Filled(0xA1)), outcome["account"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(TestEngines.Filled(0xE1)), outcome["device"]!.GetValue<string>());
    }

    [Fact]
    public void EmitMigrationWitness_keeps_the_last_witness()
    {
        if (ModulePath is null)
        {
            return;
        }

        var engine = TestEngines.Default;
        var outcome = engine.Run(engine.Compile(File.ReadAllBytes(ModulePath)), "witness", """{"first":"w1","last":"w2"}"""u8.ToArray(), TestEngines.Context, new RecordingStorage());

        Assert.True(outcome.Success, outcome.Error?.ToString());
        Assert.Equal("w2", Encoding.UTF8.GetString(outcome.MigrationWitness!));
    }

    [Fact]
    public void The_ordered_index_wrappers_agree_with_the_host()
    {
        if (ModulePath is null)
        {
            return;
        }

        var index = new InMemoryOrderedIndex();
        var result = Run("ordered", "{}", TestEngines.Context, new RuntimeServices { OrderedIndex = index });

        Assert.Equal(
            """{"persisted":true,"all":"a=1,b=2,ba=3,c=4","page":"b=2,ba=3","last":"ba","marked":true,"marker":"ok","after":"c=4","cleared":true}""",
            result.ToJsonString());
        Assert.Equal(["c"], index.Entries.Keys.Select(k => Encoding.UTF8.GetString(k)));

        var without = Run("ordered", "{}", TestEngines.Context, RuntimeServices.None);
        Assert.Equal(
            """{"persisted":false,"all":"","page":"","last":"none","marked":false,"marker":"none","after":"","cleared":true}""",
            without.ToJsonString());
    }

    private static JsonNode Run(string method, string input, ExecutionContext context, RuntimeServices services)
    {
        var engine = TestEngines.Default;
        var outcome = engine.Run(engine.Compile(File.ReadAllBytes(ModulePath!)), method, Encoding.UTF8.GetBytes(input), context, new RecordingStorage(), services);
        Assert.True(outcome.Success, outcome.Error?.ToString());
        return JsonNode.Parse(outcome.Text())!;
    }

    private static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mero.slnx")))
            {
                var path = Path.Combine(dir.FullName, "sdk", "assemblyscript", "build", "selftest.wasm");
                return File.Exists(path) ? path : null;
            }
        }

        return null;
    }
}
