using Mero.Crypto;
using Mero.Node.Replication;
using Mero.Primitives;
using Xunit;

namespace Mero.Node.Tests.Replication;

/// <summary>Sealed, compressed snapshot pages: round trips, and every way a page can lie.</summary>
public class SnapshotCodecTests
{
    private static readonly ContextId Context = ContextId.FromBytes(Enumerable.Repeat((byte)1, 32).ToArray());

    private static readonly ContextKey Key = new(Hash.FromBytes(Enumerable.Repeat((byte)9, 32).ToArray()), Enumerable.Repeat((byte)4, 32).ToArray());

    private static readonly SnapshotChunk Chunk = new(
        [new([.. Context.AsSpan(), 1], "first value, compressible compressible compressible"u8.ToArray()), new([.. Context.AsSpan(), 2], [])],
        [Hash.FromBytes(Enumerable.Repeat((byte)7, 32).ToArray())]);

    [Fact]
    public void A_page_opens_to_the_records_and_ids_it_was_sealed_with()
    {
        var (payload, length) = SnapshotCodec.Seal(Context, Chunk, Key);
        var opened = SnapshotCodec.Open(Context, payload, length, Key, 1 << 20);

        Assert.Equal(Chunk.Records.Select(r => (Hex(r.Key), Hex(r.Value))), opened.Records.Select(r => (Hex(r.Key), Hex(r.Value))));
        Assert.Equal(Chunk.KnownOps, opened.KnownOps);
        Assert.Equal(SnapshotCodec.KeyIdOf(payload), Key.KeyId);
    }

    [Fact]
    public void Pre_encoded_records_seal_to_the_same_plaintext_as_a_chunk()
    {
        var records = new BorshWriter();
        foreach (var (key, value) in Chunk.Records)
        {
            records.WriteBytes(key).WriteBytes(value);
        }

        var (payload, length) = SnapshotCodec.Seal(Context, Chunk.Records.Count, records.WrittenSpan, Chunk.KnownOps, Key);
        var opened = SnapshotCodec.Open(Context, payload, length, Key, 1 << 20);
        Assert.Equal(SnapshotCodec.Seal(Context, Chunk, Key).UncompressedLength, length);
        Assert.Equal(2, opened.Records.Count);
        Assert.Equal(Chunk.KnownOps, opened.KnownOps);
    }

    [Theory]
    [InlineData(1, "declared length")]
    [InlineData(-1, "declared length")]
    public void A_page_whose_declared_length_lies_is_refused(int delta, string reason)
    {
        var (payload, length) = SnapshotCodec.Seal(Context, Chunk, Key);
        var error = Assert.Throws<InvalidDataException>(() => SnapshotCodec.Open(Context, payload, (uint)(length + delta), Key, 1 << 20));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_page_over_the_limit_is_refused_before_anything_is_allocated()
    {
        var (payload, _) = SnapshotCodec.Seal(Context, Chunk, Key);
        Assert.Contains("exceeds", Assert.Throws<InvalidDataException>(() => SnapshotCodec.Open(Context, payload, uint.MaxValue, Key, 1 << 20)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tampered_page_another_context_or_another_key_does_not_open()
    {
        var (payload, length) = SnapshotCodec.Seal(Context, Chunk, Key);
        var tampered = (byte[])payload.Clone();
        tampered[^1] ^= 1;
        var other = ContextId.FromBytes(Enumerable.Repeat((byte)2, 32).ToArray());
        var otherKey = new ContextKey(Hash.FromBytes(Enumerable.Repeat((byte)8, 32).ToArray()), Key.Key);

        Assert.Contains("does not open", Assert.Throws<InvalidDataException>(() => SnapshotCodec.Open(Context, tampered, length, Key, 1 << 20)).Message, StringComparison.Ordinal);
        Assert.Contains("does not open", Assert.Throws<InvalidDataException>(() => SnapshotCodec.Open(other, payload, length, Key, 1 << 20)).Message, StringComparison.Ordinal);
        Assert.Contains("not sealed under", Assert.Throws<InvalidDataException>(() => SnapshotCodec.Open(Context, payload, length, otherKey, 1 << 20)).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => SnapshotCodec.Open(Context, payload.AsSpan(0, 40), length, Key, 1 << 20));
    }

    [Fact]
    public void Sealed_garbage_is_refused_as_malformed_not_crashed_on()
    {
        var random = new Random(5);
        for (var i = 0; i < 200; i++)
        {
            var garbage = new byte[random.Next(0, 300)];
            random.NextBytes(garbage);
            var nonce = new byte[Aead.NonceLength];
            random.NextBytes(nonce);
            var ad = (byte[])[.. "mero/snapshot-page/v1"u8, .. Context.AsSpan(), .. Key.KeyId.AsSpan()];
            var payload = (byte[])[.. Key.KeyId.AsSpan(), .. nonce, .. Aead.Encrypt(Key.Key, nonce, garbage, ad)];
            Assert.Throws<InvalidDataException>(() => SnapshotCodec.Open(Context, payload, (uint)random.Next(0, 4096), Key, 1 << 20));
        }
    }

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes);
}
