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
    private byte[] _last = new byte[128];
    private int _lastLength;
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
    public void Add(byte[] key, byte[] value) => Add(key.AsSpan(), value.AsSpan());

    /// <summary>
    /// Appends a record straight from spans (a page being parsed), so bulk loads allocate nothing per
    /// record; throws <see cref="InvalidDataException"/> unless the key sorts after the previous one.
    /// </summary>
    public unsafe void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        if (Count > 0 && key.SequenceCompareTo(_last.AsSpan(0, _lastLength)) <= 0)
        {
            throw new InvalidDataException("records are not in strictly ascending key order");
        }

        fixed (byte* keyBytes = key)
        fixed (byte* valueBytes = value)
        {
            Native.Instance.rocksdb_sstfilewriter_put(_writer.Handle, keyBytes, (UIntPtr)key.Length, valueBytes, (UIntPtr)value.Length);
        }

        if (_last.Length < key.Length)
        {
            _last = new byte[Math.Max(key.Length, _last.Length * 2)];
        }

        key.CopyTo(_last);
        _lastLength = key.Length;
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
