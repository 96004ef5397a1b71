using Mero.Crypto;
using Mero.Network.Host;
using Xunit.Abstractions;

namespace Mero.Network.Tests;

/// <summary>C# hosts on loopback for a test, disposed together.</summary>
public sealed class Hosts(ITestOutputHelper output) : IAsyncDisposable
{
    private readonly List<(Libp2pHost Host, Ed25519KeyPair Key)> _hosts = [];

    public async Task<(Libp2pHost Host, TestLoggerFactory Logs)> StartAsync(string name, Libp2pHostOptions? options = null, CancellationToken ct = default)
    {
        var key = Ed25519KeyPair.Generate();
        var logs = new TestLoggerFactory(output, name + " ");
        var host = new Libp2pHost(key, options ?? new Libp2pHostOptions(), logs);
        host.SetHandler("/mero/echo/1.0.0", async (stream, token) =>
        {
            await stream.CopyToAsync(stream, token);
            await stream.CloseWriteAsync(token);
        });
        await host.StartAsync(ct);
        _hosts.Add((host, key));
        return (host, logs);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (host, key) in _hosts)
        {
            await host.DisposeAsync();
            key.Dispose();
        }
    }
}
