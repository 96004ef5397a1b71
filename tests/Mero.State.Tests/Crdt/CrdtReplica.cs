using Mero.Primitives.Clock;
using Mero.State.Crdt;
using Mero.Store;

namespace Mero.State.Tests.Crdt;

/// <summary>A temp RocksDB store that holds every replica of a test, each as its own context.</summary>
internal sealed class CrdtStore : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "mero-crdt-" + Guid.NewGuid().ToString("N"));

    public CrdtStore() => Store = MeroStore.Open(_path);

    public MeroStore Store { get; }

    public void Dispose()
    {
        Store.Dispose();
        Directory.Delete(_path, recursive: true);
    }
}

/// <summary>One replica of a context: its own state (a context id of its own) and executor key.</summary>
internal sealed class CrdtReplica(MeroStore store, PublicKey executor, TimeProvider time)
{
    private readonly ContextId _context = ContextId.FromBytes(Guid.NewGuid().ToByteArray().Concat(Guid.NewGuid().ToByteArray()).ToArray());

    public HybridLogicalClock Clock { get; } = new(executor, time, TimeSpan.FromDays(365));

    public PublicKey Executor => executor;

    public ContextId Context => _context;

    public Hash Root { get; private set; }

    /// <summary>Runs local operations in one transaction, commits, returns the encoded delta.</summary>
    public byte[] Execute(Action<CrdtTransaction> body)
    {
        var transaction = Begin();
        body(transaction);
        return Commit(transaction).Delta.Encode();
    }

    public void Apply(byte[] delta)
    {
        var transaction = Begin();
        transaction.Apply(delta);
        Commit(transaction);
    }

    public T Read<T>(Func<CrdtTransaction, T> body) => body(Begin());

    public int StoredRecords => store.Scan(Column.State, _context.ToArray()).Count();

    private CrdtTransaction Begin() => new(store, _context, executor, Clock);

    private CrdtCommit Commit(CrdtTransaction transaction)
    {
        using var batch = store.CreateBatch();
        var commit = transaction.Commit(batch);
        store.Commit(batch);
        Root = commit.RootHash;
        return commit;
    }
}
