using System.Collections.Concurrent;
using System.Security.Cryptography;
using Mero.Node.Replication;

namespace Mero.Testing;

/// <summary>
/// Governance stand-in for replication tests: one shared member table and key ring for the whole
/// cluster, changed by the test (add, make ReadOnly, remove, rotate). Every context it is asked
/// about is governed. Each node sees it through <see cref="For"/>, which models key possession:
/// a key withheld from a node stays unknown there until the node recovers it from a sync peer
/// (the "wrap" is a stand-in: key id ‖ recipient; real wrapping is tested in governance).
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

    private static readonly GroupId Scope = GroupId.FromBytes(new byte[32]);
    private readonly ConcurrentDictionary<(PublicKey Member, Hash KeyId), byte> _withheld = new();
    private int _keysRecovered;

    /// <summary>Keys nodes recovered from peers.</summary>
    public int KeysRecovered => Volatile.Read(ref _keysRecovered);

    public void Admit(PublicKey member, WriteVerdict verdict = WriteVerdict.Allowed) => _members[member] = verdict;

    /// <summary>The authority as the node of <paramref name="member"/> sees it.</summary>
    public IContextAuthority For(PublicKey member) => new MemberView(this, member);

    /// <summary>The node of <paramref name="member"/> lacks <paramref name="keyId"/> until a peer sends it.</summary>
    public void Withhold(PublicKey member, Hash keyId) => _withheld[(member, keyId)] = 0;

    public bool Holds(PublicKey member, Hash keyId) => _keys.ContainsKey(keyId) && !_withheld.ContainsKey((member, keyId));

    /// <summary>The key that seals new data now.</summary>
    public ContextKey Current => _current;

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

    public ValueTask<KeyScope?> KeyScopeAsync(ContextId context, CancellationToken ct) => ValueTask.FromResult<KeyScope?>(null);

    public ValueTask<(byte[] Envelope, PublicKey Responder)> WrapKeyAsync(GroupId namespaceId, GroupId group, PublicKey requester, Hash keyId, CancellationToken ct) =>
        ValueTask.FromResult<(byte[], PublicKey)>(([], default));

    public ValueTask<bool> AcceptKeyAsync(GroupId namespaceId, GroupId group, Hash keyId, byte[] envelope, CancellationToken ct) => ValueTask.FromResult(false);

    private sealed class MemberView(StaticAuthority shared, PublicKey self) : IContextAuthority
    {
        public ValueTask<bool> IsGovernedAsync(ContextId context, CancellationToken ct) => shared.IsGovernedAsync(context, ct);

        public ValueTask<WriteVerdict> AuthorizeWriteAsync(ContextId context, PublicKey author, IReadOnlyList<Hash>? governanceHeads, CancellationToken ct) =>
            shared.AuthorizeWriteAsync(context, author, governanceHeads, ct);

        public ValueTask<ContextKey?> CurrentKeyAsync(ContextId context, CancellationToken ct) =>
            ValueTask.FromResult(shared.Holds(self, shared._current.KeyId) ? shared._current : null);

        public ValueTask<ContextKey?> KeyAsync(ContextId context, Hash keyId, CancellationToken ct) =>
            ValueTask.FromResult(shared.Holds(self, keyId) ? shared._keys[keyId] : null);

        public ValueTask<IReadOnlyList<Hash>> GovernanceHeadsAsync(ContextId context, CancellationToken ct) => shared.GovernanceHeadsAsync(context, ct);

        public ValueTask<IReadOnlyList<PublicKey>> MembersAsync(ContextId context, CancellationToken ct) => shared.MembersAsync(context, ct);

        public ValueTask<KeyScope?> KeyScopeAsync(ContextId context, CancellationToken ct) => ValueTask.FromResult<KeyScope?>(new KeyScope(Scope, Scope, self));

        public ValueTask<(byte[] Envelope, PublicKey Responder)> WrapKeyAsync(GroupId namespaceId, GroupId group, PublicKey requester, Hash keyId, CancellationToken ct) =>
            ValueTask.FromResult<(byte[], PublicKey)>(shared.Holds(self, keyId) && shared._members.ContainsKey(requester)
                ? ([.. keyId.AsSpan(), .. requester.AsSpan()], self)
                : ([], self));

        public ValueTask<bool> AcceptKeyAsync(GroupId namespaceId, GroupId group, Hash keyId, byte[] envelope, CancellationToken ct)
        {
            if (!envelope.AsSpan().SequenceEqual([.. keyId.AsSpan(), .. self.AsSpan()]) || !shared._withheld.TryRemove((self, keyId), out _))
            {
                return ValueTask.FromResult(shared.Holds(self, keyId));
            }

            Interlocked.Increment(ref shared._keysRecovered);
            return ValueTask.FromResult(true);
        }
    }
}
