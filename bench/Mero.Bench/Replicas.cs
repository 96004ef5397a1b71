namespace Mero.Bench;

/// <summary>Deterministic replica keys whose byte order follows the given rank.</summary>
internal static class Replicas
{
    public static PublicKey Key(int rank)
    {
        var bytes = new byte[32];
        bytes[0] = (byte)(rank + 1);
        bytes[31] = 0x5A;
        return PublicKey.FromBytes(bytes);
    }
}
