namespace Mero.State.Crdt;

/// <summary>The kind of a node in a context's entity tree. Stored in metadata and deltas: values are fixed.</summary>
public enum CrdtKind : byte
{
    /// <summary>The context's root: holds the raw storage_write entries and every top-level collection.</summary>
    Root = 0,

    /// <summary>Key to value, last writer wins per key.</summary>
    Map = 1,

    /// <summary>Elements present or absent, last writer wins per element.</summary>
    Set = 2,

    /// <summary>Elements ordered by the HLC stamp of their push; update and remove are last writer wins.</summary>
    Vector = 3,

    /// <summary>One slot per executor and sign (grow-only halves of a PN counter).</summary>
    Counter = 4,

    /// <summary>One value, last writer wins.</summary>
    Register = 5,

    /// <summary>Collaborative text (the RGA of <see cref="Text.RgaText"/>).</summary>
    Text = 6,
}

/// <summary>A handle on one collection of the entity tree: its id and kind.</summary>
public readonly record struct CollectionRef(Hash Id, CrdtKind Kind)
{
    public static CollectionRef Root => new(default, CrdtKind.Root);

    public override string ToString() => $"{Kind}:{Id}";
}

/// <summary>Misuse of the CRDT API (unknown collection, wrong kind, bad index) or a malformed delta.</summary>
public sealed class CrdtException(string message) : Exception(message);
