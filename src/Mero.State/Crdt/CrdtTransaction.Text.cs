using Mero.Primitives.Clock;
using Mero.State.Text;
using Mero.Store;

namespace Mero.State.Crdt;

/// <summary>
/// Text collections: the RGA document is stored as its canonical state encoding (one record),
/// decoded once per transaction when touched and re-encoded at commit. The collection's child sum
/// is the leaf hash of that encoding, so equal documents hash equal whatever the arrival order.
/// Remote ops whose dependencies have not arrived wait in a pending record outside the hash.
/// </summary>
public sealed partial class CrdtTransaction
{
    private readonly Dictionary<Hash, TextState> _texts = [];

    public string TextGet(CollectionRef text) =>
        TryResolve(text, CrdtKind.Text) is { } meta ? LoadText(meta).Document.GetText() : "";

    public int TextLength(CollectionRef text) =>
        TryResolve(text, CrdtKind.Text) is { } meta ? LoadText(meta).Document.Length : 0;

    public void TextInsert(CollectionRef text, int index, string value)
    {
        // Checked before the collection is created, so a refused edit changes nothing.
        var length = TextLength(text);
        if ((uint)index > (uint)length || string.IsNullOrEmpty(value))
        {
            throw new CrdtException($"cannot insert {value?.Length ?? 0} chars at {index} in text of length {length}");
        }

        var meta = WritableText(text);
        var state = LoadText(meta);
        // Char ids are HLC times: the run gets time .. time + n - 1 (later if the document has
        // seen newer), and the action carries its last char's time, which the clock then observes,
        // so receivers can check that no char is stamped after its action.
        var stamp = NextStamp();
        var op = state.Document.Insert(index, value, stamp.Time);
        var last = op.Time + (ulong)op.Length - 1;
        if (last > stamp.Time)
        {
            _clock.Observe(new HybridTimestamp(last, _executor));
        }

        RecordText(meta, state, op, last);
    }

    public void TextDelete(CollectionRef text, int index, int count)
    {
        var length = TextLength(text);
        if (index < 0 || count <= 0 || (long)index + count > length)
        {
            throw new CrdtException($"cannot delete {count} chars at {index} in text of length {length}");
        }

        var meta = WritableText(text);
        var state = LoadText(meta);
        RecordText(meta, state, state.Document.Delete(index, count), NextStamp().Time);
    }

    private CollectionMeta WritableText(CollectionRef text)
    {
        var meta = ForWrite(text, CrdtKind.Text);
        return RemovedAt(meta) is null
            ? meta
            : throw new CrdtException($"text {text.Id} was removed with its map key; texts cannot be re-created at a removed path");
    }

    private void RecordText(CollectionMeta meta, TextState state, RgaOp op, ulong time)
    {
        state.Dirty = true;
        meta.Dirty = true;
        _actions.Add(new CrdtAction(CrdtActionKind.Text, DeclarationIndex(meta), time, [], RgaText.EncodeOp(op, time)));
    }

    private TextState LoadText(CollectionMeta meta)
    {
        if (_texts.TryGetValue(meta.Id, out var state))
        {
            return state;
        }

        var stateKey = EntryKey(meta.Id, []);
        var bytes = _overlay.TryGetValue(stateKey, out var pending) ? pending : _store.Get(Column.State, stateKey);
        RgaText document;
        try
        {
            document = bytes is null ? new RgaText(_executor) : RgaText.DecodeState(bytes, _executor);
        }
        catch (RgaFormatException ex)
        {
            throw new CrdtException($"corrupt text {meta.Id}: {ex.Message}");
        }

        var waitingKey = TaggedKey(PendingTag, meta.Id);
        var waiting = _overlay.TryGetValue(waitingKey, out var w) ? w : _store.Get(Column.State, waitingKey);
        state = new TextState(document, DecodeWaiting(waiting));
        _texts[meta.Id] = state;
        return state;
    }

    /// <summary>Applies a remote RGA op, then retries waiting ops until none makes progress.</summary>
    private void ApplyTextOp(CollectionMeta meta, RgaOp op)
    {
        var state = LoadText(meta);
        switch (state.Document.Apply(op))
        {
            case RgaApplyResult.Applied:
                break;
            case RgaApplyResult.MissingDependency:
                // Kept with its absolute time: the action it came in is not stored.
                var encoded = RgaText.EncodeOp(op);
                if (!state.Waiting.Any(p => p.AsSpan().SequenceEqual(encoded)))
                {
                    state.Waiting.Add(encoded);
                    state.WaitingDirty = true;
                }

                return;
            default:
                return;
        }

        state.Dirty = true;
        meta.Dirty = true;
        var progress = true;
        while (progress && state.Waiting.Count > 0)
        {
            progress = false;
            for (var i = state.Waiting.Count - 1; i >= 0; i--)
            {
                var result = state.Document.Apply(RgaText.DecodeOp(state.Waiting[i]));
                if (result != RgaApplyResult.MissingDependency)
                {
                    state.Waiting.RemoveAt(i);
                    state.WaitingDirty = true;
                    progress |= result == RgaApplyResult.Applied;
                }
            }
        }
    }

    /// <summary>Encodes changed documents into the overlay and sets their collections' child sums.</summary>
    private void FlushTexts()
    {
        Span<byte> hash = stackalloc byte[32];
        foreach (var (id, state) in _texts)
        {
            if (state.WaitingDirty)
            {
                state.WaitingDirty = false;
                _overlay[TaggedKey(PendingTag, id)] = state.Waiting.Count == 0 ? null : EncodeWaiting(state.Waiting);
            }

            if (!state.Dirty)
            {
                continue;
            }

            state.Dirty = false;
            var encoded = state.Document.EncodeState();
            _overlay[EntryKey(id, [])] = encoded;
            CrdtEntry.LeafHash([], encoded, hash);
            var meta = _metas[id];
            meta.ChildSum = Sum256.Read(hash);
            meta.Dirty = true;
        }
    }

    private static List<byte[]> DecodeWaiting(byte[]? bytes)
    {
        var list = new List<byte[]>();
        if (bytes is null)
        {
            return list;
        }

        var reader = new CrdtWireReader(bytes);
        while (!reader.AtEnd)
        {
            list.Add(reader.Blob());
        }

        return list;
    }

    private static byte[] EncodeWaiting(List<byte[]> waiting)
    {
        var writer = new CrdtWireWriter(64);
        foreach (var op in waiting)
        {
            writer.Blob(op);
        }

        return writer.ToArray();
    }

    private sealed class TextState(RgaText document, List<byte[]> waiting)
    {
        public RgaText Document { get; } = document;

        public List<byte[]> Waiting { get; } = waiting;

        public bool Dirty { get; set; }

        public bool WaitingDirty { get; set; }
    }
}
