using System.Net;
using System.Net.Sockets;
using Mero.Crypto;
using Mero.Network.Multiformats;
using Mero.Network.Noise;
using Mero.Network.Protocols;
using Xunit;

namespace Mero.Network.Tests;

public sealed class NoiseTests
{
    private static async Task<(NetworkStream Client, NetworkStream Server)> SocketPairAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = listener.AcceptSocketAsync();
        await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        return (new NetworkStream(client, true), new NetworkStream(await accept, true));
    }

    [Fact]
    public async Task HandshakeAuthenticatesBothSidesAndCarriesLargeWrites()
    {
        using var ct = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var aKey = Ed25519KeyPair.Generate();
        using var bKey = Ed25519KeyPair.Generate();
        using var a = new NoiseIdentity(aKey);
        using var b = new NoiseIdentity(bKey);
        var (client, server) = await SocketPairAsync();

        var responding = NoiseHandshake.RespondAsync(server, b, ct.Token);
        await using var initiator = await NoiseHandshake.InitiateAsync(client, a, PeerId.FromPublicKey(bKey.PublicKey), ct.Token);
        await using var responder = await responding;
        Assert.Equal(PeerId.FromPublicKey(bKey.PublicKey), initiator.RemotePeer);
        Assert.Equal(PeerId.FromPublicKey(aKey.PublicKey), responder.RemotePeer);

        var data = new byte[300_000];
        Random.Shared.NextBytes(data);
        var reading = Task.Run(async () =>
        {
            var received = new byte[data.Length];
            await responder.ReadExactlyAsync(received, ct.Token);
            return received;
        });
        await initiator.WriteAsync(data, ct.Token);
        await initiator.FlushAsync(ct.Token);
        Assert.Equal(data, await reading);

        await responder.WriteAsync("pong"u8.ToArray(), ct.Token);
        await responder.FlushAsync(ct.Token);
        var pong = new byte[4];
        await initiator.ReadExactlyAsync(pong, ct.Token);
        Assert.Equal("pong"u8.ToArray(), pong);
    }

    [Fact]
    public async Task MultistreamAnswersNaThenAgrees()
    {
        using var ct = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var (client, server) = await SocketPairAsync();
        await using var _ = client;
        await using var __ = server;
        var listening = MultistreamSelect.ListenAsync(server, p => p == "/b", ct.Token);
        Assert.Equal("/b", await MultistreamSelect.SelectAsync(client, ["/a", "/b"], ct.Token));
        Assert.Equal("/b", await listening);

        listening = MultistreamSelect.ListenAsync(server, p => p == "/b", ct.Token);
        var refused = await Assert.ThrowsAsync<ProtocolNegotiationException>(() => MultistreamSelect.SelectAsync(client, ["/c"], ct.Token));
        Assert.Contains("supports none of /c", refused.Message);
    }
}
