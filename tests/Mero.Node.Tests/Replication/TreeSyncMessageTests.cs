using Mero.Node.Replication;
using Mero.Node.Replication.Wire;
using Mero.Primitives;
using Mero.Primitives.Clock;
using Mero.State.Crdt;
using Xunit;

namespace Mero.Node.Tests.Replication;

/// <summary>The tree-comparison messages: round trips, every truncation, and hostile sizes and values.</summary>
public class TreeSyncMessageTests
{
    private static readonly ContextId Context = ContextId.FromBytes(Enumerable.Repeat((byte)1, 32).ToArray());

    private static readonly PublicKey Party = PublicKey.FromBytes(Enumerable.Repeat((byte)2, 32).ToArray());

    private static Hash H(byte fill) => Hash.FromBytes(Enumerable.Repeat(fill, 32).ToArray());

    private static readonly CrdtPathStep[] Path = [new(CrdtKind.Map, "users"u8.ToArray()), new(CrdtKind.Vector, "log"u8.ToArray())];

    private static readonly TreeLeafData Leaf = new(Path, new byte[40], new byte[45], new HybridTimestamp(99, Party));

    private static readonly ContextKey Key = new(H(9), Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

    private static readonly CrdtTreeNode Node = new(H(3), CrdtKind.Map, H(4), Path, [new CrdtTreeChild(true, CrdtKind.Set, H(5).AsSpan().ToArray(), H(6)), new CrdtTreeChild(false, CrdtKind.Map, "k"u8.ToArray(), H(7))]);

    private static readonly SyncRequest[] RequestSamples =
    [
        new TreeNodeRequest(Context, Party, default, null, []),
        new TreeNodeRequest(Context, Party, H(3), 1, ["a"u8.ToArray(), []]),
        new EntityPush(Context, Party, TreeLeafSealing.Seal(Context, TreeLeafUse.Push, [Leaf, new TreeLeafData([], "raw"u8.ToArray(), new byte[41], null), new TreeLeafData(Path, null, null, null)], Key)),
    ];

    private static readonly SyncResponse[] ResponseSamples =
    [
        new TreeNodeResponse([Node, Node with { Children = [] }], TreeLeafSealing.Seal(Context, TreeLeafUse.Answer, [Leaf], Key), false),
        new TreeNodeResponse([Node], null, false),
        new TreeNodeResponse([], null, true),
        new EntityPushAck(3, 1),
    ];

    public static TheoryData<SyncRequest> Requests() => [.. RequestSamples];

    public static TheoryData<SyncResponse> Responses() => [.. ResponseSamples];

    [Theory]
    [MemberData(nameof(Requests))]
    public void Requests_round_trip_and_refuse_every_truncation(SyncRequest request)
    {
        var bytes = request.Encode();
        Assert.Equal(bytes, SyncRequest.Decode(bytes).Encode());
        Assert.Equal(request.GetType(), SyncRequest.Decode(bytes).GetType());
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<BorshException>(() => SyncRequest.Decode(bytes.AsSpan(0, length)));
        }

        Assert.Throws<BorshException>(() => SyncRequest.Decode([.. bytes, 7]));
    }

    [Theory]
    [MemberData(nameof(Responses))]
    public void Responses_round_trip_and_refuse_every_truncation(SyncResponse response)
    {
        var bytes = response.Encode();
        Assert.Equal(bytes, SyncResponse.Decode(bytes).Encode());
        Assert.Equal(response.GetType(), SyncResponse.Decode(bytes).GetType());
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<BorshException>(() => SyncResponse.Decode(bytes.AsSpan(0, length)));
        }

        Assert.Throws<BorshException>(() => SyncResponse.Decode([.. bytes, 7]));
    }

    [Fact]
    public void Decoded_values_are_what_was_sent()
    {
        var response = (TreeNodeResponse)SyncResponse.Decode(new TreeNodeResponse([Node], TreeLeafSealing.Seal(Context, TreeLeafUse.Answer, [Leaf], Key), false).Encode());
        var node = Assert.Single(response.Nodes);
        Assert.Equal((H(3), CrdtKind.Map, H(4)), (node.Id, node.Kind, node.Hash));
        Assert.Equal(["users", "log"], node.Path.Select(s => System.Text.Encoding.UTF8.GetString(s.Name)));
        Assert.Equal(H(6), node.Children[0].Hash);
        Assert.True(node.Children[0].IsCollection);
        Assert.Equal("k"u8.ToArray(), node.Children[1].Key);
        var leaf = Assert.Single(TreeLeafSealing.Open(Context, TreeLeafUse.Answer, Assert.IsType<byte[]>(response.SealedLeaves), Key, WireLimits.MaxTreeLeafKeys)).ToLeaf(Context);
        Assert.Equal(new HybridTimestamp(99, Party), leaf.Removed);
        Assert.Equal(Context, leaf.Context);
        Assert.Equal(45, leaf.Record!.Length);
    }

    [Fact]
    public void A_requested_depth_is_clamped_to_sixteen()
    {
        var decoded = (TreeNodeRequest)SyncRequest.Decode(new TreeNodeRequest(Context, Party, default, 200, []).Encode());
        Assert.Equal((byte)WireLimits.MaxTreeRequestDepth, decoded.MaxDepth);
        Assert.Equal(16, WireLimits.MaxTreeRequestDepth);
    }

    [Fact]
    public void Hostile_sizes_and_values_are_refused_with_reasons()
    {
        var tooManyKeys = new TreeNodeRequest(Context, Party, default, null, [.. Enumerable.Repeat(Array.Empty<byte>(), WireLimits.MaxTreeLeafKeys + 1)]);
        Assert.Contains("exceeds the limit", Assert.Throws<BorshException>(() => SyncRequest.Decode(tooManyKeys.Encode())).Message);

        // A long item key is over the general 64 KiB request cap long before it is over its own.
        var longKey = new TreeNodeRequest(Context, Party, default, null, [new byte[CrdtLeaf.MaxItemKeyBytes + 1]]);
        Assert.Throws<BorshException>(() => SyncRequest.Decode(longKey.Encode()));

        // The leaf limits hold inside the sealed blob: an authentic blob over them is refused whole.
        var deepPath = new EntityPush(Context, Party, TreeLeafSealing.Seal(Context, TreeLeafUse.Push, [new TreeLeafData([.. Enumerable.Repeat(Path[0], WireLimits.MaxTreePathSteps + 1)], [], new byte[41], null)], Key));
        var deepDecoded = (EntityPush)SyncRequest.Decode(deepPath.Encode());
        Assert.Contains("exceeds the limit", Assert.Throws<InvalidDataException>(() => TreeLeafSealing.Open(Context, TreeLeafUse.Push, deepDecoded.SealedEntities, Key, WireLimits.MaxEntityPushLeaves)).Message);

        var tooManyLeaves = TreeLeafSealing.Seal(Context, TreeLeafUse.Push, [.. Enumerable.Repeat(new TreeLeafData([], null, null, null), WireLimits.MaxEntityPushLeaves + 1)], Key);
        Assert.Contains("exceeds the limit", Assert.Throws<InvalidDataException>(() => TreeLeafSealing.Open(Context, TreeLeafUse.Push, tooManyLeaves, Key, WireLimits.MaxEntityPushLeaves)).Message);
        var tooManyAnswered = TreeLeafSealing.Seal(Context, TreeLeafUse.Answer, [.. Enumerable.Repeat(new TreeLeafData([], null, null, null), WireLimits.MaxTreeLeafKeys + 1)], Key);
        Assert.Contains("exceeds the limit", Assert.Throws<InvalidDataException>(() => TreeLeafSealing.Open(Context, TreeLeafUse.Answer, tooManyAnswered, Key, WireLimits.MaxTreeLeafKeys)).Message);

        var longRecord = TreeLeafSealing.Seal(Context, TreeLeafUse.Push, [new TreeLeafData([], [], new byte[CrdtLeaf.MaxRecordBytes + 1], null)], Key);
        Assert.Contains("malformed", Assert.Throws<InvalidDataException>(() => TreeLeafSealing.Open(Context, TreeLeafUse.Push, longRecord, Key, WireLimits.MaxEntityPushLeaves)).Message);

        // An entity push may exceed the 64 KiB request cap, up to its own.
        var big = new EntityPush(Context, Party, TreeLeafSealing.Seal(Context, TreeLeafUse.Push, [new TreeLeafData([], [], new byte[1024 * 1024], null)], Key));
        var bigLeaf = Assert.Single(TreeLeafSealing.Open(Context, TreeLeafUse.Push, ((EntityPush)SyncRequest.Decode(big.Encode())).SealedEntities, Key, WireLimits.MaxEntityPushLeaves));
        Assert.Equal(1024 * 1024, bigLeaf.Record!.Length);
        var huge = new byte[WireLimits.MaxEntityPushBytes + 1];
        huge[0] = 9;
        Assert.Contains("exceeds the limit", Assert.Throws<BorshException>(() => SyncRequest.Decode(huge)).Message);
        var notPush = new byte[SyncProtocol.MaxRequestBytes + 1];
        notPush[0] = 8;
        Assert.Contains("exceeds the limit", Assert.Throws<BorshException>(() => SyncRequest.Decode(notPush)).Message);

        var badKind = new TreeNodeResponse([Node with { Kind = (CrdtKind)7 }], [], false);
        Assert.Contains("unknown entity kind 7", Assert.Throws<BorshException>(() => SyncResponse.Decode(badKind.Encode())).Message);

        var badChild = new TreeNodeResponse([Node with { Children = [new CrdtTreeChild(true, CrdtKind.Map, [1, 2, 3], H(1))] }], [], false);
        Assert.Contains("child collection id of 3 bytes", Assert.Throws<BorshException>(() => SyncResponse.Decode(badChild.Encode())).Message);

        var tooManyNodes = new TreeNodeResponse([.. Enumerable.Repeat(Node with { Children = [] }, WireLimits.MaxTreeNodesPerResponse + 1)], [], false);
        Assert.Contains("exceeds the limit", Assert.Throws<BorshException>(() => SyncResponse.Decode(tooManyNodes.Encode())).Message);

        var badFlag = new TreeNodeResponse([], null, true).Encode();
        badFlag[^1] = 2;
        Assert.Throws<BorshException>(() => SyncResponse.Decode(badFlag));
    }

    [Fact]
    public void Random_and_mutated_input_only_ever_fails_as_malformed()
    {
        var random = new Random(7);
        var samples = RequestSamples.Select(r => r.Encode()).ToList();
        var responses = ResponseSamples.Select(r => r.Encode()).ToList();
        for (var i = 0; i < 4000; i++)
        {
            var request = i % 2 == 0;
            var source = request ? samples[random.Next(samples.Count)] : responses[random.Next(responses.Count)];
            var bytes = (byte[])source.Clone();
            if (i % 5 == 0)
            {
                bytes = new byte[random.Next(1, 200)];
                random.NextBytes(bytes);
                bytes[0] = (byte)(8 + random.Next(2));
            }
            else
            {
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }
            }

            try
            {
                _ = request ? SyncRequest.Decode(bytes) : (object)SyncResponse.Decode(bytes);
            }
            catch (BorshException)
            {
            }
        }
    }
}
