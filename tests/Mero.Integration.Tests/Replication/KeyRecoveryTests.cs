using Mero.Node.Replication;
using Mero.Node.Replication.Wire;
using Mero.Testing;
using Xunit;

namespace Mero.Integration.Tests.Replication;

/// <summary>
/// Key sharing inside the sync stream: a member that lacks the key some data is sealed under asks
/// its sync peer for it, then opens what it could not before.
/// </summary>
public sealed class KeyRecoveryTests
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_joiner_without_the_context_key_recovers_it_from_its_peer_and_installs_the_snapshot()
    {
        await using var cluster = new InProcessCluster(2);
        await cluster.StartAsync();
        var (app, context) = await cluster.CreateKvContextAsync(joiners: []);
        for (var i = 0; i < 50; i++)
        {
            await cluster[0].CallAsync(context, "set", $$"""{"key":"k{{i}}","value":"{{i}}"}""");
        }

        cluster.Authority.Withhold(cluster[1].MemberKey, cluster.Authority.Current.KeyId);
        await cluster.JoinAsync(1, app, context);

        Assert.True(await cluster.WaitConvergedAsync(context, Converge), cluster.Describe(context));
        Assert.Equal(1, cluster[1].Replication.KeysRecovered);
        Assert.True(cluster.Authority.Holds(cluster[1].MemberKey, cluster.Authority.Current.KeyId));

        // The stats are recorded just after the install that made the roots equal.
        for (var waited = 0; cluster[1].Replication.LastSnapshot is null && waited < 500; waited++)
        {
            await Task.Delay(10);
        }

        Assert.True(cluster[1].Replication.LastSnapshot?.Installed);
        Assert.Equal("\"49\"", await cluster[1].CallAsync(context, "get", """{"key":"k49"}"""));
    }

    [Fact]
    public async Task Ops_sealed_under_a_key_a_member_missed_are_opened_once_it_recovers_the_key()
    {
        await using var cluster = new InProcessCluster(3);
        await cluster.StartAsync();
        var (_, context) = await cluster.CreateKvContextAsync();
        await cluster[0].CallAsync(context, "set", """{"key":"before","value":"1"}""");
        Assert.True(await cluster.WaitConvergedAsync(context, Converge), cluster.Describe(context));

        // A rotation whose new key node 2 never received: gossip it cannot open, so it defers them.
        cluster.Authority.Rotate();
        cluster.Authority.Withhold(cluster[2].MemberKey, cluster.Authority.Current.KeyId);
        for (var i = 0; i < 20; i++)
        {
            await cluster[i % 2].CallAsync(context, "set", $$"""{"key":"after-{{i}}","value":"{{i}}"}""");
        }

        Assert.True(await cluster.WaitConvergedAsync(context, Converge), cluster.Describe(context));
        Assert.Equal(1, cluster[2].Replication.KeysRecovered);
        Assert.Equal("\"19\"", await cluster[2].CallAsync(context, "get", """{"key":"after-19"}"""));
        Assert.Equal(0, cluster[0].Replication.KeysRecovered);
    }

    [Fact]
    public async Task A_key_envelope_that_does_not_open_is_ignored_and_the_joiner_stays_empty()
    {
        await using var cluster = new InProcessCluster(2);
        await cluster.StartAsync();
        var (app, context) = await cluster.CreateKvContextAsync(joiners: []);
        await cluster[0].CallAsync(context, "set", """{"key":"k","value":"v"}""");
        cluster.Authority.Withhold(cluster[1].MemberKey, cluster.Authority.Current.KeyId);
        var key = cluster.Authority.Current;
        var asked = 0;
        var head = Hash.FromBytes(Enumerable.Repeat((byte)1, 32).ToArray());
        cluster[0].Transport.SetRequestHandler(SyncProtocol.Id, (_, bytes, _) =>
        {
            SyncResponse response = SyncRequest.Decode(bytes.Span) switch
            {
                DagHeadsRequest => new DagHeadsResponse([head], Hash.FromBytes(Enumerable.Repeat((byte)7, 32).ToArray())),
                SnapshotRequest => Page(context, key, head),
                GroupKeyRequest request => Asked(request),
                _ => new SyncRefused("no"),
            };
            return Task.FromResult(response.Encode());
        });

        // Wrapped for nobody: the right key id, then bytes that open under no key.
        GroupKeyResponse Asked(GroupKeyRequest request)
        {
            Interlocked.Increment(ref asked);
            return new GroupKeyResponse([.. request.KeyId.AsSpan(), .. new byte[48]], request.Requester);
        }

        await cluster.JoinAsync(1, app, context);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (Volatile.Read(ref asked) < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(asked >= 2, "the joiner never asked for the key");
        Assert.Equal(0, cluster[1].Replication.KeysRecovered);
        Assert.False(cluster.Authority.Holds(cluster[1].MemberKey, cluster.Authority.Current.KeyId));
        Assert.True(cluster[1].Contexts.HasEmptyDag(context));
        Assert.Equal("null", await cluster[1].CallAsync(context, "get", """{"key":"k"}"""));
        Assert.Contains(cluster.Log, line => line.Contains("does not open for this node", StringComparison.Ordinal));
    }

    private static SnapshotPage Page(ContextId context, ContextKey key, Hash head)
    {
        var (payload, length) = SnapshotCodec.Seal(context, new SnapshotChunk([new([.. context.AsSpan(), 1], [1])], [head]), key);
        return new SnapshotPage(payload, length, null, Hash.FromBytes(Enumerable.Repeat((byte)7, 32).ToArray()), [head]);
    }
}
