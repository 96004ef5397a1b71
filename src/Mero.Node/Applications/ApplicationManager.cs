using System.Collections.Concurrent;
using Mero.Crypto;
using Mero.Primitives;
using Mero.Runtime;
using Mero.Store;
using Microsoft.Extensions.Logging;

namespace Mero.Node.Applications;

/// <summary>
/// Installs WASM applications: the bytes are validated by compiling them, stored as a
/// content-addressed blob, and recorded under an id derived from blob, source and metadata.
/// </summary>
public sealed partial class ApplicationManager(MeroStore store, WasmEngine engine, TimeProvider time, ILogger<ApplicationManager> logger)
{
    private const int MaxMetadataBytes = 64 * 1024;

    // Blobs are content-addressed, so a module compiled from one never goes stale. Caching by blob id
    // spares every execute a 50 KB store read and a SHA-256 of the bytecode.
    private readonly ConcurrentDictionary<BlobId, CompiledModule> _modules = new();

    public async Task<ApplicationId> InstallFromPathAsync(string path, byte[]? metadata, string? package, string? version, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(path) || !Path.IsPathFullyQualified(path))
        {
            throw new NodeException(NodeErrorKind.InvalidInput, "path must be an absolute path to a .wasm file on the node's machine");
        }

        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new NodeException(NodeErrorKind.InvalidInput, $"application file not found at {path}");
        }

        if (info.Length > engine.Limits.MaxModuleSize)
        {
            throw new NodeException(NodeErrorKind.InvalidApplication, $"application file is {info.Length} bytes, over the {engine.Limits.MaxModuleSize}-byte module limit");
        }

        var bytes = await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
        return Install(bytes, new Uri(path).AbsoluteUri, metadata, package, version);
    }

    /// <summary>Validates and installs; installing the same bytes, source and metadata twice yields the same id.</summary>
    public ApplicationId Install(byte[] wasm, string source, byte[]? metadata, string? package, string? version)
    {
        metadata ??= [];
        if (metadata.Length > MaxMetadataBytes)
        {
            throw new NodeException(NodeErrorKind.InvalidInput, $"metadata is {metadata.Length} bytes, over the {MaxMetadataBytes}-byte limit");
        }

        try
        {
            engine.Compile(wasm);
        }
        catch (ModuleValidationException ex)
        {
            throw new NodeException(NodeErrorKind.InvalidApplication, $"not a valid application: {ex.Message}", ex);
        }

        var blobId = BlobId.FromBytes(Hashing.Sha256(wasm).AsSpan());
        var idHash = Hashing.Sha256Tagged("mero/application/v1", blobId.ToArray(), System.Text.Encoding.UTF8.GetBytes(source), metadata);
        var id = ApplicationId.FromBytes(idHash.AsSpan());
        var record = new ApplicationRecord(id, blobId, wasm.Length, source, metadata, package, version, time.GetUtcNow().ToUnixTimeMilliseconds());

        using var batch = store.CreateBatch();
        batch.Put(Column.Blob, blobId.AsSpan(), wasm);
        batch.Put(Column.Application, id.AsSpan(), record.Encode());
        store.Commit(batch);
        LogInstalled(logger, id.ToString(), wasm.Length, source);
        return id;
    }

    public IReadOnlyList<ApplicationRecord> List() =>
        [.. store.Scan(Column.Application, []).Select(kv => ApplicationRecord.Decode(kv.Value))];

    public ApplicationRecord? Get(ApplicationId id) =>
        store.Get(Column.Application, id.AsSpan()) is { } bytes ? ApplicationRecord.Decode(bytes) : null;

    /// <summary>The compiled module of an installed application (the engine caches compilations).</summary>
    public CompiledModule LoadModule(ApplicationId id)
    {
        var record = Get(id) ?? throw new NodeException(NodeErrorKind.NotFound, $"application {id} is not installed");
        if (_modules.TryGetValue(record.Blob, out var cached))
        {
            return cached;
        }

        var wasm = store.Get(Column.Blob, record.Blob.AsSpan())
            ?? throw new NodeException(NodeErrorKind.NotFound, $"the bytecode blob {record.Blob} of application {id} is missing");
        return _modules.GetOrAdd(record.Blob, engine.Compile(wasm));
    }

    /// <summary>
    /// Removes the application record and, unless another installed application shares them, its
    /// bytecode blob. False when the id is not installed. Callers check that no context uses it.
    /// </summary>
    public bool Uninstall(ApplicationId id)
    {
        if (Get(id) is not { } record)
        {
            return false;
        }

        // Same bytes installed with another source or metadata get another id but the same blob.
        var shared = List().Any(a => a.Id != id && a.Blob == record.Blob);
        using var batch = store.CreateBatch();
        batch.Delete(Column.Application, id.AsSpan());
        Aliases.AliasStore.DeleteTargeting(store, batch, Aliases.AliasKind.Application, id.AsSpan());
        if (!shared)
        {
            batch.Delete(Column.Blob, record.Blob.AsSpan());
            _modules.TryRemove(record.Blob, out _);
        }

        store.Commit(batch);
        LogUninstalled(logger, id.ToString(), !shared);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Uninstalled application {ApplicationId} (bytecode removed: {BlobRemoved})")]
    private static partial void LogUninstalled(ILogger logger, string applicationId, bool blobRemoved);

    [LoggerMessage(Level = LogLevel.Information, Message = "Installed application {ApplicationId} ({Size} bytes) from {Source}")]
    private static partial void LogInstalled(ILogger logger, string applicationId, int size, string source);
}
