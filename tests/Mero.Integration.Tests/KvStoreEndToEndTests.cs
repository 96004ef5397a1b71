using System.Text.Json;
using Xunit;

namespace Mero.Integration.Tests;

/// <summary>The walking skeleton, end to end: a real merod, the kv-store app built from source, HTTP only.</summary>
public class KvStoreEndToEndTests
{
    [Fact]
    public async Task Install_create_set_get_survives_a_restart()
    {
        await using var node = await MerodProcess.StartAsync();
        var appId = await node.Http.InstallAppAsync(RepoPaths.App("kv-store"));
        var apps = await node.Http.SendJsonAsync(HttpMethod.Get, "/admin-api/applications");
        Assert.Contains(apps.GetProperty("data").GetProperty("apps").EnumerateArray(), a => a.GetProperty("id").GetString() == appId);

        var (contextId, member) = await node.Http.CreateContextAsync(appId);
        var emptyRoot = await node.Http.StateHashAsync(contextId);

        var set = (await node.Http.ExecuteAsync(contextId, "set", new { key = "greeting", value = "hello" })).Result();
        Assert.Equal(JsonValueKind.Null, set.TryGetProperty("output", out var setOutput) ? setOutput.ValueKind : JsonValueKind.Null);
        var evt = Assert.Single(set.GetProperty("events").EnumerateArray());
        Assert.Equal("Inserted", evt.GetProperty("kind").GetString());
        Assert.Equal("hello", evt.GetProperty("data").GetProperty("value").GetString());

        var get = (await node.Http.ExecuteAsync(contextId, "get", new { key = "greeting" }, executor: member)).Result();
        Assert.Equal("hello", get.GetProperty("output").GetString());
        var rootAfterSet = await node.Http.StateHashAsync(contextId);
        Assert.NotEqual(emptyRoot, rootAfterSet);

        await node.StopAsync();
        Assert.Equal(0, node.ExitCode);
        await node.StartAsync();

        var again = (await node.Http.ExecuteAsync(contextId, "get", new { key = "greeting" })).Result();
        Assert.Equal("hello", again.GetProperty("output").GetString());
        Assert.Equal(rootAfterSet, await node.Http.StateHashAsync(contextId));
        var contexts = await node.Http.SendJsonAsync(HttpMethod.Get, "/admin-api/contexts");
        Assert.Contains(contexts.GetProperty("data").GetProperty("contexts").EnumerateArray(), c => c.GetProperty("id").GetString() == contextId);
    }

    [Fact]
    public async Task Entries_len_remove_and_delete_context()
    {
        await using var node = await MerodProcess.StartAsync();
        var appId = await node.Http.InstallAppAsync(RepoPaths.App("kv-store"));
        var (contextId, _) = await node.Http.CreateContextAsync(appId);
        await node.Http.ExecuteAsync(contextId, "set", new { key = "a", value = "1" });
        await node.Http.ExecuteAsync(contextId, "set", new { key = "b", value = "2" });
        var updated = (await node.Http.ExecuteAsync(contextId, "set", new { key = "a", value = "3" })).Result();
        Assert.Equal("Updated", updated.GetProperty("events")[0].GetProperty("kind").GetString());

        var entries = (await node.Http.ExecuteAsync(contextId, "entries")).Result().GetProperty("output");
        Assert.Equal("3", entries.GetProperty("a").GetString());
        Assert.Equal("2", entries.GetProperty("b").GetString());
        Assert.Equal(2, (await node.Http.ExecuteAsync(contextId, "len")).Result().GetProperty("output").GetInt32());

        var removed = (await node.Http.ExecuteAsync(contextId, "remove", new { key = "a" })).Result();
        Assert.Equal("3", removed.GetProperty("output").GetString());
        Assert.Equal(1, (await node.Http.ExecuteAsync(contextId, "len")).Result().GetProperty("output").GetInt32());

        var deleted = await node.Http.SendJsonAsync(HttpMethod.Delete, $"/admin-api/contexts/{contextId}");
        Assert.True(deleted.GetProperty("data").GetProperty("isDeleted").GetBoolean());
        await node.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/contexts/{contextId}", expectedStatus: 404);
        var gone = (await node.Http.ExecuteAsync(contextId, "len")).Error();
        Assert.Equal(-32001, gone.GetProperty("code").GetInt32());

        await node.StopAsync();
        Assert.DoesNotContain(StoreDump.Read(node.NodeHome), line => line.StartsWith("State:", StringComparison.Ordinal) || line.StartsWith("Identity:", StringComparison.Ordinal));
    }
}
