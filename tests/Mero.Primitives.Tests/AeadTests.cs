using System.Text;
using Mero.Crypto;
using Xunit;

namespace Mero.Primitives.Tests;

public sealed class AeadTests
{
    // RFC 8439 section 2.8.2.
    private static readonly byte[] Key = [.. Enumerable.Range(0x80, 32).Select(b => (byte)b)];
    private static readonly byte[] Nonce = Convert.FromHexString("070000004041424344454647");
    private static readonly byte[] Associated = Convert.FromHexString("50515253c0c1c2c3c4c5c6c7");
    private static readonly byte[] Plain = Encoding.ASCII.GetBytes("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Both_implementations_reproduce_the_rfc_8439_vector(bool usePlatform)
    {
        using var key = new AeadKey(Key, usePlatform);
        var sealed_ = key.Encrypt(Nonce, Plain, Associated);

        Assert.Equal(Plain.Length + Aead.TagLength, sealed_.Length);
        Assert.Equal("D31A8D34648E60DB7B86AFBC53EF7EC2", Convert.ToHexString(sealed_, 0, 16));
        Assert.Equal("1AE10B594F09E26A7E902ECBD0600691", Convert.ToHexString(sealed_, Plain.Length, 16));
        Assert.Equal(Plain, key.Decrypt(Nonce, sealed_, Associated));
    }

    [Fact]
    public void What_one_implementation_seals_the_other_opens()
    {
        var random = new Random(7);
        for (var length = 0; length < 3000; length += 97)
        {
            var plain = new byte[length];
            var key = new byte[32];
            var nonce = new byte[12];
            random.NextBytes(plain);
            random.NextBytes(key);
            random.NextBytes(nonce);
            using var platform = new AeadKey(key, usePlatform: true);
            using var sodium = new AeadKey(key, usePlatform: false);

            var byPlatform = platform.Encrypt(nonce, plain, [1, 2]);
            Assert.Equal(byPlatform, sodium.Encrypt(nonce, plain, [1, 2]));
            Assert.Equal(plain, sodium.Decrypt(nonce, byPlatform, [1, 2]));
            Assert.Equal(plain, platform.Decrypt(nonce, sodium.Encrypt(nonce, plain, [1, 2]), [1, 2]));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Tampering_with_any_part_fails_to_open_and_leaves_no_plaintext(bool usePlatform)
    {
        using var key = new AeadKey(Key, usePlatform);
        var sealed_ = key.Encrypt(Nonce, Plain, Associated);
        for (var i = 0; i < sealed_.Length; i += 13)
        {
            var tampered = (byte[])sealed_.Clone();
            tampered[i] ^= 0x01;
            var output = new byte[Plain.Length];
            Assert.False(key.TryDecrypt(Nonce, tampered, Associated, output));
            Assert.DoesNotContain(output, b => b != 0);
        }

        Assert.Null(key.Decrypt(Nonce, sealed_, [.. Associated, 0]));
        Assert.Null(key.Decrypt(Nonce.Reverse().ToArray(), sealed_, Associated));
        Assert.Null(key.Decrypt(Nonce, sealed_.AsSpan(0, Aead.TagLength - 1), Associated));
        Assert.Null(key.Decrypt(Nonce[..11], sealed_, Associated));
        using var other = new AeadKey(new byte[32], usePlatform);
        Assert.Null(other.Decrypt(Nonce, sealed_, Associated));
    }

    [Fact]
    public void Keys_and_nonces_of_the_wrong_length_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new AeadKey(new byte[31]));
        Assert.Null(Aead.Decrypt(new byte[33], Nonce, new byte[40], []));
        using var key = new AeadKey(Key);
        Assert.Throws<ArgumentException>(() => key.Encrypt(new byte[8], Plain, []));
    }

    [Fact]
    public void One_key_is_safe_to_share_between_threads()
    {
        using var key = new AeadKey(Key);
        Parallel.For(0, 2000, i =>
        {
            var nonce = new byte[12];
            BitConverter.TryWriteBytes(nonce, i);
            var plain = BitConverter.GetBytes(i * 31);
            Assert.Equal(plain, key.Decrypt(nonce, key.Encrypt(nonce, plain, []), []));
        });
    }
}
