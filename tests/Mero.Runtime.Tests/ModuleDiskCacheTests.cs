using Xunit;

namespace Mero.Runtime.Tests;

/// <summary>Compiled modules survive a restart through the disk cache; a damaged cache file only costs a recompile.</summary>
public sealed class ModuleDiskCacheTests : IDisposable
{
    private static readonly byte[] Wasm = Guest.Bytes("""
        (data (i32.const 256) "cached")
        (func (export "hello") (call $ok (i32.const 256) (i32.const 6)))
        """);

    private readonly string _directory = Directory.CreateTempSubdirectory("mero-cache-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void A_restarted_engine_loads_the_compiled_module_instead_of_recompiling()
    {
        using (var first = new WasmEngine(cacheDirectory: _directory))
        {
            Assert.Equal("cached", first.Run(Wasm, "hello").Text());
            Assert.Equal(1, first.CompilationCount);
        }

        Assert.Single(Directory.GetFiles(_directory, "*.cwasm"));
        using var second = new WasmEngine(cacheDirectory: _directory);
        Assert.Equal("cached", second.Run(Wasm, "hello").Text());
        Assert.Equal(0, second.CompilationCount);
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("truncate")]
    [InlineData("empty")]
    public void A_corrupt_cache_file_is_discarded_and_the_module_recompiled(string damage)
    {
        using (var first = new WasmEngine(cacheDirectory: _directory))
        {
            first.Compile(Wasm);
        }

        var path = Assert.Single(Directory.GetFiles(_directory, "*.cwasm"));
        var bytes = File.ReadAllBytes(path);
        bytes = damage switch
        {
            "flip" => Flip(bytes, bytes.Length / 2),
            "truncate" => bytes[..(bytes.Length / 3)],
            _ => [],
        };
        File.WriteAllBytes(path, bytes);

        using var second = new WasmEngine(cacheDirectory: _directory);
        Assert.Equal("cached", second.Run(Wasm, "hello").Text());
        Assert.Equal(1, second.CompilationCount);

        // The rewritten file is good again.
        using var third = new WasmEngine(cacheDirectory: _directory);
        third.Compile(Wasm);
        Assert.Equal(0, third.CompilationCount);
    }

    [Fact]
    public void Rejected_modules_are_not_cached()
    {
        using var engine = new WasmEngine(cacheDirectory: _directory);
        var noMemory = Guest.Raw("""(module (func (export "m")))""");
        Assert.Throws<ModuleValidationException>(() => engine.Compile(noMemory));
        Assert.Empty(Directory.GetFiles(_directory));
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        bytes[at] ^= 0xFF;
        return bytes;
    }
}
