using RocksDbSharp;

namespace Mero.Store;

/// <summary>
/// The node's RocksDB database: one column family per <see cref="Column"/>. Every logical change is
/// one <see cref="StoreBatch"/> committed atomically, so a failure never leaves half a write behind.
/// Safe to dispose while other threads still use it: they get <see cref="ObjectDisposedException"/>,
/// and the database closes only after the last call, range and snapshot already inside have left.
/// </summary>
public sealed class MeroStore : IDisposable
{
    private readonly RocksDb _db;
    private readonly ColumnFamilyHandle[] _handles;
    private static readonly IngestExternalFileOptions MoveIngest = new IngestExternalFileOptions().SetMoveFiles(true);
    private readonly WriteOptions _writeOptions;
    private readonly StoreLifetime _lifetime = new();
    private readonly TimeSpan _closeWait;
    private int _disposed;

    private MeroStore(RocksDb db, ColumnFamilyHandle[] handles, StoreOptions options)
    {
        _db = db;
        _handles = handles;
        _writeOptions = new WriteOptions().SetSync(options.SyncWrites);
        _closeWait = options.CloseWait;
    }

    public string Path { get; private init; } = "";

    /// <summary>Opens (creating if missing) the database at <paramref name="path"/> with every column family.</summary>
    public static MeroStore Open(string path, StoreOptions? options = null)
    {
        options ??= StoreOptions.Default;
        options.Validate();
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
        return new MeroStore(db, handles, options) { Path = path };
    }

    public byte[]? Get(Column column, ReadOnlySpan<byte> key)
    {
        _lifetime.Enter();
        try
        {
            return _db.Get(key, Handle(column));
        }
        finally
        {
            _lifetime.Exit();
        }
    }

    public bool Has(Column column, ReadOnlySpan<byte> key) => Get(column, key) is not null;

    public StoreBatch CreateBatch() => new(this);

    /// <summary>Writes the whole batch or nothing.</summary>
    public void Commit(StoreBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!ReferenceEquals(batch.Owner, this))
        {
            throw new InvalidOperationException("batch belongs to another store");
        }

        _lifetime.Enter();
        try
        {
            _db.Write(batch.Inner, _writeOptions);
        }
        finally
        {
            _lifetime.Exit();
        }
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
    public StoreRange Range(Column column, ReadOnlySpan<byte> from, byte[]? to) => OpenRange(column, from, to, read: null);

    /// <summary>A consistent read-only view of the whole store as of now.</summary>
    public StoreSnapshot Snapshot()
    {
        var lease = _lifetime.Hold();
        try
        {
            return new StoreSnapshot(this, _db, lease);
        }
        catch
        {
            lease.Release();
            throw;
        }
    }

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
            _lifetime.Enter();
            try
            {
                _db.IngestExternalFiles([.. paths], MoveIngest, Handle(column));
            }
            finally
            {
                _lifetime.Exit();
            }
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
        if (!_lifetime.TryEnter())
        {
            return false;
        }

        try
        {
            _db.Get(StoreKeys.PingKey, Handle(Column.Meta));
            return true;
        }
        catch (RocksDbException)
        {
            return false;
        }
        finally
        {
            _lifetime.Exit();
        }
    }

    /// <summary>
    /// Refuses new callers, waits (up to <see cref="StoreOptions.CloseWait"/>) for those inside, then closes the
    /// database. If some are still inside after the wait, the database is left open for the process
    /// to reclaim: closing it under them would crash the process.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_lifetime.Close(_closeWait))
        {
            _db.Dispose();
        }
    }

    internal StoreLifetime Lifetime => _lifetime;

    internal ColumnFamilyHandle Handle(Column column) => _handles[(int)column];

    internal StoreRange OpenRange(Column column, ReadOnlySpan<byte> from, byte[]? to, ReadOptions? read, StoreLifetime.Lease? within = null)
    {
        var lease = within is null ? _lifetime.Hold() : _lifetime.HoldWithin(within);
        try
        {
            var iterator = read is null ? _db.NewIterator(Handle(column)) : _db.NewIterator(Handle(column), read);
            try
            {
                return new StoreRange(iterator, from, to, lease);
            }
            catch
            {
                iterator.Dispose();
                throw;
            }
        }
        catch
        {
            lease.Release();
            throw;
        }
    }

    private static string ColumnName(Column column) => column.ToString().ToLowerInvariant();
}

/// <param name="SyncWrites">fsync every commit.</param>
/// <param name="MaxOpenFiles">RocksDB's table file handle cap.</param>
public sealed record StoreOptions(bool SyncWrites = false, int MaxOpenFiles = 512)
{
    public static StoreOptions Default { get; } = new();

    /// <summary>How long disposal waits for reads, ranges and snapshots still open.</summary>
    public TimeSpan CloseWait { get; init; } = TimeSpan.FromSeconds(30);

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxOpenFiles, -1);
        ArgumentOutOfRangeException.ThrowIfLessThan(CloseWait, TimeSpan.Zero);
    }
}
