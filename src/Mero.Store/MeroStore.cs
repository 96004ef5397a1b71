using RocksDbSharp;

namespace Mero.Store;

/// <summary>
/// The node's RocksDB database: one column family per <see cref="Column"/>. Every logical change is
/// one <see cref="StoreBatch"/> committed atomically, so a failure never leaves half a write behind.
/// </summary>
public sealed class MeroStore : IDisposable
{
    private readonly RocksDb _db;
    private readonly ColumnFamilyHandle[] _handles;
    private static readonly IngestExternalFileOptions MoveIngest = new IngestExternalFileOptions().SetMoveFiles(true);
    private readonly WriteOptions _writeOptions;

    private MeroStore(RocksDb db, ColumnFamilyHandle[] handles, bool syncWrites)
    {
        _db = db;
        _handles = handles;
        _writeOptions = new WriteOptions().SetSync(syncWrites);
    }

    public string Path { get; private init; } = "";

    /// <summary>Opens (creating if missing) the database at <paramref name="path"/> with every column family.</summary>
    public static MeroStore Open(string path, StoreOptions? options = null)
    {
        options ??= StoreOptions.Default;
        Directory.CreateDirectory(path);
        var dbOptions = new DbOptions()
            .SetCreateIfMissing(true)
            .SetCreateMissingColumnFamilies(true)
            .SetMaxOpenFiles(options.MaxOpenFiles);

        var families = new ColumnFamilies();
        foreach (var column in Enum.GetValues<Column>())
        {
            families.Add(ColumnName(column), new ColumnFamilyOptions());
        }

        var db = RocksDb.Open(dbOptions, path, families);
        var handles = Enum.GetValues<Column>().Select(c => db.GetColumnFamily(ColumnName(c))).ToArray();
        return new MeroStore(db, handles, options.SyncWrites) { Path = path };
    }

    public byte[]? Get(Column column, ReadOnlySpan<byte> key) => _db.Get(key, Handle(column));

    public bool Has(Column column, ReadOnlySpan<byte> key) => _db.Get(key, Handle(column)) is not null;

    public StoreBatch CreateBatch() => new(this);

    /// <summary>Writes the whole batch or nothing.</summary>
    public void Commit(StoreBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!ReferenceEquals(batch.Owner, this))
        {
            throw new InvalidOperationException("batch belongs to another store");
        }

        _db.Write(batch.Inner, _writeOptions);
    }

    /// <summary>Entries of a column whose key starts with <paramref name="prefix"/>, in key order.</summary>
    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Column column, byte[] prefix)
    {
        using var range = Range(column, prefix, StoreRange.EndOfPrefix(prefix));
        while (range.MoveNext())
        {
            yield return new(range.Key.ToArray(), range.Value.ToArray());
        }
    }

    /// <summary>Live keys of <paramref name="column"/> in <c>[from, to)</c> (no upper bound when <paramref name="to"/> is null), without copying them.</summary>
    public StoreRange Range(Column column, ReadOnlySpan<byte> from, byte[]? to) => new(_db.NewIterator(Handle(column)), from, to);

    /// <summary>A consistent read-only view of the whole store as of now.</summary>
    public StoreSnapshot Snapshot() => new(this, _db);

    /// <summary>Starts a sorted table file at <paramref name="path"/> for <see cref="Ingest"/>.</summary>
    public static StoreSortedFile CreateSortedFile(string path) => new(path);

    /// <summary>
    /// Moves finished sorted files into <paramref name="column"/> in one atomic step: after it returns
    /// every record of every file is visible and the files are gone from their paths. The files'
    /// key ranges must not overlap; empty files are skipped.
    /// </summary>
    public void Ingest(Column column, params ReadOnlySpan<StoreSortedFile> files)
    {
        var paths = new List<string>(files.Length);
        foreach (var file in files)
        {
            ArgumentNullException.ThrowIfNull(file);
            if (file.Count > 0)
            {
                paths.Add(file.Path);
            }
        }

        if (paths.Count > 0)
        {
            _db.IngestExternalFiles([.. paths], MoveIngest, Handle(column));
        }
    }

    /// <summary>Keys of a column that start with <paramref name="prefix"/>, in key order, without copying values.</summary>
    public IEnumerable<byte[]> ScanKeys(Column column, byte[] prefix)
    {
        using var range = Range(column, prefix, StoreRange.EndOfPrefix(prefix));
        while (range.MoveNext())
        {
            yield return range.Key.ToArray();
        }
    }

    /// <summary>Liveness probe for health checks: a read that must not throw.</summary>
    public bool Ping()
    {
        try
        {
            _db.Get(StoreKeys.PingKey, Handle(Column.Meta));
            return true;
        }
        catch (RocksDbException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _db.Dispose();
    }

    internal ColumnFamilyHandle Handle(Column column) => _handles[(int)column];

    private static string ColumnName(Column column) => column.ToString().ToLowerInvariant();
}

public sealed record StoreOptions(bool SyncWrites = false, int MaxOpenFiles = 512)
{
    public static StoreOptions Default { get; } = new();
}
