using System.Diagnostics;
using Mero.Primitives.Clock;
using Mero.State.Crdt;
using Mero.Store;

namespace Mero.Bench;

/// <summary>
/// One execute-sized CRDT transaction (open, insert one character at a random index, commit to
/// RocksDB) on a text of --chars characters: µs per call, p50 and mean. Prints one JSON line.
/// </summary>
internal static class CrdtTextBench
{
    public static int Run(int chars, int iterations)
    {
        var path = Path.Combine(Path.GetTempPath(), "mero-crdt-text-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var store = MeroStore.Open(path);
            var context = ContextId.FromBytes(Enumerable.Repeat((byte)1, 32).ToArray());
            var executor = PublicKey.FromBytes(Enumerable.Repeat((byte)2, 32).ToArray());
            var clock = new HybridLogicalClock(executor);
            var doc = (CrdtTransaction t) => t.Child(CollectionRef.Root, "document"u8, CrdtKind.Text);
            void Once(Action<CrdtTransaction> body)
            {
                var t = new CrdtTransaction(store, context, executor, clock);
                body(t);
                using var batch = store.CreateBatch();
                t.Commit(batch);
                store.Commit(batch);
            }

            // Build the text in 1,000-char pieces so it has realistic runs.
            for (var n = 0; n < chars; n += 1000)
            {
                Once(t => t.TextInsert(doc(t), t.TextLength(doc(t)), new string('x', Math.Min(1000, chars - n))));
            }

            var random = new Random(1);
            var samples = new double[iterations];
            for (var i = -50; i < iterations; i++)
            {
                var watch = Stopwatch.StartNew();
                Once(t => t.TextInsert(doc(t), random.Next(chars), "a"));
                if (i >= 0)
                {
                    samples[i] = watch.Elapsed.TotalMicroseconds;
                }
            }

            Array.Sort(samples);
            Console.WriteLine($"{{\"chars\":{chars},\"iterations\":{iterations},\"insert_char_p50_us\":{samples[iterations / 2]:0.0},\"insert_char_mean_us\":{samples.Average():0.0},\"insert_char_p99_us\":{samples[iterations * 99 / 100]:0.0}}}");
            return 0;
        }
        finally
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
