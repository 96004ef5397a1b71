using Mero.Primitives;
using Mero.Store;

namespace Mero.Node.Replication;

/// <summary>
/// A context's DAG in <c>Column.Delta</c>, every key prefixed by the context id:
/// <c>o ‖ op id</c> → the plaintext op; <c>c ‖ op id</c> → a checkpoint (an op known only through a
/// snapshot that already contains it); <c>i ‖ op id</c> → empty, one per op or checkpoint, so "is it
/// known" is one lookup and listing every known id never reads op bodies; <c>h</c> → the current
/// heads. Written in the same batch as the state the ops produce, so heads and state never
/// disagree after a crash.
/// </summary>
public static class ContextOpLog
{
    private const byte OpTag = (byte)'o';
    private const byte CheckpointTag = (byte)'c';
    private const byte HeadsTag = (byte)'h';
    private const byte IndexTag = (byte)'i';

    /// <summary>Marks a store whose op logs carry the known-id index (stores from before it get it on open).</summary>
    private static readonly byte[] IndexedMarker = "oplog/known-id-index/v1"u8.ToArray();

    public static bool Contains(MeroStore store, ContextId context, Hash id) => store.Has(Column.Delta, Key(context, IndexTag, id));

    public static ContextOp? Get(MeroStore store, ContextId context, Hash id) =>
        store.Get(Column.Delta, Key(context, OpTag, id)) is { } bytes ? ContextOp.Decode(bytes) : null;

    public static void Put(StoreBatch batch, ContextOp op) =>
        batch.Put(Column.Delta, Key(op.ContextId, OpTag, op.Id), op.Encode()).Put(Column.Delta, Key(op.ContextId, IndexTag, op.Id), []);

    public static void PutCheckpoint(StoreBatch batch, ContextId context, Hash id) =>
        batch.Put(Column.Delta, Key(context, CheckpointTag, id), []).Put(Column.Delta, Key(context, IndexTag, id), []);

    /// <summary>Adds the known-id index to op logs written before it existed; a no-op once done.</summary>
    public static void EnsureIndexed(MeroStore store)
    {
        if (store.Has(Column.Meta, IndexedMarker))
        {
            return;
        }

        using var batch = store.CreateBatch();
        using (var range = store.Range(Column.Delta, [], null))
        {
            while (range.MoveNext())
            {
                if (range.Key.Length == 65 && range.Key[32] is OpTag or CheckpointTag)
                {
                    var index = range.Key.ToArray();
                    index[32] = IndexTag;
                    batch.Put(Column.Delta, index, []);
                }
            }
        }

        batch.Put(Column.Meta, IndexedMarker, []);
        store.Commit(batch);
    }

    /// <summary>
    /// Appends the checkpoint of <paramref name="id"/> to two sorted files for <c>Column.Delta</c>,
    /// its checkpoint key to <paramref name="checkpoints"/> and its known-id key to
    /// <paramref name="index"/> (the two tags sort apart, so each file stays ascending as long as
    /// the ids come in ascending order).
    /// </summary>
    public static void AddCheckpoint(StoreSortedFile checkpoints, StoreSortedFile index, ContextId context, Hash id)
    {
        Span<byte> key = stackalloc byte[65];
        WriteKey(key, context, CheckpointTag, id);
        checkpoints.Add(key, []);
        key[32] = IndexTag;
        index.Add(key, []);
    }

    public static IReadOnlyList<Hash> Heads(MeroStore store, ContextId context)
    {
        if (store.Get(Column.Delta, HeadsKey(context)) is not { } bytes)
        {
            return [];
        }

        var reader = new BorshReader(bytes);
        var heads = Wire.BroadcastMessage.ReadHashes(ref reader, int.MaxValue, "heads");
        reader.EnsureEnd();
        return heads;
    }

    public static void PutHeads(StoreBatch batch, ContextId context, IReadOnlyCollection<Hash> heads)
    {
        var writer = new BorshWriter(4 + (32 * heads.Count));
        Wire.BroadcastMessage.WriteHashes(writer, [.. heads.Order()]);
        batch.Put(Column.Delta, HeadsKey(context), writer.ToArray());
    }

    /// <summary>Ids of every op in the context's DAG, stored or checkpointed.</summary>
    public static IReadOnlyList<Hash> KnownIds(MeroStore store, ContextId context)
    {
        var ids = new List<Hash>();
        var (from, to) = KnownIdRange(context);
        using var range = store.Range(Column.Delta, from, to);
        while (range.MoveNext())
        {
            if (TryReadKnownId(range.Key, out var id))
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    /// <summary>The key range of the context's known-id index.</summary>
    public static (byte[] From, byte[] To) KnownIdRange(ContextId context)
    {
        var from = new byte[33];
        context.AsSpan().CopyTo(from);
        from[32] = IndexTag;
        var to = (byte[])from.Clone();
        to[32] = IndexTag + 1;
        return (from, to);
    }

    /// <summary>The op id of a known-id index key; false for any other key.</summary>
    public static bool TryReadKnownId(ReadOnlySpan<byte> key, out Hash id)
    {
        if (key.Length == 65 && key[32] == IndexTag)
        {
            id = Hash.FromBytes(key[33..]);
            return true;
        }

        id = default;
        return false;
    }

    /// <summary>Every record of the context, for deletion.</summary>
    public static IEnumerable<byte[]> Keys(MeroStore store, ContextId context) =>
        store.ScanKeys(Column.Delta, context.ToArray());

    private static byte[] HeadsKey(ContextId context)
    {
        var key = new byte[33];
        context.AsSpan().CopyTo(key);
        key[32] = HeadsTag;
        return key;
    }

    private static byte[] Key(ContextId context, byte tag, Hash id)
    {
        var key = new byte[65];
        WriteKey(key, context, tag, id);
        return key;
    }

    private static void WriteKey(Span<byte> key, ContextId context, byte tag, Hash id)
    {
        context.AsSpan().CopyTo(key);
        key[32] = tag;
        id.AsSpan().CopyTo(key[33..]);
    }
}
