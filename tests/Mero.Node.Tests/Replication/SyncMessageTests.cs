using Mero.Node.Replication.Wire;
using Mero.Primitives;
using Xunit;

namespace Mero.Node.Tests.Replication;

public class SyncMessageTests
{
    private static Hash H(byte fill) => Hash.FromBytes(Enumerable.Repeat(fill, 32).ToArray());

    private static readonly ContextId Context = ContextId.FromBytes(Enumerable.Repeat((byte)1, 32).ToArray());

    private static readonly PublicKey Party = PublicKey.FromBytes(Enumerable.Repeat((byte)2, 32).ToArray());

    public static TheoryData<SyncRequest> Requests() => new()
    {
        new DagHeadsRequest(Context, Party),
        new DeltasRequest(Context, Party, [H(3), H(4)]),
        new AncestorsRequest(Context, Party, [H(3), H(4)], [H(5)]),
        new AncestorsRequest(Context, Party, [H(3)], []),
        new SnapshotRequest(Context, Party, null, 256 * 1024),
        new SnapshotRequest(Context, Party, [1, 2, 3], 1),
        new GroupKeyRequest(GroupId.FromBytes(Enumerable.Repeat((byte)5, 32).ToArray()), GroupId.FromBytes(Enumerable.Repeat((byte)6, 32).ToArray()), Party, H(7)),
    };

    public static TheoryData<SyncResponse> Responses() => new()
    {
        new DagHeadsResponse([H(1), H(2)], H(3)),
        new DeltasResponse([[1, 2, 3], []], [H(9)]),
        new SnapshotPage([5, 6, 7], 300, [1], H(4), [H(5), H(6)]),
        new SnapshotPage([], 0, null, H(4), []),
        new GroupKeyResponse([1, 2, 3, 4], Party),
        new GroupKeyResponse([], Party),
        new NotMaterialized(),
        new SyncRefused("not a member"),
    };

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
    public void Hostile_limits_are_refused_with_reasons()
    {
        Assert.Contains("variant 200", Assert.Throws<BorshException>(() => SyncRequest.Decode([200])).Message);
        Assert.Contains("variant 200", Assert.Throws<BorshException>(() => SyncResponse.Decode([200])).Message);

        var tooMany = new DeltasRequest(Context, Party, [.. Enumerable.Range(0, SyncProtocol.MaxDeltasPerRequest + 1).Select(i => Hash.FromBytes(BitConverter.GetBytes(i).Concat(new byte[28]).ToArray()))]);
        Assert.Contains("exceeds the limit", Assert.Throws<BorshException>(() => SyncRequest.Decode(tooMany.Encode())).Message);
        var tooManyWanted = new AncestorsRequest(Context, Party, tooMany.DeltaIds, []);
        Assert.Contains("exceeds the limit", Assert.Throws<BorshException>(() => SyncRequest.Decode(tooManyWanted.Encode())).Message);
        var tooManyHaves = new AncestorsRequest(Context, Party, [H(1)], tooMany.DeltaIds.Take(WireLimits.MaxHeads + 1).ToList());
        Assert.Contains("exceeds the limit", Assert.Throws<BorshException>(() => SyncRequest.Decode(tooManyHaves.Encode())).Message);

        Assert.Contains("byte limit 0", Assert.Throws<BorshException>(() => SyncRequest.Decode(new SnapshotRequest(Context, Party, null, 0).Encode())).Message);
        Assert.Contains("outside", Assert.Throws<BorshException>(() => SyncRequest.Decode(new SnapshotRequest(Context, Party, null, SyncProtocol.MaxPageBytes + 1).Encode())).Message);

        var bomb = new SnapshotPage([1], SyncProtocol.MaxDecompressedPageBytes + 1, null, H(1), []);
        Assert.Contains("decompressed", Assert.Throws<BorshException>(() => SyncResponse.Decode(bomb.Encode())).Message);

        var longReason = new SyncRefused(new string('x', SyncProtocol.MaxReasonBytes + 1));
        Assert.Throws<BorshException>(() => SyncResponse.Decode(longReason.Encode()));

        Assert.Contains("exceeds the limit", Assert.Throws<BorshException>(() => SyncRequest.Decode(new byte[SyncProtocol.MaxRequestBytes + 1])).Message);
    }
}
