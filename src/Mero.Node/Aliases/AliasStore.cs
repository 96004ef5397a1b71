using System.Text;
using Mero.Store;
using Microsoft.Extensions.Logging;

namespace Mero.Node.Aliases;

/// <summary>What an alias names. Each kind has its own namespace of names.</summary>
public enum AliasKind
{
    Context,
    Application,
}

/// <summary>The result of <see cref="AliasStore.Create"/>.</summary>
public enum AliasCreateResult
{
    Created,

    /// <summary>The name is taken (whatever it points at); delete it first to repoint.</summary>
    Exists,
}

/// <summary>
/// Node-global aliases (upstream's rules): a name of 1..50 characters from <c>[A-Za-z0-9._-]</c>
/// naming one 32-byte id, unique per kind. Stored in <c>Column.Meta</c> under
/// <c>alias/{kind}/{name}</c> so they survive restarts. Several names may point at one id.
/// </summary>
public sealed partial class AliasStore(MeroStore store, ILogger<AliasStore> logger)
{
    public const int MaxNameLength = 50;

    /// <summary>The context alias <c>context use</c> sets and <c>--context</c> falls back to.</summary>
    public const string DefaultContextAlias = "default";

    private static readonly byte[] ContextPrefix = "alias/context/"u8.ToArray();
    private static readonly byte[] ApplicationPrefix = "alias/application/"u8.ToArray();

    // Create is check-then-write; one gate keeps two creates of the same name from both winning.
    // Writes are a single small batch each, so a lock is simpler here than a mailbox loop.
    private readonly Lock _gate = new();

    /// <summary>Why <paramref name="name"/> cannot be an alias of <paramref name="kind"/>, or null when it can.</summary>
    public static string? Validate(AliasKind kind, string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "alias must not be empty";
        }

        if (name.Length > MaxNameLength)
        {
            return $"alias is {name.Length} characters, over the {MaxNameLength}-character limit";
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return $"alias '{name}' contains an invalid character; allowed characters are [A-Za-z0-9._-]";
            }
        }

        // Clients resolve "alias or id": a name that reads as an id would shadow that id.
        if (Mero.Primitives.Base58.TryDecode(name, out var bytes) && bytes.Length == 32)
        {
            return $"alias '{name}' reads as a 32-byte id; pick a name that cannot be mistaken for one";
        }

        if (kind == AliasKind.Application && name == DefaultContextAlias)
        {
            return $"'{DefaultContextAlias}' is reserved for the default context";
        }

        return null;
    }

    public AliasCreateResult Create(AliasKind kind, string name, ReadOnlySpan<byte> target)
    {
        Check(kind, name, target);
        var key = Key(kind, name);
        lock (_gate)
        {
            if (store.Has(Column.Meta, key))
            {
                return AliasCreateResult.Exists;
            }

            using var batch = store.CreateBatch();
            batch.Put(Column.Meta, key, target);
            store.Commit(batch);
        }

        LogCreated(logger, KindName(kind), name);
        return AliasCreateResult.Created;
    }

    /// <summary>The id <paramref name="name"/> points at, or null (also for names no alias could have).</summary>
    public byte[]? Lookup(AliasKind kind, string name) =>
        Validate(kind, name) is null ? store.Get(Column.Meta, Key(kind, name)) : null;

    /// <summary>Removes the alias; false when there was none.</summary>
    public bool Delete(AliasKind kind, string name)
    {
        if (Validate(kind, name) is not null)
        {
            return false;
        }

        var key = Key(kind, name);
        lock (_gate)
        {
            if (!store.Has(Column.Meta, key))
            {
                return false;
            }

            using var batch = store.CreateBatch();
            batch.Delete(Column.Meta, key);
            store.Commit(batch);
        }

        LogDeleted(logger, KindName(kind), name);
        return true;
    }

    /// <summary>Every alias of the kind, in ordinal name order (the store's key order).</summary>
    public IReadOnlyList<(string Name, byte[] Target)> List(AliasKind kind)
    {
        var prefix = Prefix(kind);
        return [.. store.Scan(Column.Meta, prefix).Select(kv => (Encoding.ASCII.GetString(kv.Key, prefix.Length, kv.Key.Length - prefix.Length), kv.Value))];
    }

    /// <summary>
    /// Adds to <paramref name="batch"/> the removal of every alias of the kind that points at
    /// <paramref name="target"/>: deleting a context or uninstalling an app drops its aliases in the same commit.
    /// </summary>
    public static int DeleteTargeting(MeroStore store, StoreBatch batch, AliasKind kind, ReadOnlySpan<byte> target)
    {
        var dropped = 0;
        foreach (var (key, value) in store.Scan(Column.Meta, Prefix(kind)))
        {
            if (target.SequenceEqual(value))
            {
                batch.Delete(Column.Meta, key);
                dropped++;
            }
        }

        return dropped;
    }

    private static void Check(AliasKind kind, string name, ReadOnlySpan<byte> target)
    {
        if (Validate(kind, name) is { } error)
        {
            throw new NodeException(NodeErrorKind.InvalidInput, error);
        }

        if (target.Length != 32)
        {
            throw new NodeException(NodeErrorKind.InvalidInput, $"alias target must be 32 bytes, got {target.Length}");
        }
    }

    private static byte[] Prefix(AliasKind kind) => kind == AliasKind.Context ? ContextPrefix : ApplicationPrefix;

    private static byte[] Key(AliasKind kind, string name) => [.. Prefix(kind), .. Encoding.ASCII.GetBytes(name)];

    private static string KindName(AliasKind kind) => kind == AliasKind.Context ? "context" : "application";

    [LoggerMessage(Level = LogLevel.Information, Message = "Created {Kind} alias '{Alias}'")]
    private static partial void LogCreated(ILogger logger, string kind, string alias);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Kind} alias '{Alias}'")]
    private static partial void LogDeleted(ILogger logger, string kind, string alias);
}
