namespace Mero.Store;

/// <summary>Builds composite keys: a fixed-width scope (usually a 32-byte id) followed by the record key.</summary>
public static class StoreKeys
{
    internal static readonly byte[] PingKey = "ping"u8.ToArray();

    public static byte[] Compose(ReadOnlySpan<byte> scope, ReadOnlySpan<byte> key)
    {
        var bytes = new byte[scope.Length + key.Length];
        scope.CopyTo(bytes);
        key.CopyTo(bytes.AsSpan(scope.Length));
        return bytes;
    }
}
