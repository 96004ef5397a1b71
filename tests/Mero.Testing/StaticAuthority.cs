using System.Collections.Concurrent;
using System.Security.Cryptography;
using Mero.Node.Replication;

namespace Mero.Testing;

/// <summary>
/// Governance stand-in for replication tests: one shared member table and key ring for the whole
/// cluster, changed by the test (add, make ReadOnly, remove, rotate). Every context it is asked
/// about is governed.
/// </summary>
public sealed class StaticAuthority : IContextAuthority
{
    private readonly ConcurrentDictionary<PublicKey, WriteVerdict> _members = new();
    private readonly ConcurrentDictionary<Hash, ContextKey> _keys = new();
    private volatile ContextKey _current;

    public StaticAuthority()
    {
        _current = NewKey();
        _keys[_current.KeyId] = _current;
    }

    public void Admit(PublicKey member, WriteVerdict verdict = WriteVerdict.Allowed) => _members[member] = verdict;

    public void Remove(PublicKey member) => _members.TryRemove(member, out _);

    /// <summary>A new current key; old ones stay readable.</summary>
    public void Rotate()
    {
        var key = NewKey();
        _keys[key.KeyId] = key;
        _current = key;
    }

    public ValueTask<bool> IsGovernedAsync(ContextId context, CancellationToken ct) => ValueTask.FromResult(true);

    public ValueTask<WriteVerdict> AuthorizeWriteAsync(ContextId context, PublicKey author, IReadOnlyList<Hash>? governanceHeads, CancellationToken ct) =>
        ValueTask.FromResult(_members.TryGetValue(author, out var verdict) ? verdict : WriteVerdict.NotMember);

    public ValueTask<ContextKey?> CurrentKeyAsync(ContextId context, CancellationToken ct) => ValueTask.FromResult<ContextKey?>(_current);

    public ValueTask<ContextKey?> KeyAsync(ContextId context, Hash keyId, CancellationToken ct) =>
        ValueTask.FromResult(_keys.TryGetValue(keyId, out var key) ? key : null);

    public ValueTask<IReadOnlyList<Hash>> GovernanceHeadsAsync(ContextId context, CancellationToken ct) => ValueTask.FromResult<IReadOnlyList<Hash>>([]);

    public ValueTask<IReadOnlyList<PublicKey>> MembersAsync(ContextId context, CancellationToken ct) =>
        ValueTask.FromResult<IReadOnlyList<PublicKey>>([.. _members.Keys]);

    private static ContextKey NewKey()
    {
        var bytes = RandomNumberGenerator.GetBytes(32);
        return new ContextKey(DeltaSealing.KeyIdOf(bytes), bytes);
    }
}
