using System.Diagnostics;
using Mero.Crypto;
using Mero.Governance;
using Mero.Store;

namespace Mero.Bench;

/// <summary>
/// Governance apply throughput: an author signs N ops (member adds, aliases, contexts, capability
/// changes, all sealed under the group key); a replica's actor ingests them through the full
/// pipeline (decode, verify, open, authorize at the cut, fold, RocksDB batch with group commit).
/// Bare Ed25519 verification of the same envelopes runs in the same process for comparison, and
/// the replica's reload of the whole op log is timed. Prints one JSON line.
/// </summary>
internal static class GovApply
{
    public static async Task<int> Run(int ops)
    {
        var root = Path.Combine(Path.GetTempPath(), "mero-gov-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            var ns = GroupId.FromBytes(Enumerable.Repeat((byte)42, 32).ToArray());
            var replicaIdentity = NamespaceIdentity.Generate();
            var authorWatch = Stopwatch.StartNew();
            var envelopes = Author(Path.Combine(root, "author"), ns, replicaIdentity, ops);
            Console.Error.WriteLine($"authored {envelopes.Count} ops in {authorWatch.Elapsed.TotalSeconds:F1} s");

            var verifyPerSecond = MeasureVerify(envelopes);
            if (Environment.GetEnvironmentVariable("GOV_PROFILE") == "1")
            {
                Profile(Path.Combine(root, "profile"), ns, replicaIdentity, envelopes);
            }

            var replicaDir = Path.Combine(root, "replica");
            double applyPerSecond;
            using (var store = MeroStore.Open(replicaDir))
            {
                await using var actor = new GovernanceActor(store);
                await actor.OpenNamespaceAsync(ns, replicaIdentity);
                var watch = Stopwatch.StartNew();
                var inFlight = new List<Task<(ApplyResult Result, IReadOnlyList<SignedGroupOp> Published)>>(envelopes.Count);
                foreach (var envelope in envelopes)
                {
                    inFlight.Add(actor.ReceiveAsync(envelope.Wire));
                }

                var results = await Task.WhenAll(inFlight);
                watch.Stop();
                var applied = await actor.QueryAsync(ns, e => e.AppliedCount);
                if (applied != envelopes.Count || results.Any(r => r.Result.Status == ApplyStatus.Rejected))
                {
                    Console.Error.WriteLine($"only {applied} of {envelopes.Count} ops applied");
                    return 1;
                }

                applyPerSecond = envelopes.Count / watch.Elapsed.TotalSeconds;
            }

            double reloadMs;
            int reloaded;
            using (var store = MeroStore.Open(replicaDir))
            {
                var watch = Stopwatch.StartNew();
                var engine = GovernanceEngine.Open(store, ns);
                watch.Stop();
                reloadMs = watch.Elapsed.TotalMilliseconds;
                reloaded = engine.AppliedCount;
            }

            Console.WriteLine(
                $"{{\"ops\":{envelopes.Count},\"apply_per_s\":{applyPerSecond:F0},\"verify_per_s\":{verifyPerSecond:F0},"
                + $"\"apply_over_verify\":{applyPerSecond / verifyPerSecond:F2},\"reload_ops\":{reloaded},\"reload_ms\":{reloadMs:F0}}}");
            return 0;
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // Temp data; leave it if the OS still holds a file.
            }
        }
    }

    /// <summary>The author's signed ops, genesis first, including the replica's admission and key delivery.</summary>
    private static List<SignedGroupOp> Author(string dir, GroupId ns, NamespaceIdentity replica, int ops)
    {
        using var store = MeroStore.Open(dir);
        var engine = GovernanceEngine.Open(store, ns);
        var envelopes = new List<SignedGroupOp>(ops);
        var batch = store.CreateBatch();
        void Issue(GroupOp op)
        {
            var (envelope, result) = engine.Issue(op, batch);
            if (result.Status != ApplyStatus.Applied)
            {
                throw new InvalidOperationException($"author could not issue {op.GetType().Name}: {result.Rejection}");
            }

            envelopes.Add(envelope!);
            if (batch.Count > 5000)
            {
                store.Commit(batch);
                batch.Dispose();
                batch = store.CreateBatch();
            }
        }

        engine.CreateNamespace(ApplicationId.FromBytes(new byte[32]), batch);
        envelopes.AddRange(engine.AppliedOps);
        Issue(new AddMemberOp(ns, replica.PublicKey, GroupRole.ReadOnly, replica.Agreement.PublicKey));
        foreach (var delivery in engine.KeyDeliveriesFor(ns, replica.PublicKey).ToList())
        {
            Issue(delivery);
        }

        var random = new Random(7);
        using var memberKey = X25519KeyPair.Generate();
        var members = new List<PublicKey>();
        for (var i = envelopes.Count; i < ops; i++)
        {
            var id = new byte[32];
            random.NextBytes(id);
            switch (i % 4)
            {
                case 0:
                case 1:
                    var member = PublicKey.FromBytes(id);
                    members.Add(member);
                    Issue(new AddMemberOp(ns, member, GroupRole.Member, memberKey.PublicKey));
                    break;
                case 2:
                    Issue(new RegisterContextOp(ns, ContextId.FromBytes(id)));
                    break;
                default:
                    Issue(members.Count > 0 && i % 8 == 3
                        ? new SetCapabilitiesOp(ns, members[random.Next(members.Count)], (Capabilities)random.Next(512))
                        : new SetGroupAliasOp(ns, $"alias-{i}"));
                    break;
            }
        }

        store.Commit(batch);
        batch.Dispose();
        return envelopes;
    }

    private static void Profile(string dir, GroupId ns, NamespaceIdentity identity, List<SignedGroupOp> envelopes)
    {
        var wires = envelopes.Select(e => e.Wire).ToList();
        var w = Stopwatch.StartNew();
        var decoded = wires.Select(SignedGroupOp.Decode).ToList();
        Console.Error.WriteLine($"decode {w.Elapsed.TotalMicroseconds / wires.Count:F1} us/op");
        decoded.ForEach(d => d.VerifySignature());
        using var store = MeroStore.Open(dir);
        var engine = GovernanceEngine.Open(store, ns, identity);
        w.Restart();
        var batch = store.CreateBatch();
        for (var i = 0; i < decoded.Count; i++)
        {
            engine.Receive(decoded[i], batch);
            if (i % 512 == 511)
            {
                store.Commit(batch);
                batch.Dispose();
                batch = store.CreateBatch();
            }
        }

        Console.Error.WriteLine($"engine apply (pre-verified, with commits) {w.Elapsed.TotalMicroseconds / wires.Count:F1} us/op, applied {engine.AppliedCount}");
        store.Commit(batch);
        batch.Dispose();
    }

    private static double MeasureVerify(List<SignedGroupOp> envelopes)
    {
        var watch = Stopwatch.StartNew();
        var valid = 0;
        foreach (var envelope in envelopes)
        {
            valid += Ed25519KeyPair.Verify(envelope.Signer, envelope.SignableBytes, envelope.Signature) ? 1 : 0;
        }

        watch.Stop();
        return valid == envelopes.Count ? envelopes.Count / watch.Elapsed.TotalSeconds : throw new InvalidOperationException("a signature failed to verify");
    }
}
