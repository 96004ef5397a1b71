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
        foreach (var tag in new[] { OpTag, CheckpointTag })
        {
            var prefix = new byte[33];
            context.AsSpan().CopyTo(prefix);
            prefix[32] = tag;
            foreach (var key in store.ScanKeys(Column.Delta, prefix))
            {
                ids.Add(Hash.FromBytes(key.AsSpan(33)));
            }
        }

        return ids;
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
