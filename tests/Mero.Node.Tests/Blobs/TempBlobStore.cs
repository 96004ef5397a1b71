using Mero.Node.Blobs;
using Mero.Store;

namespace Mero.Node.Tests.Blobs;

/// <summary>A real RocksDB store in a temp directory with blob storage over it.</summary>
internal sealed class TempBlobStore : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mero-blobs-" + Guid.NewGuid().ToString("N"));

    public TempBlobStore()
    {
        Store = MeroStore.Open(_dir);
        Blobs = new BlobStorage(Store);
    }

    public MeroStore Store { get; }

    public BlobStorage Blobs { get; }

    public static byte[] Random(int size, int seed)
    {
        var bytes = new byte[size];
        new System.Random(seed).NextBytes(bytes);
        return bytes;
    }

    public void Dispose()
    {
        Store.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
