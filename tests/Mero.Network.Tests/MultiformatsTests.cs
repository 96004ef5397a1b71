using Mero.Crypto;
using Mero.Network.Multiformats;
using Xunit;

namespace Mero.Network.Tests;

public sealed class MultiformatsTests
{
    [Theory]
    [InlineData(0UL, "00")]
    [InlineData(1UL, "01")]
    [InlineData(127UL, "7f")]
    [InlineData(128UL, "8001")]
    [InlineData(300UL, "ac02")]
    [InlineData(16384UL, "808001")]
    public void VarintsRoundTrip(ulong value, string hex)
    {
        Assert.Equal(hex, Convert.ToHexStringLower(Varint.Encode(value)));
        Assert.Equal(value, Varint.Read(Convert.FromHexString(hex), out var consumed));
        Assert.Equal(hex.Length / 2, consumed);
    }

    [Fact]
    public void VarintsRejectOverlongAndNonMinimalEncodings()
    {
        Assert.Throws<FormatException>(() => Varint.Read(Convert.FromHexString("8000"), out _));
        Assert.Throws<FormatException>(() => Varint.Read(Convert.FromHexString("ffffffffffffffffff01"), out _));
        Assert.False(Varint.TryRead(Convert.FromHexString("80"), out _, out _));
    }

    [Theory]
    [InlineData("/ip4/127.0.0.1/tcp/4001", "047f00000106 0fa1")]
    [InlineData("/ip6/::1/tcp/2428", "2900000000000000000000000000000001 06097c")]
    [InlineData("/ip4/1.2.3.4/udp/2428/quic-v1", "0401020304 91020 97c cc03")]
    [InlineData("/dns4/example.com/tcp/443", "36 0b 6578616d706c652e636f6d 06 01bb")]
    public void MultiaddrsRoundTripThroughTextAndBinary(string text, string hex)
    {
        var address = Multiaddr.Parse(text);
        Assert.Equal(text, address.ToString());
        var bytes = address.ToBytes();
        Assert.Equal(hex.Replace(" ", "", StringComparison.Ordinal), Convert.ToHexStringLower(bytes));
        Assert.Equal(address, Multiaddr.FromBytes(bytes));
    }

    [Fact]
    public void MultiaddrsCarryPeerIds()
    {
        const string text = "/ip4/127.0.0.1/tcp/2428/p2p/12D3KooWGj8QkzJeyoL18BHjCuJdK5eWtKHBT8SF3FYV89yLgCK5";
        var address = Multiaddr.Parse(text);
        Assert.Equal(text, address.ToString());
        Assert.Equal("12D3KooWGj8QkzJeyoL18BHjCuJdK5eWtKHBT8SF3FYV89yLgCK5", address.PeerId!.ToString());
        Assert.Equal("/ip4/127.0.0.1/tcp/2428", address.WithoutPeerId().ToString());
        Assert.True(address.TryGetTcpEndPoint(out var endPoint));
        Assert.Equal(2428, endPoint.Port);
        Assert.Equal(address, Multiaddr.FromBytes(address.ToBytes()));
        Assert.Equal(address, Multiaddr.Parse("/ip4/127.0.0.1/tcp/2428/ipfs/12D3KooWGj8QkzJeyoL18BHjCuJdK5eWtKHBT8SF3FYV89yLgCK5"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("ip4/1.2.3.4")]
    [InlineData("/ip4/1.2.3")]
    [InlineData("/ip4/1.2.3.4/tcp/65536")]
    [InlineData("/ip4/1.2.3.4/tcp")]
    [InlineData("/ip4/::1")]
    [InlineData("/foo/1")]
    [InlineData("/ip4/1.2.3.4/tcp/1/p2p/notapeer")]
    public void BadMultiaddrsAreRejected(string text) => Assert.False(Multiaddr.TryParse(text, out _));

    [Fact]
    public void TruncatedBinaryMultiaddrsAreRejected()
    {
        var bytes = Multiaddr.Parse("/ip4/127.0.0.1/tcp/4001").ToBytes();
        Assert.False(Multiaddr.TryFromBytes(bytes.AsSpan(0, bytes.Length - 1), out _));
        Assert.False(Multiaddr.TryFromBytes([0xA5, 0x03, 0x05, 1, 2], out _)); // p2p with a bad multihash
    }

    [Fact]
    public void PeerIdsMatchTheIdentityEncodingOfMeroCrypto()
    {
        using var key = Ed25519KeyPair.Generate();
        var peer = PeerId.FromPublicKey(key.PublicKey);
        Assert.Equal(PeerIdentity.PeerId(key.PublicKey), peer.ToString());
        Assert.StartsWith("12D3KooW", peer.ToString());
        Assert.Equal(peer, PeerId.Parse(peer.ToString()));
        Assert.True(peer.TryGetPublicKey(out var inlined));
        Assert.Equal(Libp2pKeyType.Ed25519, inlined.Type);
        Assert.Equal(key.PublicKey.ToArray(), inlined.Data);
        Assert.True(peer.Matches(Libp2pPublicKey.FromEd25519(key.PublicKey)));
    }

    [Fact]
    public void LargeKeysGetSha256PeerIds()
    {
        var rsa = new Libp2pPublicKey(Libp2pKeyType.Rsa, new byte[270]);
        var peer = PeerId.FromPublicKey(rsa);
        Assert.StartsWith("Qm", peer.ToString());
        Assert.False(peer.TryGetPublicKey(out _));
        Assert.Equal(peer, PeerId.Parse(peer.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("12D3KooW")]
    [InlineData("0OIl")]
    [InlineData("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5")]
    public void BadPeerIdsAreRejected(string text) => Assert.False(PeerId.TryParse(text, out _));
}
