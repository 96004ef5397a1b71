using Xunit;
using Mero.Node.Replication.Wire;
using Mero.Primitives;
using Mero.Primitives.Clock;

namespace Mero.Node.Tests.Replication;

public class BroadcastMessageTests
{
    private static readonly Random Seeded = new(7);


    private static Hash H(byte fill) => Hash.FromBytes(Enumerable.Repeat(fill, 32).ToArray());

    private static StateDelta SampleDelta(IReadOnlyList<Hash>? governance = null) => new(
        ContextId.FromBytes(Enumerable.Repeat((byte)1, 32).ToArray()),
        PublicKey.FromBytes(Enumerable.Repeat((byte)2, 32).ToArray()),
        H(3),
        [H(4), H(5)],
        new HybridTimestamp(HybridTimestamp.Pack(1_750_000_000_123, 7), PublicKey.FromBytes(Enumerable.Repeat((byte)2, 32).ToArray())),
        [9, 8, 7, 6, 5],
        Enumerable.Range(0, WireLimits.NonceLength).Select(i => (byte)i).ToArray(),
        governance,
        H(10),
        Enumerable.Repeat((byte)0xAB, WireLimits.SignatureLength).ToArray());

    public static TheoryData<BroadcastMessage> Samples() => new()
    {
        SampleDelta(),
        SampleDelta(governance: [H(11)]),
        new HashHeartbeat(ContextId.FromBytes(Enumerable.Repeat((byte)1, 32).ToArray()), H(2), [H(3), H(4), H(5)]),
        new NamespaceGovernanceDelta(GroupId.FromBytes(Enumerable.Repeat((byte)1, 32).ToArray()), H(2), [H(3)], [1, 2, 3, 4]),
        new NamespaceStateHeartbeat(GroupId.FromBytes(Enumerable.Repeat((byte)1, 32).ToArray()), []),
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_variant_round_trips_byte_for_byte(BroadcastMessage message)
    {
        var bytes = message.Encode();
        var decoded = BroadcastMessage.Decode(bytes);
        Assert.Equal(message.GetType(), decoded.GetType());
        Assert.Equal(bytes, decoded.Encode());
    }

    [Fact]
    public void A_state_delta_keeps_every_field()
    {
        var original = SampleDelta(governance: [H(12), H(13)]);
        var decoded = Assert.IsType<StateDelta>(BroadcastMessage.Decode(original.Encode()));
        Assert.Equal(original.ContextId, decoded.ContextId);
        Assert.Equal(original.AuthorId, decoded.AuthorId);
        Assert.Equal(original.DeltaId, decoded.DeltaId);
        Assert.Equal(original.ParentIds, decoded.ParentIds);
        Assert.Equal(original.Hlc, decoded.Hlc);
        Assert.Equal(original.Artifact, decoded.Artifact);
        Assert.Equal(original.Nonce, decoded.Nonce);
        Assert.Equal(original.GovernanceHeads, decoded.GovernanceHeads);
        Assert.Equal(original.KeyId, decoded.KeyId);
        Assert.Equal(original.Signature, decoded.Signature);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_truncation_and_a_trailing_byte_are_refused(BroadcastMessage message)
    {
        var bytes = message.Encode();
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<BorshException>(() => BroadcastMessage.Decode(bytes.AsSpan(0, length)));
        }

        var trailing = Assert.Throws<BorshException>(() => BroadcastMessage.Decode([.. bytes, 0]));
        Assert.Contains("trailing", trailing.Message);
    }

    [Fact]
    public void Unknown_variants_oversized_counts_and_repeated_parents_are_refused_with_reasons()
    {
        Assert.Contains("unknown broadcast variant 9", Assert.Throws<BorshException>(() => BroadcastMessage.Decode([9])).Message);

        var tooManyHeads = new HashHeartbeat(ContextId.FromBytes(new byte[32]), H(1), [.. Enumerable.Range(0, WireLimits.MaxHeads + 1).Select(i => H((byte)i))]);
        Assert.Contains("exceeds the limit of 100", Assert.Throws<BorshException>(() => BroadcastMessage.Decode(tooManyHeads.Encode())).Message);

        var repeated = new HashHeartbeat(ContextId.FromBytes(new byte[32]), H(1), [H(2), H(2)]);
        Assert.Contains("repeat", Assert.Throws<BorshException>(() => BroadcastMessage.Decode(repeated.Encode())).Message);

        // A count that claims more elements than the bytes could hold fails before allocating.
        var lying = new HashHeartbeat(ContextId.FromBytes(new byte[32]), H(1), []).Encode();
        BitConverter.TryWriteBytes(lying.AsSpan(lying.Length - 4), 50);
        Assert.Contains("does not fit", Assert.Throws<BorshException>(() => BroadcastMessage.Decode(lying)).Message);

        var huge = new byte[WireLimits.MaxBroadcastBytes + 1];
        Assert.Contains("exceeds the limit", Assert.Throws<BorshException>(() => BroadcastMessage.Decode(huge)).Message);
    }

    [Fact]
    public void Random_bytes_and_bit_flips_only_ever_fail_with_a_borsh_error()
    {
        var valid = SampleDelta(governance: [H(1)]).Encode();
        for (var i = 0; i < 5_000; i++)
        {
            var bytes = i % 2 == 0 ? RandomBytes(Seeded.Next(0, 400)) : Flip(valid);
            try
            {
                var decoded = BroadcastMessage.Decode(bytes);
                Assert.Equal(bytes, decoded.Encode());
            }
            catch (BorshException)
            {
            }
        }
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Seeded.NextBytes(bytes);
        if (length > 0)
        {
            bytes[0] = (byte)Seeded.Next(0, 5);
        }

        return bytes;
    }

    private static byte[] Flip(byte[] valid)
    {
        var copy = valid.ToArray();
        copy[Seeded.Next(copy.Length)] ^= (byte)(1 << Seeded.Next(8));
        return copy;
    }
}
