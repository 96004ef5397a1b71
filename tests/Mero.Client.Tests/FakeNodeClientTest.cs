using Mero.TestSupport;
using Xunit;

namespace Mero.Client.Tests;

/// <summary>A fresh <see cref="FakeNode"/> and a client pointed at it for every test.</summary>
public abstract class FakeNodeClientTest : IAsyncLifetime
{
    protected FakeNode Node { get; private set; } = null!;

    protected MeroClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Node = await FakeNode.StartAsync();
        Client = new MeroClient(Node.Url);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Node.DisposeAsync();
    }
}
