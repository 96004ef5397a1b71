using System.Buffers.Binary;
using Mero.Primitives.Clock;
using Mero.State.Text;

namespace Mero.State.Crdt;

/// <summary>Applying deltas from other replicas: pure data merges, the app never runs.</summary>
public sealed partial class CrdtTransaction
{
    /// <summary>
    /// Merges a delta into this transaction. Idempotent (an action older than or equal to what is
    /// stored changes nothing) and order-independent. The whole delta is validated before anything
    /// changes, so a malformed one throws <see cref="CrdtException"/> and leaves the transaction as it was.
    /// The local clock observes the delta's newest stamp, so later local writes win over it.
    /// </summary>
    public void Apply(CrdtDelta delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        var ops = Validate(delta);
        // A pinned id (0xFF ‖ id) may name a collection that exists here as another kind: refused
        // before anything changes.
        var pinned = new Dictionary<Hash, CrdtKind>();
        foreach (var declaration in delta.Declarations)
        {
            if (declaration.Parent >= 0 || !CollectionMeta.IsPinned(default, declaration.Name))
            {
                continue;
            }

            var id = CollectionMeta.DeriveId(default, declaration.Kind, declaration.Name);
            var kind = LoadMeta(id)?.Kind ?? (pinned.TryGetValue(id, out var declared) ? declared : declaration.Kind);
            if (kind != declaration.Kind)
            {
                throw new CrdtException($"invalid delta: collection {id} is a {kind}, not a {declaration.Kind}");
            }

            pinned[id] = kind;
        }

        var newest = delta.Actions.Count == 0 ? 0 : delta.Actions.Max(a => a.Time);
        if (newest > 0)
        {
            // Rejects, before anything changes, a delta stamped too far in the future.
            try
            {
                _clock.Observe(new HybridTimestamp(newest, delta.Author));
            }
            catch (Exception ex) when (ex is ClockDriftException or OverflowException)
            {
                throw new CrdtException($"invalid delta: its clock is too far ahead ({ex.Message})");
            }
        }

        var metas = new CollectionMeta[delta.Declarations.Count];
        for (var i = 0; i < metas.Length; i++)
        {
            metas[i] = Declared(delta, metas, i);
        }

        for (var i = 0; i < delta.Actions.Count; i++)
        {
            var action = delta.Actions[i];
            var meta = action.Collection < 0 ? Root() : Declared(delta, metas, action.Collection);
            if (action.Kind == CrdtActionKind.Text)
            {
                // A text under a removed map key is gone for good (CrdtTransaction.Removal.cs).
                if (RemovedAt(meta) is null)
                {
                    ApplyTextOp(meta, ops[i]!);
                }

                continue;
            }

            var stamp = new HybridTimestamp(action.Time, delta.Author);
            if (RemovedAt(meta) is { } removed && stamp <= removed)
            {
                continue;
            }

            var entry = CrdtEntry.Create(stamp, action.Kind == CrdtActionKind.Remove, action.Value);
            ApplyEntry(meta, action.ItemKey, entry, ReadEntry(meta, action.ItemKey));
            if (action.Kind == CrdtActionKind.Remove && meta.Kind == CrdtKind.Map)
            {
                RemoveNested(meta, action.ItemKey, stamp);
            }
        }
    }

    /// <summary>The collection of declaration i, created again if a removal in this delta deleted it.</summary>
    private CollectionMeta Declared(CrdtDelta delta, CollectionMeta[] metas, int i)
    {
        if (metas[i] is { } known && _metas.TryGetValue(known.Id, out var live) && ReferenceEquals(live, known))
        {
            return known;
        }

        var declaration = delta.Declarations[i];
        var parent = declaration.Parent < 0 ? Root() : Declared(delta, metas, declaration.Parent);
        return metas[i] = EnsureCollection(parent, declaration.Kind, declaration.Name, out _);
    }

    /// <summary>Decodes and applies a delta's wire form.</summary>
    public void Apply(ReadOnlySpan<byte> encodedDelta) => Apply(CrdtDelta.Decode(encodedDelta));

    /// <summary>Checks kinds, shapes and nesting; returns the decoded text ops by action index.</summary>
    private static RgaOp?[] Validate(CrdtDelta delta)
    {
        var depths = new int[delta.Declarations.Count];
        for (var i = 0; i < depths.Length; i++)
        {
            var declaration = delta.Declarations[i];
            if (declaration.Parent >= i || declaration.Kind == CrdtKind.Root)
            {
                throw new CrdtException($"invalid delta: declaration {i} is malformed");
            }

            var parentKind = declaration.Parent < 0 ? CrdtKind.Root : delta.Declarations[declaration.Parent].Kind;
            if (parentKind is not (CrdtKind.Root or CrdtKind.Map))
            {
                throw new CrdtException($"invalid delta: declaration {i} nests in a {parentKind}");
            }

            depths[i] = declaration.Parent < 0 ? 1 : depths[declaration.Parent] + 1;
            if (depths[i] > CollectionMeta.MaxDepth)
            {
                throw new CrdtException($"invalid delta: declaration {i} nests deeper than {CollectionMeta.MaxDepth}");
            }
        }

        var ops = new RgaOp?[delta.Actions.Count];
        for (var i = 0; i < ops.Length; i++)
        {
            var action = delta.Actions[i];
            if (action.Collection >= delta.Declarations.Count)
            {
                throw new CrdtException($"invalid delta: action {i} names an undeclared collection");
            }

            var kind = action.Collection < 0 ? CrdtKind.Root : delta.Declarations[action.Collection].Kind;
            if ((kind == CrdtKind.Text) != (action.Kind == CrdtActionKind.Text))
            {
                throw new CrdtException($"invalid delta: action {i} ({action.Kind}) does not fit a {kind}");
            }

            if (action.Time == 0)
            {
                throw new CrdtException($"invalid delta: action {i} has no timestamp");
            }

            switch (kind)
            {
                case CrdtKind.Text:
                    try
                    {
                        ops[i] = RgaText.DecodeOp(action.Value, action.Time);
                    }
                    catch (RgaFormatException ex)
                    {
                        throw new CrdtException($"invalid delta: action {i}: {ex.Message}");
                    }

                    // Char times are bounded by the action's (drift-checked) time.
                    if (ops[i] is RgaInsertOp insert && insert.Time + (ulong)insert.Length - 1 > action.Time)
                    {
                        throw new CrdtException($"invalid delta: action {i} stamps characters after its own time");
                    }

                    break;
                // Counters only ever put slot totals; a removal would store a counter tombstone,
                // which no local op writes and snapshot verification and tree sync refuse.
                case CrdtKind.Counter when action.Kind != CrdtActionKind.Put || action.Value.Length != 8 || action.ItemKey.Length != 33 || action.ItemKey[32] > 1:
                    throw new CrdtException($"invalid delta: action {i} is not a counter slot");
                case CrdtKind.Vector when action.ItemKey.Length != 40:
                    throw new CrdtException($"invalid delta: action {i} is not a vector element");
                case CrdtKind.Register when action.ItemKey.Length != 0:
                    throw new CrdtException($"invalid delta: action {i} is not a register write");
                default:
                    break;
            }

            if (kind == CrdtKind.Vector && BinaryPrimitives.ReadUInt64BigEndian(action.ItemKey) == 0)
            {
                throw new CrdtException($"invalid delta: action {i} has a vector element without a stamp");
            }
        }

        return ops;
    }
}
