namespace Mero.State.Text;

/// <summary>
/// Binary form of ops (layout in docs/crdt-text.md). Replica keys appear once in a small table and
/// are referenced by index, so a typed character costs one 32-byte key plus a few varints.
/// </summary>
internal static class RgaOpCodec
{
    public const byte InsertTag = 0x01;
    public const byte DeleteTag = 0x02;

    private const int MaxInsertKeys = 3;

    /// <summary>
    /// With relativeTo (the HLC time of the delta action carrying the op), an insert's time is
    /// written as relativeTo − time: one byte for a typed character instead of nine.
    /// </summary>
    public static byte[] Encode(RgaOp op, ulong? relativeTo = null)
    {
        var keys = new List<PublicKey>(MaxInsertKeys);
        var w = new RgaWireWriter();
        switch (op)
        {
            case RgaInsertOp insert:
                keys.Add(insert.Id.Replica);
                AddKey(keys, insert.OriginLeft);
                AddKey(keys, insert.OriginRight);
                w.Byte(InsertTag);
                WriteKeys(w, keys);
                w.VarInt(insert.Id.Seq);
                if (relativeTo is { } reference && insert.Time > reference)
                {
                    throw new ArgumentException($"insert time {insert.Time} is after its reference {reference}", nameof(relativeTo));
                }

                w.VarULong(relativeTo is { } before ? before - insert.Time : insert.Time);
                WriteOrigin(w, keys, insert.OriginLeft);
                WriteOrigin(w, keys, insert.OriginRight);
                w.Utf8(insert.Text);
                break;
            case RgaDeleteOp delete:
                foreach (var range in delete.Ranges)
                {
                    if (!keys.Contains(range.Replica))
                    {
                        keys.Add(range.Replica);
                    }
                }

                w.Byte(DeleteTag);
                WriteKeys(w, keys);
                w.VarInt(delete.Ranges.Count);
                foreach (var range in delete.Ranges)
                {
                    w.VarInt(keys.IndexOf(range.Replica));
                    w.VarInt(range.Seq);
                    w.VarInt(range.Length);
                }

                break;
            default:
                throw new ArgumentException($"unknown op type {op?.GetType().Name}", nameof(op));
        }

        return w.ToArray();
    }

    public static RgaOp Decode(ReadOnlySpan<byte> bytes, ulong? relativeTo = null)
    {
        var r = new RgaWireReader(bytes, "RGA op");
        var tag = r.Byte();
        switch (tag)
        {
            case InsertTag:
                {
                    var keys = ReadKeys(ref r, MaxInsertKeys);
                    var seq = r.Int("seq");
                    var time = r.VarULong();
                    if (relativeTo is { } reference)
                    {
                        time = time <= reference ? reference - time : throw r.Error("insert time is before zero");
                    }

                    var (leftKey, leftSeq) = ReadOrigin(ref r, keys);
                    var (rightKey, rightSeq) = ReadOrigin(ref r, keys);
                    var used = UseKey(ref r, 1, leftKey);
                    EnsureAllKeysUsed(ref r, keys, UseKey(ref r, used, rightKey));
                    var text = r.RestAsUtf8();
                    var length = RgaCodePoints.Count(text);
                    if (length == 0)
                    {
                        throw r.Error("insert without text");
                    }

                    if ((long)seq + length > int.MaxValue || time > RgaText.MaxCharTime - (ulong)length)
                    {
                        throw r.Error("sequence numbers or times overflow");
                    }

                    return new RgaInsertOp(keys, 0, seq, time, leftKey, leftSeq, rightKey, rightSeq, text, length);
                }

            case DeleteTag:
                {
                    var keys = ReadKeys(ref r, r.Remaining / 32);
                    var count = r.Int("range count", r.Remaining / 3);
                    if (count == 0)
                    {
                        throw r.Error("delete without ranges");
                    }

                    var ranges = new RgaCharRange[count];
                    var used = 0;
                    for (var i = 0; i < count; i++)
                    {
                        var index = r.Int("key index", keys.Length - 1);
                        used = UseKey(ref r, used, index);
                        var key = keys[index];
                        var seq = r.Int("seq");
                        var length = r.Int("length");
                        if (length == 0 || (long)seq + length > int.MaxValue)
                        {
                            throw r.Error($"bad range length {length}");
                        }

                        ranges[i] = new(key, seq, length);
                    }

                    EnsureAllKeysUsed(ref r, keys, used);
                    r.EnsureEnd();
                    return new RgaDeleteOp(ranges);
                }

            default:
                throw r.Error($"unknown op tag 0x{tag:x2}");
        }
    }

    private static void AddKey(List<PublicKey> keys, RgaCharId? id)
    {
        if (id is { } c && !keys.Contains(c.Replica))
        {
            keys.Add(c.Replica);
        }
    }

    private static void WriteKeys(RgaWireWriter w, List<PublicKey> keys)
    {
        w.VarInt(keys.Count);
        foreach (var key in keys)
        {
            w.Key(key);
        }
    }

    private static void WriteOrigin(RgaWireWriter w, List<PublicKey> keys, RgaCharId? id)
    {
        if (id is not { } c)
        {
            w.VarInt(0);
            return;
        }

        w.VarInt(keys.IndexOf(c.Replica) + 1);
        w.VarInt(c.Seq);
    }

    private static PublicKey[] ReadKeys(ref RgaWireReader r, int max)
    {
        var count = r.Int("key count", max);
        if (count == 0)
        {
            throw r.Error("no replica keys");
        }

        var keys = new PublicKey[count];

        // Ops usually carry one to three keys; only long delete lists need the set.
        var seen = count > 8 ? new HashSet<PublicKey>(count) : null;
        for (var i = 0; i < count; i++)
        {
            keys[i] = r.Key();
            var duplicate = seen is null ? Array.IndexOf(keys, keys[i], 0, i) >= 0 : !seen.Add(keys[i]);
            if (duplicate)
            {
                throw r.Error("duplicate replica key");
            }
        }

        return keys;
    }

    /// <summary>
    /// The encoder lists keys in first-use order and only keys it uses, so a reference past the keys
    /// used so far must be the next one. Anything else is a second encoding of the same op, which
    /// would re-encode to other bytes (and so another delta hash). Returns the keys used so far.
    /// </summary>
    private static int UseKey(ref RgaWireReader r, int used, int index)
    {
        if (index < used)
        {
            return used;
        }

        return index == used ? used + 1 : throw r.Error($"key index {index} is used before key {used} (keys must be in first-use order)");
    }

    private static void EnsureAllKeysUsed(ref RgaWireReader r, PublicKey[] keys, int used)
    {
        if (used != keys.Length)
        {
            throw r.Error($"{keys.Length - used} of {keys.Length} replica keys are never used");
        }
    }

    /// <summary>An origin as (key index, seq), key index -1 for none.</summary>
    private static (int Key, int Seq) ReadOrigin(ref RgaWireReader r, PublicKey[] keys)
    {
        var reference = r.Int("origin key index", keys.Length);
        return reference == 0 ? (-1, 0) : (reference - 1, r.Int("origin seq"));
    }
}
