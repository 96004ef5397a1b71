namespace Mero.State.Crdt;

/// <summary>What an action does to its collection.</summary>
public enum CrdtActionKind : byte
{
    /// <summary>Write a live entry (last writer wins by HLC stamp).</summary>
    Put = 1,

    /// <summary>Write a tombstone (last writer wins by HLC stamp).</summary>
    Remove = 2,

    /// <summary>An RGA op (insert or delete) on a text collection; the value is its encoding.</summary>
    Text = 3,
}

/// <summary>
/// A collection a delta touches, named by its path: kind, parent (an earlier declaration, or the
/// root when <see cref="Parent"/> is -1) and name. The receiver derives the same id from it.
/// </summary>
public sealed record CrdtDeclaration(CrdtKind Kind, int Parent, byte[] Name);

/// <summary>One HLC-stamped change. <see cref="Collection"/> indexes the declarations, -1 for the root.</summary>
public sealed record CrdtAction(CrdtActionKind Kind, int Collection, ulong Time, byte[] ItemKey, byte[] Value);

/// <summary>
/// The changes of one execute, by one author (the executor, whose key stamps every action).
/// Applying it is idempotent and commutes with every concurrent delta; it never runs the app.
/// </summary>
public sealed class CrdtDelta
{
    public CrdtDelta(PublicKey author, IReadOnlyList<CrdtDeclaration> declarations, IReadOnlyList<CrdtAction> actions)
    {
        Author = author;
        Declarations = declarations;
        Actions = actions;
    }

    public PublicKey Author { get; }

    public IReadOnlyList<CrdtDeclaration> Declarations { get; }

    public IReadOnlyList<CrdtAction> Actions { get; }

    public bool IsEmpty => Declarations.Count == 0 && Actions.Count == 0;

    public byte[] Encode() => CrdtDeltaCodec.Encode(this);

    public static CrdtDelta Decode(ReadOnlySpan<byte> bytes) => CrdtDeltaCodec.Decode(bytes);
}
