using System.Text.Json;
using Xunit;

namespace Mero.Integration.Tests;

/// <summary>The collaborative-editor app (RGA text through js_crdt_*) on a real merod.</summary>
public class CollaborativeEditorTests
{
    [Fact]
    public async Task Edits_build_the_text_change_the_root_and_survive_a_restart()
    {
        await using var node = await MerodProcess.StartAsync();
        var appId = await node.Http.InstallAppAsync(RepoPaths.App("collaborative-editor"));
        var (contextId, _) = await node.Http.CreateContextAsync(appId);
        Assert.Equal("", await TextAsync(node, contextId));

        var inserted = (await node.Http.ExecuteAsync(contextId, "insert", new { pos = 0, text = "hello" })).Result();
        Assert.Equal("Inserted", inserted.GetProperty("events")[0].GetProperty("kind").GetString());
        var afterHello = await node.Http.StateHashAsync(contextId);
        await node.Http.ExecuteAsync(contextId, "insert", new { pos = 5, text = " wörld 🌍" });
        await node.Http.ExecuteAsync(contextId, "delete", new { pos = 0, length = 1 });
        await node.Http.ExecuteAsync(contextId, "insert", new { pos = 0, text = "H" });
        Assert.Equal("Hello wörld 🌍", await TextAsync(node, contextId));
        Assert.Equal(13, (await node.Http.ExecuteAsync(contextId, "len")).Result().GetProperty("output").GetInt32());
        var root = await node.Http.StateHashAsync(contextId);
        Assert.NotEqual(afterHello, root);

        // Out-of-range edits fail as app panics and change nothing.
        var past = (await node.Http.ExecuteAsync(contextId, "insert", new { pos = 99, text = "x" })).Error();
        Assert.Equal(-32002, past.GetProperty("code").GetInt32());
        var outside = (await node.Http.ExecuteAsync(contextId, "delete", new { pos = 10, length = 10 })).Error();
        Assert.Equal(-32002, outside.GetProperty("code").GetInt32());
        Assert.Equal(root, await node.Http.StateHashAsync(contextId));

        // Reads do not change the root.
        await TextAsync(node, contextId);
        Assert.Equal(root, await node.Http.StateHashAsync(contextId));

        await node.StopAsync();
        await node.StartAsync();
        Assert.Equal("Hello wörld 🌍", await TextAsync(node, contextId));
        Assert.Equal(root, await node.Http.StateHashAsync(contextId));
    }

    private static async Task<string> TextAsync(MerodProcess node, string contextId)
    {
        var output = (await node.Http.ExecuteAsync(contextId, "get_text")).Result().GetProperty("output");
        Assert.Equal(JsonValueKind.String, output.ValueKind);
        return output.GetString()!;
    }
}
