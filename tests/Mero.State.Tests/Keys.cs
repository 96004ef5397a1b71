namespace Mero.State.Tests;

internal static class Keys
{
    /// <summary>A key whose first byte sets its order among test keys.</summary>
    public static PublicKey Ordered(byte rank)
    {
        var bytes = new byte[32];
        bytes[0] = rank;
        bytes[31] = 0xA5;
        return PublicKey.FromBytes(bytes);
    }

    public static PublicKey Random(Random random)
    {
        var bytes = new byte[32];
        random.NextBytes(bytes);
        return PublicKey.FromBytes(bytes);
    }
}
