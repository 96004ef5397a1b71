using Mero.Primitives;

namespace Mero.Node.Replication.Wire;

/// <summary>Reads the body of the variant named by <paramref name="tag"/>; throws for an unknown tag.</summary>
internal delegate T VariantReader<T>(byte tag, ref BorshReader reader);

/// <summary>
/// The framing every wire enum here shares: one tag byte, the variant's borsh body, nothing after.
/// Decoding refuses oversized input before reading and trailing bytes after.
/// </summary>
internal static class TaggedBorsh
{
    public static byte[] Encode(byte tag, Action<BorshWriter> writeBody, int initialCapacity)
    {
        var writer = new BorshWriter(initialCapacity);
        writer.WriteU8(tag);
        writeBody(writer);
        return writer.ToArray();
    }

    public static T Decode<T>(ReadOnlySpan<byte> bytes, int maxBytes, string what, VariantReader<T> readVariant)
    {
        if (bytes.Length > maxBytes)
        {
            throw new BorshException($"{what} of {bytes.Length} bytes exceeds the limit of {maxBytes}");
        }

        var reader = new BorshReader(bytes);
        var message = readVariant(reader.ReadU8(), ref reader);
        reader.EnsureEnd();
        return message;
    }
}
