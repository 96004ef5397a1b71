using Mero.Dag;
using Mero.Store;

namespace Mero.Governance.Tests;

/// <summary>One node's governance engine over a real RocksDB in a temp dir; every call commits its own batch.</summary>
internal sealed class TestNode : IDisposable
{
    private readonly DagOptions? _dagOptions;

    private TestNode(GroupId ns, NamespaceIdentity identity, DagOptions? dagOptions)
    {
        Namespace = ns;
        _dagOptions = dagOptions;
        Directory = Path.Combine(Path.GetTempPath(), "mero-gov-" + Guid.NewGuid().ToString("N"));
        Store = MeroStore.Open(Directory);
        Engine = GovernanceEngine.Open(Store, ns, identity, dagOptions);
    }

    public GroupId Namespace { get; }

    public string Directory { get; }

    public MeroStore Store { get; private set; }

    public GovernanceEngine Engine { get; private set; }

    public NamespaceIdentity Identity => Engine.Identity;

    public PublicKey Key => Engine.Identity.PublicKey;

    public byte[] AgreementKey => Engine.Identity.Agreement.PublicKey;

    public static TestNode Create(GroupId ns, NamespaceIdentity? identity = null, DagOptions? dagOptions = null) =>
        new(ns, identity ?? NamespaceIdentity.Generate(), dagOptions);

    public static TestNode Founder(GroupId ns)
    {
        var node = Create(ns);
        using var batch = node.Store.CreateBatch();
        var result = node.Engine.CreateNamespace(ApplicationId.FromBytes(new byte[32]), batch);
        node.Store.Commit(batch);
        if (result.Status != ApplyStatus.Applied)
        {
            throw new InvalidOperationException($"genesis failed: {result.Rejection}");
        }

        return node;
    }

    public SignedGroupOp IssueOk(GroupOp op)
    {
        var (envelope, result) = Issue(op);
        return result.Status == ApplyStatus.Applied ? envelope! : throw new InvalidOperationException($"{op.GetType().Name} refused: {result.Rejection}");
    }

    public (SignedGroupOp? Envelope, ApplyResult Result) Issue(GroupOp op)
    {
        using var batch = Store.CreateBatch();
        var outcome = Engine.Issue(op, batch);
        Store.Commit(batch);
        return outcome;
    }

    /// <summary>Adds a member and delivers every key this node holds for the group to them.</summary>
    public List<SignedGroupOp> AddWithKeys(GroupId group, TestNode member, GroupRole role)
    {
        var ops = new List<SignedGroupOp> { IssueOk(new AddMemberOp(group, member.Key, role, member.AgreementKey)) };
        foreach (var delivery in Engine.KeyDeliveriesFor(group, member.Key).ToList())
        {
            ops.Add(IssueOk(delivery));
        }

        return ops;
    }

    public ApplyResult Receive(byte[] wire)
    {
        using var batch = Store.CreateBatch();
        var result = Engine.Receive(wire, batch);
        Store.Commit(batch);
        return result;
    }

    public void ReceiveAll(IEnumerable<SignedGroupOp> ops)
    {
        foreach (var op in ops)
        {
            Receive(op.Wire);
        }
    }

    /// <summary>Signs an arbitrary envelope as <paramref name="signer"/>, sealed under this node's newest key of the op's group.</summary>
    public SignedGroupOp Forge(NamespaceIdentity signer, GroupOp op, ulong nonce, IEnumerable<Hash>? parents = null)
    {
        (Hash, byte[])? key = op.IsRootOp ? null : Engine.LatestKey(op.Target ?? Namespace) ?? Engine.LatestKey(Namespace);
        return SignedGroupOp.Create(signer.Signing, Namespace, parents ?? Engine.Heads, nonce, Engine.StateHash, op, key);
    }

    /// <summary>Everything this namespace has in the Group column, hex-encoded, for "nothing persisted" checks.</summary>
    public SortedDictionary<string, string> Dump() =>
        new(Store.Scan(Column.Group, Namespace.ToArray()).ToDictionary(kv => Convert.ToHexString(kv.Key), kv => Convert.ToHexString(kv.Value)));

    public void Restart()
    {
        var identity = NamespaceIdentity.FromSeed(Engine.Identity.Seed);
        Store.Dispose();
        Store = MeroStore.Open(Directory);
        Engine = GovernanceEngine.Open(Store, Namespace, identity, _dagOptions);
    }

    public void Dispose()
    {
        Store.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: temp dirs are cleaned by the OS eventually.
        }
    }
}
