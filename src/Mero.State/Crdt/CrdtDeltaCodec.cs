namespace Mero.State.Crdt;

/// <summary>
/// Wire form of a delta (docs/crdt.md): u8 version 1; the 32-byte author key; varint count of
/// declarations, each u8 kind, varint parent+1, varint name length, name; varint count of actions,
/// each u8 kind, varint collection+1, varint HLC time, varint key length, key, varint value length,
/// value. Small on purpose: a typed character costs about 100 bytes.
/// </summary>
internal static class CrdtDeltaCodec
{
    public const byte Version = 1;
    public const int MaxDeclarations = 4096;
    public const int MaxActions = 1 << 20;

    public static byte[] Encode(CrdtDelta delta)
    {
        var w = new CrdtWireWriter(64);
        w.Byte(Version);
        w.Bytes(delta.Author.AsSpan());
        w.VarUInt((ulong)delta.Declarations.Count);
        foreach (var d in delta.Declarations)
        {
            w.Byte((byte)d.Kind);
            w.VarUInt((ulong)(d.Parent + 1));
            w.Blob(d.Name);
        }

        w.VarUInt((ulong)delta.Actions.Count);
        foreach (var a in delta.Actions)
        {
            w.Byte((byte)a.Kind);
            w.VarUInt((ulong)(a.Collection + 1));
            w.VarUInt(a.Time);
            w.Blob(a.ItemKey);
            w.Blob(a.Value);
        }

        return w.ToArray();
    }

    public static CrdtDelta Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new CrdtWireReader(bytes);
        if (r.Byte() != Version)
        {
            throw new CrdtException("invalid delta: unknown version");
        }

        var author = PublicKey.FromBytes(r.Fixed(32));
        var declarationCount = r.Count(MaxDeclarations, "declarations");
        var declarations = new List<CrdtDeclaration>(declarationCount);
        for (var i = 0; i < declarationCount; i++)
        {
            var kind = r.Byte();
            if (kind is 0 or > (byte)CrdtKind.Text)
            {
                throw new CrdtException($"invalid delta: declaration {i} has kind {kind}");
            }

            var parent = r.Count(i, "declaration parent") - 1;
            declarations.Add(new CrdtDeclaration((CrdtKind)kind, parent, r.Blob()));
        }

        var actionCount = r.Count(MaxActions, "actions");
        var actions = new List<CrdtAction>(Math.Min(actionCount, 1024));
        for (var i = 0; i < actionCount; i++)
        {
            var kind = r.Byte();
            if (kind is 0 or > (byte)CrdtActionKind.Text)
            {
                throw new CrdtException($"invalid delta: action {i} has kind {kind}");
            }

            var collection = r.Count(declarationCount, "action collection") - 1;
            actions.Add(new CrdtAction((CrdtActionKind)kind, collection, r.VarUInt(), r.Blob(), r.Blob()));
        }

        if (!r.AtEnd)
        {
            throw new CrdtException("invalid delta: trailing bytes");
        }

        return new CrdtDelta(author, declarations, actions);
    }
}
