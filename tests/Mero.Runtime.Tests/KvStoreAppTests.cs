using System.Text;
using Xunit;

namespace Mero.Runtime.Tests;

/// <summary>
/// Runs the AssemblyScript kv-store app when scripts/build-apps.sh has built it. The .wasm is a
/// build product, so without it these tests pass vacuously; the WAT guests cover the ABI.
/// </summary>
public sealed class KvStoreAppTests
{
    private static readonly string? AppPath = FindApp();

    private readonly WasmEngine _engine = TestEngines.Default;

    [Fact]
    public void Set_get_and_missing_keys_behave_as_documented()
    {
        if (AppPath is null)
        {
            return;
        }

        var module = _engine.Compile(File.ReadAllBytes(AppPath));
        var storage = new RecordingStorage();

        Assert.True(Call(module, "init", "{}", storage).Success);
        var set = Call(module, "set", """{"key":"a","value":"b"}""", storage);
        var get = Call(module, "get", """{"key":"a"}""", storage);
        var unchecked_ = Call(module, "get_unchecked", """{"key":"zz"}""", storage);
        var result = Call(module, "get_result", """{"key":"zz"}""", storage);

        Assert.True(set.Success, set.Error?.ToString());
        Assert.Equal("Inserted", Assert.Single(set.Events).Kind);
        Assert.Equal("\"b\"", get.Text());
        unchecked_.AssertHostError(HostErrorCode.Panic);
        Assert.Contains("key not found", unchecked_.Error!.Message);
        result.AssertError(FunctionCallErrorCode.ExecutionError);
    }

    private Outcome Call(CompiledModule module, string method, string json, RecordingStorage storage) =>
        _engine.Run(module, method, Encoding.UTF8.GetBytes(json), TestEngines.Context, storage);

    private static string? FindApp()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mero.slnx")))
            {
                var path = Path.Combine(dir.FullName, "apps", "kv-store", "build", "kv-store.wasm");
                return File.Exists(path) ? path : null;
            }
        }

        return null;
    }
}
