using System.Buffers;
using System.Security.Cryptography;
using Mero.Primitives;
using Mero.Store;

namespace Mero.Node.Blobs;

/// <summary>
/// Chunked, content-addressed blob storage in <see cref="Column.Blob"/>. Keys carry a one-byte
/// prefix so they never meet the 32-byte keys applications store their bytecode under:
/// <c>'M' ‖ blob id</c> holds the <see cref="BlobManifest"/>, <c>'C' ‖ SHA-256(chunk)</c> holds a
/// chunk's bytes. Identical chunks are stored once. Thread-safe: RocksDB serialises writes, and the
/// only read-modify-write (delete versus a manifest commit) is under one lock.
/// </summary>
public sealed class BlobStorage(MeroStore store)
{
    private const byte ManifestPrefix = (byte)'M';
    private const byte ChunkPrefix = (byte)'C';
    private const byte ScopePrefix = (byte)'S';
    private readonly Lock _manifests = new();

    /// <summary>A writer that cuts a stream into chunks as it arrives; nothing is visible until it completes.</summary>
    public BlobWriter CreateWriter(long maxSize = BlobManifest.MaxBlobSize) => new(this, Math.Min(maxSize, BlobManifest.MaxBlobSize));

    /// <summary>Stores in-memory content (the runtime's blob_close path) and returns its id.</summary>
    public BlobId Put(ReadOnlySpan<byte> content)
    {
        using var writer = CreateWriter();
        writer.Write(content);
        return writer.Complete().Id;
    }

    public BlobManifest? GetManifest(BlobId id) =>
        store.Get(Column.Blob, Key(ManifestPrefix, id.AsSpan())) is { } bytes ? BlobManifest.Decode(bytes) : null;

    public bool Has(BlobId id) => store.Has(Column.Blob, Key(ManifestPrefix, id.AsSpan()));

    /// <summary>Records that the blob belongs to a context (uploaded or fetched for it): it is then served only to that context's members.</summary>
    public void AddScope(BlobId id, ContextId context)
    {
        using var batch = store.CreateBatch();
        batch.Put(Column.Blob, [ScopePrefix, .. id.AsSpan(), .. context.AsSpan()], []);
        store.Commit(batch);
    }

    /// <summary>The contexts a blob was stored for; empty for an unscoped (operator) blob.</summary>
    public IReadOnlyList<ContextId> Scopes(BlobId id) =>
        [.. store.Scan(Column.Blob, Key(ScopePrefix, id.AsSpan())).Where(kv => kv.Key.Length == 65).Select(kv => ContextId.FromBytes(kv.Key.AsSpan(33)))];

    public byte[]? GetChunk(ReadOnlySpan<byte> chunkId) => store.Get(Column.Blob, Key(ChunkPrefix, chunkId));

    /// <summary>The whole blob in memory, or null if it is not stored here (for the runtime's blob_read).</summary>
    public byte[]? ReadAll(BlobId id)
    {
        if (GetManifest(id) is not { } manifest)
        {
            return null;
        }

        var content = new byte[manifest.Size];
        var offset = 0;
        foreach (var chunk in ReadChunks(manifest))
        {
            chunk.CopyTo(content, offset);
            offset += chunk.Length;
        }

        return content;
    }

    /// <summary>The blob's chunks in order, one store read at a time.</summary>
    /// <exception cref="InvalidDataException">a chunk the manifest lists is missing</exception>
    public IEnumerable<byte[]> ReadChunks(BlobManifest manifest)
    {
        foreach (var chunkId in manifest.ChunkIds)
        {
            yield return GetChunk(chunkId)
                ?? throw new InvalidDataException($"blob store is missing chunk {Convert.ToHexStringLower(chunkId)}");
        }
    }

    public IReadOnlyList<(BlobId Id, BlobManifest Manifest)> List() =>
        [.. store.Scan(Column.Blob, [ManifestPrefix])
            .Where(kv => kv.Key.Length == 33)
            .Select(kv => (BlobId.FromBytes(kv.Key.AsSpan(1)), BlobManifest.Decode(kv.Value)))];

    /// <summary>Removes the manifest and every chunk no other manifest lists; false if the blob was not here.</summary>
    public bool Delete(BlobId id)
    {
        lock (_manifests)
        {
            if (GetManifest(id) is not { } manifest)
            {
                return false;
            }

            // Chunks are shared between blobs by content, so only unreferenced ones go.
            var stillUsed = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (other, otherManifest) in List())
            {
                if (other != id)
                {
                    stillUsed.UnionWith(otherManifest.ChunkIds.Select(Convert.ToHexString));
                }
            }

            using var batch = store.CreateBatch();
            batch.Delete(Column.Blob, Key(ManifestPrefix, id.AsSpan()));
            foreach (var (scope, _) in store.Scan(Column.Blob, Key(ScopePrefix, id.AsSpan())))
            {
                batch.Delete(Column.Blob, scope);
            }

            foreach (var chunkId in manifest.ChunkIds.Where(c => !stillUsed.Contains(Convert.ToHexString(c))))
            {
                batch.Delete(Column.Blob, Key(ChunkPrefix, chunkId));
            }

            store.Commit(batch);
            return true;
        }
    }

    internal void PutChunk(ReadOnlySpan<byte> chunkId, ReadOnlySpan<byte> data)
    {
        using var batch = store.CreateBatch();
        batch.Put(Column.Blob, Key(ChunkPrefix, chunkId), data);
        store.Commit(batch);
    }

    internal void CommitManifest(BlobId id, BlobManifest manifest)
    {
        lock (_manifests)
        {
            // A delete of another blob sharing a chunk could have removed it after we wrote it.
            if (manifest.ChunkIds.FirstOrDefault(c => !store.Has(Column.Blob, Key(ChunkPrefix, c))) is { } lost)
            {
                throw new InvalidOperationException($"chunk {Convert.ToHexStringLower(lost)} was deleted while blob {id} was being written; upload it again");
            }

            using var batch = store.CreateBatch();
            batch.Put(Column.Blob, Key(ManifestPrefix, id.AsSpan()), manifest.Encode());
            store.Commit(batch);
        }
    }

    private static byte[] Key(byte prefix, ReadOnlySpan<byte> id) => [prefix, .. id];
}

/// <summary>
/// Cuts written bytes into <see cref="BlobChunking.ChunkSize"/> chunks, storing each as soon as it
/// is full, so memory stays at one chunk however large the blob. <see cref="Complete"/> writes the
/// manifest, which is what makes the blob exist. Not thread-safe: one writer per upload.
/// </summary>
public sealed class BlobWriter : IDisposable
{
    private readonly BlobStorage _storage;
    private readonly long _maxSize;
    private readonly IncrementalHash _content = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly List<byte[]> _chunkIds = [];
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(BlobChunking.ChunkSize);
    private int _filled;
    private bool _completed;

    internal BlobWriter(BlobStorage storage, long maxSize)
    {
        _storage = storage;
        _maxSize = maxSize;
    }

    public long Size { get; private set; }

    public void Write(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_buffer is null || _completed, this);
        if (Size + data.Length > _maxSize)
        {
            throw new BlobTooLargeException(_maxSize);
        }

        while (!data.IsEmpty)
        {
            var n = Math.Min(data.Length, BlobChunking.ChunkSize - _filled);
            data[..n].CopyTo(_buffer.AsSpan(_filled));
            _filled += n;
            Size += n;
            data = data[n..];
            if (_filled == BlobChunking.ChunkSize)
            {
                Flush();
            }
        }
    }

    /// <summary>Copies <paramref name="source"/> to its end, reading straight into the chunk buffer.</summary>
    public async Task WriteFromAsync(Stream source, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_buffer is null || _completed, this);
        while (true)
        {
            var read = await source.ReadAsync(_buffer.AsMemory(_filled, BlobChunking.ChunkSize - _filled), ct).ConfigureAwait(false);
            if (read == 0)
            {
                return;
            }

            if (Size + read > _maxSize)
            {
                throw new BlobTooLargeException(_maxSize);
            }

            _filled += read;
            Size += read;
            if (_filled == BlobChunking.ChunkSize)
            {
                Flush();
            }
        }
    }

    /// <summary>Stores the last chunk and the manifest and returns the blob's id.</summary>
    /// <exception cref="InvalidDataException">the content does not hash to <paramref name="expected"/> (no manifest is written)</exception>
    public (BlobId Id, BlobManifest Manifest) Complete(BlobId? expected = null)
    {
        ObjectDisposedException.ThrowIf(_buffer is null || _completed, this);
        if (_filled > 0)
        {
            Flush();
        }

        _completed = true;
        var manifest = new BlobManifest(Size, _content.GetHashAndReset(), _chunkIds);
        var id = manifest.ComputeId();
        if (expected is { } want && want != id)
        {
            throw new InvalidDataException($"received content hashes to blob {id}, not to the requested {want}");
        }

        _storage.CommitManifest(id, manifest);
        return (id, manifest);
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }

        _content.Dispose();
    }

    private void Flush()
    {
        var chunk = _buffer.AsSpan(0, _filled);
        var id = SHA256.HashData(chunk);
        _content.AppendData(chunk);
        _storage.PutChunk(id, chunk);
        _chunkIds.Add(id);
        _filled = 0;
    }
}
