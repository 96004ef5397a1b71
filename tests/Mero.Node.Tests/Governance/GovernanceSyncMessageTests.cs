using Mero.Node.Governance;
using Mero.Primitives;
using Xunit;

namespace Mero.Node.Tests.Governance;

public sealed class GovernanceSyncMessageTests
{
    private static readonly GroupId Ns = GroupId.FromBytes(Enumerable.Repeat((byte)4, 32).ToArray());

    private static Hash H(byte b) => Hash.FromBytes(Enumerable.Repeat(b, 32).ToArray());

    [Fact]
    public void Requests_and_responses_round_trip()
    {
        Assert.Equal(Ns, Assert.IsType<GovernanceHeadsRequest>(GovernanceSyncRequest.Decode(new GovernanceHeadsRequest(Ns).Encode())).NamespaceId);
        var ops = Assert.IsType<GovernanceOpsRequest>(GovernanceSyncRequest.Decode(new GovernanceOpsRequest(Ns, [H(1), H(2)]).Encode()));
        Assert.Equal([H(1), H(2)], ops.Ids);
        Assert.Equal([H(3)], Assert.IsType<GovernanceHeadsResponse>(GovernanceSyncResponse.Decode(new GovernanceHeadsResponse([H(3)]).Encode())).Heads);
        var envelopes = Assert.IsType<GovernanceOpsResponse>(GovernanceSyncResponse.Decode(new GovernanceOpsResponse([[1, 2, 3], []]).Encode())).Envelopes;
        Assert.Equal([1, 2, 3], envelopes[0]);
        Assert.Empty(envelopes[1]);
        Assert.Equal("nope", Assert.IsType<GovernanceSyncError>(GovernanceSyncResponse.Decode(new GovernanceSyncError("nope").Encode())).Reason);
    }

    [Fact]
    public void Malformed_input_is_a_BorshException_with_the_reason()
    {
        var valid = new GovernanceOpsRequest(Ns, [H(1)]).Encode();
        Assert.Contains("trailing", Assert.Throws<BorshException>(() => GovernanceSyncRequest.Decode([.. valid, 0])).Message, StringComparison.OrdinalIgnoreCase);
        Assert.Throws<BorshException>(() => GovernanceSyncRequest.Decode(valid.AsSpan(0, valid.Length - 1)));
        Assert.Contains("unknown", Assert.Throws<BorshException>(() => GovernanceSyncRequest.Decode([7, .. Ns.AsSpan()])).Message, StringComparison.Ordinal);
        Assert.Throws<BorshException>(() => GovernanceSyncRequest.Decode([]));

        // Repeated ids, and more ids than the bound, are refused before any allocation of their size.
        var repeated = new BorshWriter().WriteU8(1).WriteId(Ns).WriteU32(2).WriteId(H(1)).WriteId(H(1)).ToArray();
        Assert.Throws<BorshException>(() => GovernanceSyncRequest.Decode(repeated));
        var tooMany = new BorshWriter().WriteU8(1).WriteId(Ns).WriteU32(GovernanceSyncProtocol.MaxOpsPerRequest + 1).ToArray();
        Assert.Throws<BorshException>(() => GovernanceSyncRequest.Decode(tooMany));
        Assert.Throws<BorshException>(() => GovernanceSyncRequest.Decode(new byte[GovernanceSyncProtocol.MaxRequestBytes + 1]));
        Assert.Throws<ArgumentException>(() => new GovernanceOpsRequest(Ns, [.. Enumerable.Range(0, 257).Select(i => Hash.FromBytes(BitConverter.GetBytes(i).Concat(new byte[28]).ToArray()))]).Encode());

        // An envelope count claiming 2^32-1 entries, or one envelope over the governance op cap, fails fast.
        Assert.Throws<BorshException>(() => GovernanceSyncResponse.Decode(new BorshWriter().WriteU8(1).WriteU32(uint.MaxValue).ToArray()));
        Assert.Throws<BorshException>(() => GovernanceSyncResponse.Decode(new BorshWriter().WriteU8(1).WriteU32(1).WriteU32(Mero.Governance.SignedGroupOp.MaxWireBytes + 1).ToArray()));
        Assert.Throws<BorshException>(() => GovernanceSyncResponse.Decode(new BorshWriter().WriteU8(2).WriteU32(10_000).ToArray()));
    }

    [Fact]
    public void Random_bytes_never_throw_anything_but_BorshException()
    {
        var random = new Random(7);
        var seeds = new[] { new GovernanceOpsRequest(Ns, [H(1), H(2)]).Encode(), new GovernanceOpsResponse([[1, 2, 3]]).Encode(), new GovernanceHeadsResponse([H(5)]).Encode() };
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = (byte[])seeds[i % seeds.Length].Clone();
            // Flip a few bytes or truncate: shapes close to valid reach deeper decoder paths than pure noise.
            for (var k = random.Next(1, 4); k > 0; k--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            var cut = random.Next(2) == 0 ? bytes : bytes[..random.Next(bytes.Length)];
            try
            {
                GovernanceSyncRequest.Decode(cut);
            }
            catch (BorshException)
            {
            }

            try
            {
                GovernanceSyncResponse.Decode(cut);
            }
            catch (BorshException)
            {
            }
        }
    }
}
