using Mero.Primitives;
using Mero.Store;

namespace Mero.Node.Replication;

/// <summary>
/// A context's DAG in <c>Column.Delta</c>, every key prefixed by the context id:
/// <c>o ‖ op id</c> → the plaintext op; <c>c ‖ op id</c> → a checkpoint (an op known only through a
/// snapshot that already contains it); <c>h</c> → the current heads. Written in the same batch as
/// the state the ops produce, so heads and state never disagree after a crash.
/// </summary>
public static class ContextOpLog
{
    private const byte OpTag = (byte)'o';
    private const byte CheckpointTag = (byte)'c';
    private const byte HeadsTag = (byte)'h';

    public static bool Contains(MeroStore store, ContextId context, Hash id) =>
        store.Has(Column.Delta, Key(context, OpTag, id)) || store.Has(Column.Delta, Key(context, CheckpointTag, id));

    public static ContextOp? Get(MeroStore store, ContextId context, Hash id) =>
        store.Get(Column.Delta, Key(context, OpTag, id)) is { } bytes ? ContextOp.Decode(bytes) : null;

    public static void Put(StoreBatch batch, ContextOp op) => batch.Put(Column.Delta, Key(op.ContextId, OpTag, op.Id), op.Encode());

    public static void PutCheckpoint(StoreBatch batch, ContextId context, Hash id) => batch.Put(Column.Delta, Key(context, CheckpointTag, id), []);

    /// <summary>Checkpoints for <paramref name="ids"/> (any order, repeats allowed) into a sorted file for <c>Column.Delta</c>.</summary>
    public static void WriteCheckpoints(StoreSortedFile file, ContextId context, IEnumerable<Hash> ids)
    {
        var keys = ids.Distinct().Select(id => Key(context, CheckpointTag, id)).ToArray();
        Array.Sort(keys, static (a, b) => a.AsSpan().SequenceCompareTo(b));
        foreach (var key in keys)
        {
            file.Add(key, []);
        }
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

    /// <summary>The key range holding the context's checkpoints and ops (and its heads record, which <see cref="TryReadKnownId"/> skips).</summary>
    public static (byte[] From, byte[] To) KnownIdRange(ContextId context)
    {
        var from = new byte[33];
        context.AsSpan().CopyTo(from);
        from[32] = CheckpointTag;
        var to = (byte[])from.Clone();
        to[32] = OpTag + 1;
        return (from, to);
    }

    /// <summary>The op id of an op or checkpoint key; false for any other key of the range.</summary>
    public static bool TryReadKnownId(ReadOnlySpan<byte> key, out Hash id)
    {
        if (key.Length == 65 && key[32] is OpTag or CheckpointTag)
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
        context.AsSpan().CopyTo(key);
        key[32] = tag;
        id.AsSpan().CopyTo(key.AsSpan(33));
        return key;
    }
}
