using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;
using Wasmtime;

namespace Mero.Runtime.Logic;

/// <summary>
/// Bounds-checked access to the guest's linear memory. Every failure records
/// InvalidMemoryAccess (or BadUtf8) on the logic and traps the guest.
/// </summary>
internal sealed class GuestMemory(VmLogic logic, Memory memory)
{
    /// <summary>A view of guest memory; valid only until the guest runs again or memory grows.</summary>
    public ReadOnlySpan<byte> Read(ulong ptr, ulong len) => Slice(ptr, len);

    public byte[] ReadBytes(GuestBuffer buffer) => Slice(buffer.Ptr, buffer.Len).ToArray();

    public string ReadUtf8(GuestBuffer buffer)
    {
        var bytes = Slice(buffer.Ptr, buffer.Len);
        if (!Utf8.IsValid(bytes))
        {
            throw logic.Fail(HostErrorCode.BadUtf8, "invalid UTF-8 string");
        }

        return Encoding.UTF8.GetString(bytes);
    }

    public ulong ReadU64(ulong ptr) => BinaryPrimitives.ReadUInt64LittleEndian(Slice(ptr, sizeof(ulong)));

    public uint ReadU32(ulong ptr) => BinaryPrimitives.ReadUInt32LittleEndian(Slice(ptr, sizeof(uint)));

    /// <summary>The memory's current size in bytes.</summary>
    public ulong Length => (ulong)memory.GetLength();

    /// <summary>
    /// Reads a Buffer descriptor whose length must be at most <paramref name="max"/>, trapping with
    /// <paramref name="code"/> ("<paramref name="what"/> (size: n, max: m)") before any byte is copied.
    /// </summary>
    public GuestBuffer ReadBufferAtMost(ulong descriptorPtr, long max, HostErrorCode code, string what)
    {
        var buffer = ReadBuffer(descriptorPtr);
        if (buffer.Len > (ulong)max)
        {
            throw logic.Fail(code, $"{what} (size: {buffer.Len}, max: {max})");
        }

        return buffer;
    }

    public GuestBuffer ReadBuffer(ulong descriptorPtr)
    {
        var raw = Slice(descriptorPtr, GuestBuffer.Size);
        return new GuestBuffer(
            BinaryPrimitives.ReadUInt64LittleEndian(raw),
            BinaryPrimitives.ReadUInt64LittleEndian(raw[8..]));
    }

    public void Write(GuestBuffer destination, ReadOnlySpan<byte> data)
    {
        if ((ulong)data.Length != destination.Len)
        {
            throw new InvalidOperationException("host bug: write length differs from the destination buffer");
        }

        data.CopyTo(Slice(destination.Ptr, destination.Len));
    }

    private Span<byte> Slice(ulong ptr, ulong len)
    {
        var size = (ulong)memory.GetLength();
        // Written as two comparisons so ptr + len can never overflow.
        if (ptr > size || len > size - ptr || len > int.MaxValue)
        {
            throw logic.Fail(
                HostErrorCode.InvalidMemoryAccess,
                $"invalid memory access: {len} bytes at address {ptr} (guest memory is {size} bytes)");
        }

        return len == 0 ? [] : memory.GetSpan((long)ptr, (int)len);
    }
}
