using Mero.Node.Contexts;
using Mero.Node.Replication;
using Mero.Node.Replication.Wire;
using Xunit;

namespace Mero.Integration.Tests.Replication;

/// <summary>
/// Snapshots read page by page from a frozen store on the server and ingested as a sorted file on
/// the joiner: small pages, a server that keeps writing, and a hostile server whose pages must
/// leave the joiner exactly as it was.
/// </summary>
public class SnapshotTransferTests
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(30);

    private static readonly ReplicationOptions SmallPages = new()
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        FollowRetryInterval = TimeSpan.FromMilliseconds(100),
        RequestTimeout = TimeSpan.FromSeconds(10),
        SnapshotPageBytes = 4096,
    };

    [Fact]
    public async Task A_snapshot_in_many_small_pages_converges_while_the_server_keeps_writing()
    {
        await using var cluster = new InProcessCluster(2, replication: SmallPages);
        await cluster.StartAsync();
        var (app, context) = await cluster.CreateKvContextAsync(joiners: []);
        for (var i = 0; i < 200; i++)
        {
            await cluster[0].CallAsync(context, "set", $$"""{"key":"k{{i}}","value":"{{new string('v', i)}}"}""");
        }

        var joining = cluster.JoinAsync(1, app, context);
        for (var i = 0; i < 30; i++)
        {
            await cluster[0].CallAsync(context, "set", $$"""{"key":"during-{{i}}","value":"{{i}}"}""");
        }

        await joining;
        Assert.True(await cluster.WaitConvergedAsync(context, Converge), cluster.Describe(context));
        // The stats are recorded just after the install that made the roots equal.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (cluster[1].Replication.LastSnapshot is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        var stats = cluster[1].Replication.LastSnapshot;
        Assert.NotNull(stats);
        Assert.True(stats.Installed);
        Assert.True(stats.PlainBytes > 10 * SmallPages.SnapshotPageBytes, $"only {stats.PlainBytes} bytes: too few pages to test paging");
        Assert.Equal($"\"{new string('v', 199)}\"", await cluster[1].CallAsync(context, "get", """{"key":"k199"}"""));
        Assert.Equal("\"29\"", await cluster[1].CallAsync(context, "get", """{"key":"during-29"}"""));
    }

    [Fact]
    public async Task Pages_read_the_context_as_it_was_when_frozen_whatever_their_size()
    {
        await using var cluster = new InProcessCluster(1);
        await cluster.StartAsync();
        var (_, context) = await cluster.CreateKvContextAsync(joiners: []);
        var node = cluster[0];
        for (var i = 0; i < 40; i++)
        {
            await node.CallAsync(context, "set", $$"""{"key":"k{{i}}","value":"{{new string('x', 100)}}"}""");
        }

        // One record larger than the small page limit must still travel, alone in its page.
        await node.CallAsync(context, "set", $$"""{"key":"big","value":"{{new string('b', 3000)}}"}""");
        var key = (await cluster.Authority.CurrentKeyAsync(context, CancellationToken.None))!;
        var heads = node.Contexts.Heads(context);
        using var small = new SnapshotPager((await node.Contexts.OpenSnapshotAsync(context, CancellationToken.None))!);
        using var large = new SnapshotPager((await node.Contexts.OpenSnapshotAsync(context, CancellationToken.None))!);
        await node.CallAsync(context, "set", """{"key":"later","value":"not in the snapshot"}""");
        using var after = new SnapshotPager((await node.Contexts.OpenSnapshotAsync(context, CancellationToken.None))!);

        Assert.Equal(heads.Order(), small.Source.Heads);
        var (smallRecords, smallIds, pages) = ReadAll(context, small, 1024, key);
        var (largeRecords, largeIds, _) = ReadAll(context, large, 1 << 20, key);
        var (afterRecords, afterIds, _) = ReadAll(context, after, 1 << 20, key);

        Assert.True(pages > 10, $"{pages} pages");
        Assert.Equal(largeRecords, smallRecords);
        Assert.Equal(largeIds, smallIds);
        Assert.Equal(42, smallIds.Count); // genesis + 41 writes, each an op
        var keys = smallRecords.Select(r => r[..r.IndexOf('=', StringComparison.Ordinal)]).ToList();
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
        Assert.Equal(43, afterIds.Count);
        Assert.NotEqual(afterRecords, smallRecords);
    }

    [Theory]
    [InlineData("out of order", "strictly ascending")]
    [InlineData("outside the context", "outside the context")]
    [InlineData("unknown key", "does not hold")]
    [InlineData("records after ids", "after its op ids")]
    [InlineData("ids out of order", "strictly ascending")]
    public async Task A_hostile_snapshot_is_refused_and_leaves_the_joiner_as_it_was(string kind, string reason)
    {
        await using var cluster = new InProcessCluster(2);
        await cluster.StartAsync();
        var (app, context) = await cluster.CreateKvContextAsync(joiners: []);
        await cluster[0].CallAsync(context, "set", """{"key":"k","value":"v"}""");
        var key = (await cluster.Authority.CurrentKeyAsync(context, CancellationToken.None))!;
        var served = 0;
        cluster[0].Transport.SetRequestHandler(SyncProtocol.Id, (_, bytes, _) =>
        {
            SyncResponse response = SyncRequest.Decode(bytes.Span) switch
            {
                DagHeadsRequest => new DagHeadsResponse([Hash.FromBytes(new byte[32].Select((_, i) => (byte)(i + 1)).ToArray())], Hash.FromBytes(new byte[32].Select(_ => (byte)7).ToArray())),
                SnapshotRequest => HostilePage(kind, context, key, Interlocked.Increment(ref served)),
                _ => new SyncRefused("no"),
            };
            return Task.FromResult(response.Encode());
        });

        await cluster.JoinAsync(1, app, context);

        // The refusal is logged after the last page is opened, which may be a while after it was served.
        var refusal = (string line) => line.Contains("sync of", StringComparison.Ordinal) && line.Contains(reason, StringComparison.Ordinal);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((Volatile.Read(ref served) < 2 || !cluster.Log.Any(refusal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(served >= 2, "the joiner never asked for a snapshot");
        var joiner = cluster[1].Contexts;
        Assert.True(joiner.HasEmptyDag(context));
        Assert.Null(cluster[1].Replication.LastSnapshot);
        Assert.Equal("null", await cluster[1].CallAsync(context, "get", """{"key":"k"}"""));
        Assert.Contains(cluster.Log, line => refusal(line));
    }

    private static SnapshotPage HostilePage(string kind, ContextId context, ContextKey key, int request)
    {
        var inside = (byte[] suffix) => (byte[])[.. context.AsSpan(), .. suffix];
        var root = Hash.FromBytes(new byte[32].Select(_ => (byte)7).ToArray());
        var id = Hash.FromBytes(new byte[32].Select((_, i) => (byte)(i + 1)).ToArray());
        SnapshotChunk chunk = kind switch
        {
            "out of order" => new([new(inside([2]), [1]), new(inside([1]), [1])], [id]),
            "outside the context" => new([new(inside([1]), [1]), new([9, 9, 9], [1])], [id]),
            "ids out of order" => new([new(inside([1]), [1])], [Hash.FromBytes(new byte[32].Select(_ => (byte)0xEE).ToArray()), id]),
            "records after ids" => request % 2 == 1
                ? new([new(inside([1]), [1])], [id])
                : new([new(inside([2]), [1])], []),
            _ => new([new(inside([1]), [1])], [id]),
        };
        var sealingKey = kind == "unknown key" ? new ContextKey(Hash.FromBytes(new byte[32].Select(_ => (byte)3).ToArray()), new byte[32]) : key;
        var (payload, length) = SnapshotCodec.Seal(context, chunk, sealingKey);
        // "records after ids" needs a second page: the first carries a cursor.
        var cursor = kind == "records after ids" && request % 2 == 1 ? new byte[20] : null;
        return new SnapshotPage(payload, length, cursor, root, [id]);
    }

    private static (List<string> Records, List<Hash> Ids, int Pages) ReadAll(ContextId context, SnapshotPager pager, int limit, ContextKey key)
    {
        var records = new List<string>();
        var ids = new List<Hash>();
        var pages = 0;
        while (!pager.Done)
        {
            var (payload, length) = pager.Next(limit, key);
            var chunk = SnapshotCodec.Open(context, payload, length, key, SyncProtocol.MaxDecompressedPageBytes);
            Assert.True(length <= limit || chunk.Records.Count + chunk.KnownOps.Count == 1, $"a page of {length} bytes over the {limit} limit");
            records.AddRange(chunk.Records.Select(r => Convert.ToHexString(r.Key) + "=" + Convert.ToHexString(r.Value)));
            ids.AddRange(chunk.KnownOps);
            pages++;
        }

        return (records, ids, pages);
    }
}
