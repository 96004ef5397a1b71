using RocksDbSharp;

namespace Mero.Store;

/// <summary>
/// A table file written outside the database in strictly ascending key order, then moved into a
/// column by <see cref="MeroStore.Ingest"/> in one step: bulk loads (an installed snapshot) skip
/// the write-ahead log and the memtable and cost one sequential write.
/// </summary>
public sealed class StoreSortedFile : IDisposable
{
    private readonly SstFileWriter _writer;
    private byte[]? _last;
    private bool _finished;

    internal StoreSortedFile(string path)
    {
        Path = path;
        // Uncompressed: the file is written once and read soon; compaction compresses it later like any other.
        _writer = new SstFileWriter(new EnvOptions(), new ColumnFamilyOptions().SetCompression(Compression.No));
        _writer.Open(path);
    }

    public string Path { get; }

    public long Count { get; private set; }

    /// <summary>Appends a record; throws <see cref="InvalidDataException"/> unless the key sorts after the previous one.</summary>
    public void Add(byte[] key, byte[] value)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        if (_last is not null && key.AsSpan().SequenceCompareTo(_last) <= 0)
        {
            throw new InvalidDataException("records are not in strictly ascending key order");
        }

        _writer.Put(key, value);
        _last = key;
        Count++;
    }

    /// <summary>Completes the file; nothing can be added afterwards. An empty file is not finished (RocksDB refuses it) and must not be ingested.</summary>
    public void Finish()
    {
        if (!_finished && Count > 0)
        {
            _writer.Finish();
        }

        _finished = true;
    }

    public void Dispose()
    {
        _finished = true;
        _writer.Dispose();
    }
}
