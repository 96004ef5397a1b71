using Mero.Runtime.Logic;

namespace Mero.Runtime.Host;

/// <summary>
/// blob_create / blob_write / blob_close / blob_open / blob_read over the node's content-addressed
/// blob store (see <see cref="BlobHandles"/>). Blob ids are 32 bytes (SHA-256 of the content).
/// </summary>
internal static class BlobFunctions
{
    private const int BlobIdLength = 32;

    public static void Define(HostFunctionRegistry registry)
    {
        registry.FuncU64("blob_create", logic => logic.Blobs.Create());
        registry.FuncU64("blob_write", Write);
        registry.FuncU32("blob_close", Close);
        registry.FuncU64("blob_open", Open);
        registry.FuncU64("blob_read", Read);
        registry.FuncU32("blob_announce_to_context", Announce);
    }

    /// <summary>
    /// Records a request to announce a local blob to a context's members (on the outcome, for the
    /// node's network layer). 1 if this node has the blob, 0 if not.
    /// </summary>
    private static uint Announce(VmLogic logic, ulong blobIdPtr, ulong contextIdPtr)
    {
        var blobId = logic.ReadExact(blobIdPtr, BlobIdLength, "blob id");
        var contextId = logic.ReadExact(contextIdPtr, BlobIdLength, "context id");
        var store = logic.Services.Blobs ?? throw logic.Fail(HostErrorCode.BlobsNotSupported, "blobs are not supported by this host");
        if (store.Get(blobId) is null)
        {
            return 0;
        }

        if (logic.BlobAnnouncements.Count >= logic.Limits.MaxBlobHandles)
        {
            throw logic.Fail(HostErrorCode.BlobHandlesOverflow, $"too many blob announcements (max: {logic.Limits.MaxBlobHandles})");
        }

        logic.BlobAnnouncements.Add(new BlobAnnouncement(blobId, contextId));
        return 1;
    }

    /// <summary>Appends one chunk; returns the bytes written.</summary>
    private static ulong Write(VmLogic logic, ulong fd, ulong dataPtr)
    {
        var data = ReadChunkDescriptor(logic, dataPtr);
        return logic.Blobs.Write(fd, logic.Memory.Read(data.Ptr, data.Len));
    }

    /// <summary>Writes the blob id into the 32-byte buffer; returns 1.</summary>
    private static uint Close(VmLogic logic, ulong fd, ulong idPtr)
    {
        var destination = logic.Memory.ReadBuffer(idPtr);
        if (destination.Len != BlobIdLength)
        {
            throw logic.Fail(HostErrorCode.InvalidIdLength, $"blob id buffer must be exactly {BlobIdLength} bytes (received {destination.Len})");
        }

        logic.Memory.Write(destination, logic.Blobs.Close(fd));
        return 1;
    }

    private static ulong Open(VmLogic logic, ulong idPtr) => logic.Blobs.Open(logic.ReadExact(idPtr, BlobIdLength, "blob id"));

    /// <summary>Fills up to the buffer's length; returns the bytes read, 0 at the end.</summary>
    private static ulong Read(VmLogic logic, ulong fd, ulong bufferPtr)
    {
        var destination = ReadChunkDescriptor(logic, bufferPtr);
        logic.Memory.Read(destination.Ptr, destination.Len);
        var chunk = new byte[destination.Len];
        var read = logic.Blobs.Read(fd, chunk);
        logic.Memory.Write(destination with { Len = read }, chunk.AsSpan(0, (int)read));
        return read;
    }

    private static GuestBuffer ReadChunkDescriptor(VmLogic logic, ulong ptr) =>
        logic.Memory.ReadBufferAtMost(ptr, logic.Limits.MaxBlobChunkSize, HostErrorCode.BlobChunkTooLarge, "blob chunk too large");
}
