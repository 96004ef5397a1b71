using System.Security.Cryptography;
using Mero.Crypto;
using Mero.Primitives;

namespace Mero.Governance;

/// <summary>
/// The group keys this node holds (node-local, never replicated in clear). Key ids are SHA-256 of
/// the key, so a delivered key is checked against the id it claims. The newest key of a group
/// seals new ops; older ones stay to open history.
/// </summary>
internal sealed class GroupKeyring
{
    private readonly Dictionary<Hash, byte[]> _keys = [];
    private readonly Dictionary<GroupId, (ulong Sequence, Hash KeyId)> _latest = [];
    private ulong _sequence;

    public int Count => _keys.Count;

    public static Hash KeyIdOf(ReadOnlySpan<byte> key) => Hashing.Sha256Tagged("mero/group-key-id/v1", key.ToArray());

    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(Aead.KeyLength);

    public static byte[] WrapContext(GroupId ns, GroupId group, Hash keyId) => [.. ns.AsSpan(), .. group.AsSpan(), .. keyId.AsSpan()];

    public byte[]? Get(Hash keyId) => _keys.GetValueOrDefault(keyId);

    /// <summary>The imported cipher of a held key, created once (imports are costly).</summary>
    public AeadKey? Cipher(Hash keyId)
    {
        if (_ciphers.TryGetValue(keyId, out var cipher))
        {
            return cipher;
        }

        if (!_keys.TryGetValue(keyId, out var key))
        {
            return null;
        }

        _ciphers[keyId] = cipher = new AeadKey(key);
        return cipher;
    }

    public (Hash KeyId, AeadKey Cipher)? LatestCipher(GroupId group) =>
        _latest.TryGetValue(group, out var latest) ? (latest.KeyId, Cipher(latest.KeyId)!) : null;

    private readonly Dictionary<Hash, AeadKey> _ciphers = [];

    public (Hash KeyId, byte[] Key)? Latest(GroupId group) =>
        _latest.TryGetValue(group, out var latest) ? (latest.KeyId, _keys[latest.KeyId]) : null;

    public IEnumerable<(Hash KeyId, byte[] Key)> KeysOf(GroupId group) =>
        _latestByGroup.TryGetValue(group, out var ids) ? ids.Select(id => (id, _keys[id])) : [];

    private readonly Dictionary<GroupId, List<Hash>> _latestByGroup = [];

    /// <summary>Adds a key; returns the record to persist, or null when already held or the id does not match.</summary>
    public byte[]? Add(GroupId group, Hash keyId, byte[] key, ulong? sequence = null)
    {
        if (_keys.ContainsKey(keyId) || KeyIdOf(key) != keyId)
        {
            return null;
        }

        var seq = sequence ?? ++_sequence;
        _sequence = Math.Max(_sequence, seq);
        _keys[keyId] = key;
        if (!_latestByGroup.TryGetValue(group, out var list))
        {
            _latestByGroup[group] = list = [];
        }

        list.Add(keyId);
        if (!_latest.TryGetValue(group, out var current) || current.Sequence < seq)
        {
            _latest[group] = (seq, keyId);
        }

        var w = new BorshWriter(80);
        w.WriteId(group).WriteU64(seq).WriteFixed(key);
        return w.ToArray();
    }

    public void Load(byte[] record)
    {
        var r = new BorshReader(record);
        var group = r.ReadId<IdKinds.Group>();
        var seq = r.ReadU64();
        var key = r.ReadFixed(Aead.KeyLength).ToArray();
        Add(group, KeyIdOf(key), key, seq);
    }
}
