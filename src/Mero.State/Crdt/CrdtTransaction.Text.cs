using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Mero.Primitives.Clock;
using Mero.State.Text;
using Mero.Store;

namespace Mero.State.Crdt;

/// <summary>
/// Text collections. Stored as a snapshot (the canonical state encoding, 'e' ‖ id) plus a log of
/// the ops applied since ('o' ‖ id ‖ u32 index) and a version record ('v' ‖ id: random u64 ‖ log
/// length). A commit appends its ops to the log (O(op)) and folds the log into a new snapshot only
/// every <see cref="TextSnapshotEvery"/> ops, so the O(n) encode is amortized. The decoded document
/// stays in a per-store cache between transactions, checked against the version record, so an
/// execute that types one character does O(log n) work instead of decoding the whole text. The
/// collection's child sum is the document's per-character digest (RgaText.Digest.cs), kept up to
/// date per edit. Remote ops whose dependencies have not arrived wait in a pending record outside
/// the hash.
/// </summary>
public sealed partial class CrdtTransaction
{
    internal const byte TextLogTag = (byte)'o';
    internal const byte TextVersionTag = (byte)'v';

    /// <summary>Ops kept in the log before a commit writes a new snapshot.</summary>
    internal const int TextSnapshotEvery = 512;

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
        Mutating(meta.Id, state);
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
        Mutating(meta.Id, state);
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
        state.NewOps.Add(RgaText.EncodeOp(op));
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

        var (version, logLength) = ReadTextVersion(meta.Id);
        var cache = TextCache.For(_store);
        RgaText document;
        var fromCache = false;
        if (cache.TryGetValue((_context, meta.Id), out var hit) && hit.Version == version && hit.Document.Replica == _executor)
        {
            document = hit.Document;
            fromCache = true;
        }
        else
        {
            var bytes = Stored(EntryKey(meta.Id, []));
            try
            {
                document = bytes is null ? new RgaText(_executor) : RgaText.DecodeState(bytes, _executor);
                document.TrackDigest = true;
                for (var i = 0; i < logLength; i++)
                {
                    var op = Stored(TextLogKey(meta.Id, i)) ?? throw new CrdtException($"text {meta.Id} misses log op {i}");
                    document.Apply(RgaText.DecodeOp(op));
                }
            }
            catch (RgaFormatException ex)
            {
                throw new CrdtException($"corrupt text {meta.Id}: {ex.Message}");
            }

            // The replayed ops are in the stored child sum already.
            document.TakeDigestDelta();
        }

        var waiting = Stored(TaggedKey(PendingTag, meta.Id));
        state = new TextState(document, DecodeWaiting(waiting)) { Version = version, LogLength = logLength, FromCache = fromCache };
        _texts[meta.Id] = state;
        return state;
    }

    /// <summary>A cached document is about to change: this transaction owns it until commit.</summary>
    private void Mutating(Hash id, TextState state)
    {
        if (state.FromCache)
        {
            TextCache.For(_store).TryRemove((_context, id), out _);
            state.FromCache = false;
        }
    }

    private byte[]? Stored(byte[] key) => _overlay.TryGetValue(key, out var pending) ? pending : _store.Get(Column.State, key);

    private (ulong Version, int LogLength) ReadTextVersion(Hash id)
    {
        var bytes = Stored(TaggedKey(TextVersionTag, id));
        if (bytes is null)
        {
            return (0, 0);
        }

        return bytes.Length == 12
            ? (BinaryPrimitives.ReadUInt64LittleEndian(bytes), BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8)))
            : throw new CrdtException($"corrupt text version record for {id}");
    }

    private byte[] TextLogKey(Hash id, int index)
    {
        Span<byte> suffix = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(suffix, index);
        return PrefixedKey(TextLogTag, id, suffix);
    }

    /// <summary>Deletes every record of a text (snapshot, log, version, waiting ops) and forgets its cached document.</summary>
    private void DropText(CollectionMeta meta)
    {
        var (_, logLength) = ReadTextVersion(meta.Id);
        if (_texts.TryGetValue(meta.Id, out var state))
        {
            logLength = Math.Max(logLength, state.LogLength);
        }

        for (var i = 0; i < logLength; i++)
        {
            _overlay[TextLogKey(meta.Id, i)] = null;
        }

        _overlay[EntryKey(meta.Id, [])] = null;
        _overlay[TaggedKey(TextVersionTag, meta.Id)] = null;
        _overlay[TaggedKey(PendingTag, meta.Id)] = null;
        TextCache.For(_store).TryRemove((_context, meta.Id), out _);
        _texts.Remove(meta.Id);
        meta.ChildSum = default;
    }

    /// <summary>After commit: the documents this transaction holds go (back) to the cache under their new versions.</summary>
    private void CacheTexts()
    {
        var cache = TextCache.For(_store);
        foreach (var (id, state) in _texts)
        {
            if (!state.FromCache && !state.Dirty)
            {
                cache[(_context, id)] = (state.Version, state.Document);
                state.FromCache = true;
            }
        }

        TextCache.Trim(cache);
    }

    /// <summary>Applies a remote RGA op, then retries waiting ops until none makes progress.</summary>
    private void ApplyTextOp(CollectionMeta meta, RgaOp op)
    {
        var state = LoadText(meta);
        Mutating(meta.Id, state);
        switch (state.Document.Apply(op))
        {
            case RgaApplyResult.Applied:
                state.NewOps.Add(RgaText.EncodeOp(op));
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
                if (result == RgaApplyResult.Applied)
                {
                    state.NewOps.Add(state.Waiting[i]);
                }

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
            var meta = _metas[id];
            state.Document.TakeDigestDelta().Write(hash);
            meta.ChildSum.Add(hash);
            meta.Dirty = true;
            if (state.LogLength + state.NewOps.Count > TextSnapshotEvery)
            {
                // Fold the log into a new snapshot (the amortized O(n) step).
                _overlay[EntryKey(id, [])] = state.Document.EncodeState();
                for (var i = 0; i < state.LogLength; i++)
                {
                    _overlay[TextLogKey(id, i)] = null;
                }

                state.LogLength = 0;
            }
            else
            {
                foreach (var op in state.NewOps)
                {
                    _overlay[TextLogKey(id, state.LogLength++)] = op;
                }
            }

            state.NewOps.Clear();
            state.Version = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
            var record = new byte[12];
            BinaryPrimitives.WriteUInt64LittleEndian(record, state.Version);
            BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(8), state.LogLength);
            _overlay[TaggedKey(TextVersionTag, id)] = record;
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

        /// <summary>Absolute encodings of the ops applied in this transaction, for the log.</summary>
        public List<byte[]> NewOps { get; } = [];

        public ulong Version { get; set; }

        public int LogLength { get; set; }

        /// <summary>The document is the cache's (shared); it must be taken out before it changes.</summary>
        public bool FromCache { get; set; }

        public List<byte[]> Waiting { get; } = waiting;

        public bool Dirty { get; set; }

        public bool WaitingDirty { get; set; }
    }
}

/// <summary>Decoded text documents kept between transactions, per store, keyed by (context, text id).</summary>
internal static class TextCache
{
    private const int MaxDocuments = 256;

    private static readonly ConditionalWeakTable<MeroStore, ConcurrentDictionary<(ContextId, Hash), (ulong Version, RgaText Document)>> Tables = new();

    public static ConcurrentDictionary<(ContextId, Hash), (ulong Version, RgaText Document)> For(MeroStore store) => Tables.GetValue(store, _ => new());

    /// <summary>A crude bound on memory: past the cap the cache starts over.</summary>
    public static void Trim(ConcurrentDictionary<(ContextId, Hash), (ulong Version, RgaText Document)> cache)
    {
        if (cache.Count > MaxDocuments)
        {
            cache.Clear();
        }
    }
}
