namespace Mero.Runtime.Logic;

/// <summary>
/// The blob file descriptors of one execution. Writes are buffered until blob_close, which
/// computes the blob id (upstream's rule: SHA-256 over the 1 MiB chunk ids) and hands it to the node's blob store; reads load the blob
/// once and stream it out in guest-sized chunks. Descriptors start at 1, as upstream.
/// </summary>
internal sealed class BlobHandles(VmLogic logic)
{
    private readonly Dictionary<ulong, Handle> _open = [];
    private ulong _next = 1;
    private long _bytesWritten;

    public ulong Create()
    {
        Store();
        return Add(new Handle { Writer = new MemoryStream() });
    }

    public ulong Write(ulong fd, ReadOnlySpan<byte> data)
    {
        var handle = Get(fd);
        if (handle.Writer is null)
        {
            throw logic.Fail(HostErrorCode.InvalidBlobHandle, $"blob handle {fd} is open for reading, not writing");
        }

        if (_bytesWritten + data.Length > logic.Limits.MaxBlobBytes)
        {
            throw logic.Fail(
                HostErrorCode.BlobBytesExceeded,
                $"blob bytes per execution exceeded (attempted: {_bytesWritten + data.Length}, max: {logic.Limits.MaxBlobBytes})");
        }

        _bytesWritten += data.Length;
        handle.Writer.Write(data);
        return (ulong)data.Length;
    }

    /// <summary>Closes the descriptor and returns the blob id (writers store the blob first).</summary>
    public byte[] Close(ulong fd)
    {
        var handle = Get(fd);
        _open.Remove(fd);
        if (handle.Writer is null)
        {
            return handle.Id!;
        }

        var content = handle.Writer.ToArray();
        var id = Mero.Primitives.BlobChunking.ComputeId(content);
        Store().Put(id, content);
        return id;
    }

    public ulong Open(byte[] id)
    {
        Store();
        // As upstream, opening does not check existence; a missing blob reads as empty.
        return Add(new Handle { Id = id });
    }

    /// <summary>Copies the next bytes into <paramref name="destination"/>; 0 at the end or for a missing blob.</summary>
    public ulong Read(ulong fd, Span<byte> destination)
    {
        var handle = Get(fd);
        if (handle.Writer is not null)
        {
            throw logic.Fail(HostErrorCode.InvalidBlobHandle, $"blob handle {fd} is open for writing, not reading");
        }

        handle.Reader ??= new MemoryStream(Store().Get(handle.Id!) ?? [], writable: false);
        return (ulong)handle.Reader.Read(destination);
    }

    private IRuntimeBlobStore Store() =>
        logic.Services.Blobs ?? throw logic.Fail(HostErrorCode.BlobsNotSupported, "blobs are not supported by this host");

    private ulong Add(Handle handle)
    {
        if (_open.Count >= logic.Limits.MaxBlobHandles)
        {
            throw logic.Fail(HostErrorCode.BlobHandlesOverflow, $"too many open blob handles (max: {logic.Limits.MaxBlobHandles})");
        }

        var fd = _next++;
        _open.Add(fd, handle);
        return fd;
    }

    private Handle Get(ulong fd) =>
        _open.TryGetValue(fd, out var handle)
            ? handle
            : throw logic.Fail(HostErrorCode.InvalidBlobHandle, $"invalid blob handle: {fd}");

    private sealed class Handle
    {
        public MemoryStream? Writer { get; init; }

        public MemoryStream? Reader { get; set; }

        public byte[]? Id { get; init; }
    }
}
