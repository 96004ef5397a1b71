using Mero.Crypto;
using Mero.Node.Replication;
using Mero.Node.Replication.Wire;
using Mero.Primitives;
using Mero.Primitives.Clock;
using Mero.State.Crdt;
using Xunit;

namespace Mero.Node.Tests.Replication;

/// <summary>Tree-sync leaves sealed under the context key: round trips, and every way a blob can be refused.</summary>
public class TreeLeafSealingTests
{
    private static readonly ContextId Context = ContextId.FromBytes(Enumerable.Repeat((byte)1, 32).ToArray());

    private static readonly ContextKey Key = new(Hash.FromBytes(Enumerable.Repeat((byte)9, 32).ToArray()), Enumerable.Repeat((byte)4, 32).ToArray());

    private static readonly PublicKey Writer = PublicKey.FromBytes(Enumerable.Repeat((byte)2, 32).ToArray());

    private static readonly TreeLeafData[] Leaves =
    [
        new([new(CrdtKind.Map, "users"u8.ToArray())], "alice"u8.ToArray(), "secret balance 1000"u8.ToArray(), new HybridTimestamp(77, Writer)),
        new([], "k"u8.ToArray(), [], null),
        new([new(CrdtKind.Vector, "log"u8.ToArray())], null, null, null),
    ];

    [Theory]
    [InlineData(TreeLeafUse.Answer)]
    [InlineData(TreeLeafUse.Push)]
    public void Leaves_open_to_what_was_sealed_and_the_plaintext_is_not_on_the_wire(TreeLeafUse use)
    {
        var sealedLeaves = TreeLeafSealing.Seal(Context, use, Leaves, Key);
        var opened = TreeLeafSealing.Open(Context, use, sealedLeaves, Key, 16);

        Assert.Equal(3, opened.Count);
        for (var i = 0; i < Leaves.Length; i++)
        {
            Assert.Equal(Leaves[i].Path.Select(s => (s.Kind, Convert.ToHexString(s.Name))), opened[i].Path.Select(s => (s.Kind, Convert.ToHexString(s.Name))));
            Assert.Equal(Leaves[i].ItemKey, opened[i].ItemKey);
            Assert.Equal(Leaves[i].Record, opened[i].Record);
            Assert.Equal(Leaves[i].Removed, opened[i].Removed);
        }

        Assert.Equal(Key.KeyId, TreeLeafSealing.KeyIdOf(sealedLeaves));
        Assert.Equal(-1, sealedLeaves.AsSpan().IndexOf("secret balance"u8));
        Assert.Equal(-1, sealedLeaves.AsSpan().IndexOf("alice"u8));

        // A fresh nonce each time: the same leaves never seal to the same bytes.
        Assert.NotEqual(sealedLeaves, TreeLeafSealing.Seal(Context, use, Leaves, Key));
    }

    [Fact]
    public void No_leaves_seal_and_open_as_an_empty_list()
    {
        var sealedLeaves = TreeLeafSealing.Seal(Context, TreeLeafUse.Answer, [], Key);
        Assert.Equal(TreeLeafSealing.Overhead + 4, sealedLeaves.Length);
        Assert.Empty(TreeLeafSealing.Open(Context, TreeLeafUse.Answer, sealedLeaves, Key, 16));
    }

    [Fact]
    public void Every_flipped_byte_is_refused()
    {
        var sealedLeaves = TreeLeafSealing.Seal(Context, TreeLeafUse.Push, Leaves, Key);
        for (var i = 0; i < sealedLeaves.Length; i++)
        {
            var tampered = (byte[])sealedLeaves.Clone();
            tampered[i] ^= 0x01;
            var error = Assert.Throws<InvalidDataException>(() => TreeLeafSealing.Open(Context, TreeLeafUse.Push, tampered, Key, 16));

            // Under 32 the key id changes, so it names another key; past it the AEAD tag fails.
            Assert.Contains(i < 32 ? "not sealed under this context key" : "do not open", error.Message, StringComparison.Ordinal);
        }

        Assert.Throws<InvalidDataException>(() => TreeLeafSealing.Open(Context, TreeLeafUse.Push, sealedLeaves.AsSpan(0, sealedLeaves.Length - 1), Key, 16));
        Assert.Throws<InvalidDataException>(() => TreeLeafSealing.Open(Context, TreeLeafUse.Push, sealedLeaves.AsSpan(0, TreeLeafSealing.Overhead - 1), Key, 16));
        Assert.Throws<InvalidDataException>(() => TreeLeafSealing.KeyIdOf(new byte[31]));
    }

    [Fact]
    public void A_blob_for_another_context_or_the_other_use_is_refused()
    {
        var other = ContextId.FromBytes(Enumerable.Repeat((byte)3, 32).ToArray());
        var sealedLeaves = TreeLeafSealing.Seal(Context, TreeLeafUse.Answer, Leaves, Key);

        Assert.Contains("do not open", Assert.Throws<InvalidDataException>(() => TreeLeafSealing.Open(other, TreeLeafUse.Answer, sealedLeaves, Key, 16)).Message, StringComparison.Ordinal);

        // An answer a member received cannot be replayed as its push (nor the reverse).
        Assert.Throws<InvalidDataException>(() => TreeLeafSealing.Open(Context, TreeLeafUse.Push, sealedLeaves, Key, 16));
        Assert.Throws<InvalidDataException>(() => TreeLeafSealing.Open(Context, TreeLeafUse.Answer, TreeLeafSealing.Seal(Context, TreeLeafUse.Push, Leaves, Key), Key, 16));
    }

    [Fact]
    public void A_blob_under_another_key_is_refused()
    {
        var sealedLeaves = TreeLeafSealing.Seal(Context, TreeLeafUse.Push, Leaves, Key);

        // Another key: the id does not match.
        var rotated = new ContextKey(Hash.FromBytes(Enumerable.Repeat((byte)8, 32).ToArray()), Enumerable.Repeat((byte)5, 32).ToArray());
        Assert.Contains("not sealed under this context key", Assert.Throws<InvalidDataException>(() => TreeLeafSealing.Open(Context, TreeLeafUse.Push, sealedLeaves, rotated, 16)).Message, StringComparison.Ordinal);

        // The right id with other key bytes (a forged key id): the AEAD refuses.
        var forged = Key with { Key = Enumerable.Repeat((byte)5, 32).ToArray() };
        Assert.Contains("do not open", Assert.Throws<InvalidDataException>(() => TreeLeafSealing.Open(Context, TreeLeafUse.Push, sealedLeaves, forged, 16)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plaintext_leaves_and_snapshot_pages_are_not_accepted_as_sealed_leaves()
    {
        // The old wire form: borsh leaves in clear (one: no path, key "k", record "secret", no
        // watermark), prefixed with the key id so it looks right.
        var plain = new BorshWriter();
        plain.WriteU32(1).WriteU32(0).WriteU8(1).WriteBytes("k"u8).WriteU8(1).WriteBytes("secret"u8).WriteU8(0);
        byte[] fake = [.. Key.KeyId.AsSpan(), .. new byte[Aead.NonceLength], .. plain.WrittenSpan];
        Assert.Contains("do not open", Assert.Throws<InvalidDataException>(() => TreeLeafSealing.Open(Context, TreeLeafUse.Push, fake, Key, 16)).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => TreeLeafSealing.Open(Context, TreeLeafUse.Push, plain.WrittenSpan, Key, 16));

        // A snapshot page, same key, same framing: its associated data has another tag.
        var (page, _) = SnapshotCodec.Seal(Context, new SnapshotChunk([], []), Key);
        Assert.Contains("do not open", Assert.Throws<InvalidDataException>(() => TreeLeafSealing.Open(Context, TreeLeafUse.Push, page, Key, 16)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_authentic_blob_over_the_leaf_count_or_with_trailing_bytes_is_refused()
    {
        var sealedLeaves = TreeLeafSealing.Seal(Context, TreeLeafUse.Push, Leaves, Key);
        Assert.Contains("exceeds the limit", Assert.Throws<InvalidDataException>(() => TreeLeafSealing.Open(Context, TreeLeafUse.Push, sealedLeaves, Key, 2)).Message, StringComparison.Ordinal);
        Assert.Equal(3, TreeLeafSealing.Open(Context, TreeLeafUse.Push, sealedLeaves, Key, 3).Count);

        // A member sealing garbage: authentic, but not leaves.
        var nonce = new byte[Aead.NonceLength];
        var associated = (byte[])[.. "mero/tree-leaves/v1"u8, (byte)TreeLeafUse.Push, .. Context.AsSpan(), .. Key.KeyId.AsSpan()];
        byte[] garbage = [.. Key.KeyId.AsSpan(), .. nonce, .. Aead.Encrypt(Key.Key, nonce, [0, 0, 0, 0, 7], associated)];
        Assert.Contains("malformed", Assert.Throws<InvalidDataException>(() => TreeLeafSealing.Open(Context, TreeLeafUse.Push, garbage, Key, 16)).Message, StringComparison.Ordinal);
    }
}
