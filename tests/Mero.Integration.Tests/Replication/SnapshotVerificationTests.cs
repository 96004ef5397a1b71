using Mero.Node.Replication;
using Mero.Node.Replication.Wire;
using Xunit;

namespace Mero.Integration.Tests.Replication;

/// <summary>
/// The joiner recomputes the root of a received snapshot's state and installs it only if it is
/// the root the server claimed: a member that holds the context key can seal any records, so the
/// key alone proves nothing about them.
/// </summary>
public class SnapshotVerificationTests
{
    [Fact]
    public async Task A_snapshot_with_a_tampered_value_is_refused_and_the_joiner_stays_empty()
    {
        await using var cluster = new InProcessCluster(2);
        await cluster.StartAsync();
        var (app, context) = await cluster.CreateKvContextAsync(joiners: []);
        await cluster[0].CallAsync(context, "set", """{"key":"k","value":"honest-value"}""");
        var served = await ServeOnePageSnapshot(cluster, context, tamper: true);

        await cluster.JoinAsync(1, app, context);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!cluster.Log.Any(IsRefusal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(Volatile.Read(ref served.Count) >= 1, "the joiner never asked for a snapshot");
        Assert.Contains(cluster.Log, line => IsRefusal(line) && line.Contains("do not add up", StringComparison.Ordinal));
        var joiner = cluster[1];
        Assert.True(joiner.Contexts.HasEmptyDag(context));
        Assert.False(joiner.Replication.LastSnapshot?.Installed ?? false);
        Assert.NotEqual(cluster[0].Contexts.Get(context)!.RootHash, joiner.Contexts.Get(context)!.RootHash);
        Assert.Equal("null", await joiner.CallAsync(context, "get", """{"key":"k"}"""));
    }

    [Fact]
    public async Task The_same_snapshot_untampered_verifies_and_installs()
    {
        await using var cluster = new InProcessCluster(2);
        await cluster.StartAsync();
        var (app, context) = await cluster.CreateKvContextAsync(joiners: []);
        await cluster[0].CallAsync(context, "set", """{"key":"k","value":"honest-value"}""");
        await ServeOnePageSnapshot(cluster, context, tamper: false);

        await cluster.JoinAsync(1, app, context);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (cluster[1].Replication.LastSnapshot is not { Installed: true } && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(cluster[1].Replication.LastSnapshot?.Installed, string.Join("\n", cluster.Log.TakeLast(20)));
        Assert.DoesNotContain(cluster.Log, IsRefusal);
        Assert.Equal(cluster[0].Contexts.Get(context)!.RootHash, cluster[1].Contexts.Get(context)!.RootHash);
        Assert.Equal("\"honest-value\"", await cluster[1].CallAsync(context, "get", """{"key":"k"}"""));
    }

    private static bool IsRefusal(string line) => line.Contains("Refused a snapshot", StringComparison.Ordinal);

    /// <summary>
    /// Makes node 0 answer sync with its real heads and root and the whole context as one snapshot
    /// page, resealed with the real key after (optionally) flipping a byte in one entry's value.
    /// </summary>
    private static async Task<Counter> ServeOnePageSnapshot(InProcessCluster cluster, ContextId context, bool tamper)
    {
        var server = cluster[0];
        var key = (await cluster.Authority.CurrentKeyAsync(context, CancellationToken.None))!;
        using var pager = new SnapshotPager((await server.Contexts.OpenSnapshotAsync(context, CancellationToken.None))!);
        var (payload, length) = pager.Next(1 << 20, key);
        Assert.True(pager.Done);
        var chunk = SnapshotCodec.Open(context, payload, length, key, SyncProtocol.MaxDecompressedPageBytes);
        var records = chunk.Records.ToList();
        if (tamper)
        {
            // An entry record ('e' after the context id) with a value past its 41-byte header.
            var index = records.FindIndex(r => r.Key.Length >= 65 && r.Key[32] == (byte)'e' && r.Value.Length > 41);
            Assert.True(index >= 0);
            var value = (byte[])records[index].Value.Clone();
            value[^1] ^= 0x01;
            records[index] = new(records[index].Key, value);
        }

        (payload, length) = SnapshotCodec.Seal(context, new SnapshotChunk(records, chunk.KnownOps), key);
        var page = new SnapshotPage(payload, length, null, pager.Source.RootHash, pager.Source.Heads);
        var counter = new Counter();
        server.Transport.SetRequestHandler(SyncProtocol.Id, (_, bytes, _) =>
        {
            SyncResponse response = SyncRequest.Decode(bytes.Span) switch
            {
                DagHeadsRequest => new DagHeadsResponse(pager.Source.Heads, pager.Source.RootHash),
                SnapshotRequest => Served(counter, page),
                _ => new SyncRefused("no"),
            };
            return Task.FromResult(response.Encode());
        });
        return counter;
    }

    private static SnapshotPage Served(Counter counter, SnapshotPage page)
    {
        Interlocked.Increment(ref counter.Count);
        return page;
    }

    private sealed class Counter
    {
        public int Count;
    }
}
