using Mero.Node.Aliases;
using Mero.Store;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Mero.Node.Tests.Aliases;

/// <summary>The alias store over a real RocksDB: name rules, uniqueness, persistence, cascade removal.</summary>
public sealed class AliasStoreTests : IDisposable
{
    private static readonly byte[] A = Enumerable.Repeat((byte)1, 32).ToArray();
    private static readonly byte[] B = Enumerable.Repeat((byte)2, 32).ToArray();
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mero-aliases-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Theory]
    [InlineData("", "must not be empty")]
    [InlineData("has space", "invalid character")]
    [InlineData("slash/name", "invalid character")]
    [InlineData("nul\0byte", "invalid character")]
    [InlineData("ünïcode", "invalid character")]
    [InlineData("5FjHoAqcUgrVHDczK1kzSR8QRvx5JUmhiM3bDrpGWnNn", "reads as a 32-byte id")]
    public void Bad_names_are_refused_with_the_reason(string name, string reason)
    {
        Assert.Contains(reason, AliasStore.Validate(AliasKind.Context, name), StringComparison.Ordinal);
        using var store = MeroStore.Open(_dir);
        var aliases = new AliasStore(store, NullLogger<AliasStore>.Instance);
        var error = Assert.Throws<NodeException>(() => aliases.Create(AliasKind.Context, name, A));
        Assert.Equal(NodeErrorKind.InvalidInput, error.Kind);
        Assert.Empty(aliases.List(AliasKind.Context));
    }

    [Fact]
    public void Length_limit_is_fifty_characters_and_default_is_for_contexts_only()
    {
        Assert.Null(AliasStore.Validate(AliasKind.Context, new string('a', 50)));
        Assert.Contains("over the 50-character limit", AliasStore.Validate(AliasKind.Context, new string('a', 51)), StringComparison.Ordinal);
        Assert.Contains("over the 50-character limit", AliasStore.Validate(AliasKind.Application, new string('x', 100_000)), StringComparison.Ordinal);
        Assert.Null(AliasStore.Validate(AliasKind.Context, "default"));
        Assert.Contains("reserved", AliasStore.Validate(AliasKind.Application, "default"), StringComparison.Ordinal);
        Assert.Null(AliasStore.Validate(AliasKind.Application, "my-app_v1.0"));
    }

    [Fact]
    public void Names_are_unique_per_kind_survive_a_reopen_and_are_dropped_with_their_target()
    {
        using (var store = MeroStore.Open(_dir))
        {
            var aliases = new AliasStore(store, NullLogger<AliasStore>.Instance);
            Assert.Equal(AliasCreateResult.Created, aliases.Create(AliasKind.Context, "main", A));
            Assert.Equal(AliasCreateResult.Exists, aliases.Create(AliasKind.Context, "main", B));
            Assert.Equal(AliasCreateResult.Created, aliases.Create(AliasKind.Context, "also-a", A));
            Assert.Equal(AliasCreateResult.Created, aliases.Create(AliasKind.Application, "main", B));
            Assert.Throws<NodeException>(() => aliases.Create(AliasKind.Context, "short", new byte[31]));
        }

        using (var store = MeroStore.Open(_dir))
        {
            var aliases = new AliasStore(store, NullLogger<AliasStore>.Instance);
            Assert.Equal(A, aliases.Lookup(AliasKind.Context, "main"));
            Assert.Equal(B, aliases.Lookup(AliasKind.Application, "main"));
            Assert.Null(aliases.Lookup(AliasKind.Application, "also-a"));
            Assert.Null(aliases.Lookup(AliasKind.Context, "bad name"));
            Assert.Equal(["also-a", "main"], aliases.List(AliasKind.Context).Select(a => a.Name));

            using (var batch = store.CreateBatch())
            {
                Assert.Equal(2, AliasStore.DeleteTargeting(store, batch, AliasKind.Context, A));
                store.Commit(batch);
            }

            Assert.Empty(aliases.List(AliasKind.Context));
            Assert.Equal(B, aliases.Lookup(AliasKind.Application, "main"));
            Assert.True(aliases.Delete(AliasKind.Application, "main"));
            Assert.False(aliases.Delete(AliasKind.Application, "main"));
            Assert.Null(aliases.Lookup(AliasKind.Application, "main"));
        }
    }

    [Fact]
    public async Task Concurrent_creates_of_one_name_have_exactly_one_winner()
    {
        using var store = MeroStore.Open(_dir);
        var aliases = new AliasStore(store, NullLogger<AliasStore>.Instance);
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Task.Run(() => aliases.Create(AliasKind.Context, "race", i % 2 == 0 ? A : B))));
        Assert.Equal(1, results.Count(r => r == AliasCreateResult.Created));
        Assert.Single(aliases.List(AliasKind.Context));
    }
}
