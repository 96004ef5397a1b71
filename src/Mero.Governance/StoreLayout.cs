using System.Buffers.Binary;

namespace Mero.Governance;

/// <summary>
/// Keys in <see cref="Mero.Store.Column.Group"/>: namespace id (32) ‖ tag ‖ rest.
/// o: op log (u64 BE sequence → envelope), h: DAG heads, n: per-signer nonce, s: state records,
/// p: pending envelopes (parents missing or key not yet delivered), k: node-local group keys,
/// i: this node's namespace identity seed.
/// </summary>
internal static class StoreLayout
{
    public const byte OpLog = (byte)'o';
    public const byte Heads = (byte)'h';
    public const byte Nonce = (byte)'n';
    public const byte StateRecord = (byte)'s';
    public const byte Pending = (byte)'p';
    public const byte GroupKey = (byte)'k';
    public const byte Identity = (byte)'i';

    public static byte[] Prefix(GroupId ns, byte tag) => [.. ns.AsSpan(), tag];

    public static byte[] Key(GroupId ns, byte tag, ReadOnlySpan<byte> rest) => [.. ns.AsSpan(), tag, .. rest];

    public static byte[] OpLogKey(GroupId ns, ulong sequence)
    {
        Span<byte> seq = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(seq, sequence);
        return Key(ns, OpLog, seq);
    }

    public static ulong OpLogSequence(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadUInt64BigEndian(key[^8..]);
}
