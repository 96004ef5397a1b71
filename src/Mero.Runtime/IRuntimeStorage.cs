namespace Mero.Runtime;

/// <summary>
/// The flat key-value store a guest sees through storage_read/write/remove. The node passes a
/// transactional overlay and commits it only when the outcome succeeded; the runtime never
/// persists anything itself. Exceptions thrown here are host failures and escape Run.
/// </summary>
public interface IRuntimeStorage
{
    byte[]? Read(ReadOnlySpan<byte> key);

    /// <summary>Upserts and returns the previous value, or null for a new key.</summary>
    byte[]? Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>Deletes and returns the removed value, or null if the key was absent.</summary>
    byte[]? Remove(ReadOnlySpan<byte> key);
}
