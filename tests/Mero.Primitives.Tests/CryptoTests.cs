using Mero.Crypto;
using Xunit;

namespace Mero.Primitives.Tests;

public class CryptoTests
{
    [Fact]
    public void Signs_and_verifies_and_rejects_tampering()
    {
        using var key = Ed25519KeyPair.Generate();
        var signature = key.Sign("hello"u8);
        Assert.True(Ed25519KeyPair.Verify(key.PublicKey, "hello"u8, signature));
        Assert.False(Ed25519KeyPair.Verify(key.PublicKey, "hellO"u8, signature));
        signature[0] ^= 1;
        Assert.False(Ed25519KeyPair.Verify(key.PublicKey, "hello"u8, signature));
        Assert.False(Ed25519KeyPair.Verify(key.PublicKey, "hello"u8, signature.AsSpan(0, 63)));
    }

    [Fact]
    public void Matches_the_rfc8032_test_vector_1()
    {
        using var key = Ed25519KeyPair.FromSeed(Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
        Assert.Equal("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", Convert.ToHexStringLower(key.PublicKey.AsSpan()));
        Assert.Equal(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            Convert.ToHexStringLower(key.Sign([])));
    }

    [Fact]
    public void Peer_identity_round_trips_and_has_the_libp2p_ed25519_prefix()
    {
        using var key = Ed25519KeyPair.Generate();
        var text = PeerIdentity.EncodeKeypair(key);
        using var decoded = PeerIdentity.DecodeKeypair(text);
        Assert.Equal(key.PublicKey, decoded.PublicKey);
        Assert.StartsWith("12D3KooW", PeerIdentity.PeerId(key.PublicKey));
        Assert.Throws<FormatException>(() => PeerIdentity.DecodeKeypair("notakey"));
    }
}
