using System.Diagnostics;
using Mero.Primitives.Clock;
using Mero.State;
using Mero.State.Crdt;
using Mero.Store;

namespace Mero.Bench;

/// <summary>
/// Delta sizes and per-transaction costs of the CRDT engine on a real RocksDB: a one-character
/// insert into a named text, the same into a text made by js_crdt_text_new, one raw
/// storage_write (kv-store's set) through the CRDT transaction versus the old flat overlay.
/// Prints one JSON line.
/// </summary>
internal static class CrdtDeltaBench
{
    public static int Run(int iterations)
    {
        var path = Path.Combine(Path.GetTempPath(), "mero-crdt-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var store = MeroStore.Open(path);
            var context = ContextId.FromBytes(Enumerable.Repeat((byte)1, 32).ToArray());
            var executor = PublicKey.FromBytes(Enumerable.Repeat((byte)2, 32).ToArray());
            var clock = new HybridLogicalClock(executor);
            CrdtCommit Once(Action<CrdtTransaction> body)
            {
                var t = new CrdtTransaction(store, context, executor, clock);
                body(t);
                using var batch = store.CreateBatch();
                var commit = t.Commit(batch);
                store.Commit(batch);
                return commit;
            }

            var doc = (CrdtTransaction t) => t.Child(CollectionRef.Root, "document"u8, CrdtKind.Text);
            Once(t => t.TextInsert(doc(t), 0, "hello world"));
            var named = Once(t => t.TextInsert(doc(t), 5, "x")).Delta.Encode().Length;
            var created = Once(t => t.TextInsert(t.Create(CrdtKind.Text), 0, "x")).Delta.Encode().Length;
            var kvDelta = Once(t => t.Write("kv:entry:key-1"u8, "value-1"u8)).Delta.Encode().Length;

            var value = "value-of-a-typical-size"u8.ToArray();
            var crdtUs = Time(iterations, i => Once(t => t.Write(System.Text.Encoding.UTF8.GetBytes($"kv:entry:key-{i % 1000}"), value)));
            var flatContext = ContextId.FromBytes(Enumerable.Repeat((byte)3, 32).ToArray());
            var digest = StateDigest.Empty;
            var flatUs = Time(iterations, i =>
            {
                var t = new StateTransaction(store, flatContext, digest);
                t.Write(System.Text.Encoding.UTF8.GetBytes($"kv:entry:key-{i % 1000}"), value);
                using var batch = store.CreateBatch();
                t.WriteTo(batch);
                store.Commit(batch);
                digest = t.Digest;
            });
            // Breakdown: the CRDT transaction work alone (no RocksDB write), then RocksDB alone with the same two records.
            var crdtNoWriteUs = Time(iterations, i =>
            {
                var t = new CrdtTransaction(store, context, executor, clock);
                t.Write(System.Text.Encoding.UTF8.GetBytes($"kv:entry:key-{i % 1000}"), value);
                using var batch = store.CreateBatch();
                t.Commit(batch);
            });
            var record = new byte[41 + value.Length];
            var meta = new byte[74];
            var rocksTwoPutsUs = Time(iterations, i =>
            {
                using var batch = store.CreateBatch();
                batch.Put(Column.State, System.Text.Encoding.UTF8.GetBytes($"zz:kv:entry:key-{i % 1000}"), record);
                batch.Put(Column.State, "zz:meta"u8, meta);
                store.Commit(batch);
            });
            var rocksGetUs = Time(iterations, i => store.Get(Column.State, System.Text.Encoding.UTF8.GetBytes($"zz:kv:entry:key-{i % 1000}")));
            var typeUs = Time(Math.Min(iterations, 2000), i => Once(t => t.TextInsert(doc(t), t.TextLength(doc(t)), "a")));

            Console.WriteLine(
                $"{{\"single_char_delta_bytes\":{named},\"new_text_char_delta_bytes\":{created},\"kv_set_delta_bytes\":{kvDelta}," +
                $"\"kv_set_crdt_us\":{crdtUs:0.0},\"kv_set_crdt_without_rocksdb_write_us\":{crdtNoWriteUs:0.0},\"rocksdb_two_put_batch_us\":{rocksTwoPutsUs:0.0},\"rocksdb_get_us\":{rocksGetUs:0.0},\"kv_set_flat_us\":{flatUs:0.0},\"type_char_us\":{typeUs:0.0},\"ok\":{(named < 128 ? "true" : "false")}}}");
            return named < 128 ? 0 : 1;
        }
        finally
        {
            Directory.Delete(path, recursive: true);
        }
    }

    private static double Time(int iterations, Action<int> body)
    {
        for (var i = 0; i < Math.Min(iterations, 500); i++)
        {
            body(i);
        }

        var watch = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            body(i);
        }

        return watch.Elapsed.TotalMicroseconds / iterations;
    }
}
