using System.Buffers.Binary;
using Mero.State.Text;

namespace Mero.State.Crdt;

/// <summary>
/// Recomputes the root hash a context's raw state records imply, so a snapshot from a peer can be
/// checked against the root it claims before anything is installed. Records are fed in store key
/// order (context ‖ tag ‖ collection id ‖ suffix), which puts every collection's metadata ('c')
/// before any entry ('e'), then the child index ('k'), text logs ('o'), waiting text ops ('p'),
/// text versions ('v') and removal watermarks ('w'). Each entry's leaf hash is added to a running
/// sum of its collection; at the end every collection's children (entries plus nested collections'
/// hashes, or for a text the digest of its state and log) must add up to the sum its metadata
/// stores, its live count must match, and the root's hash is returned. Memory is one small record
/// per collection (plus the decoded documents of texts), never per entry. Anything that does not
/// decode, or does not add up, throws <see cref="InvalidDataException"/> naming the record.
/// Pending text ops and watermarks are outside the hash by design: only their shape is checked.
/// </summary>
public sealed class CrdtStateVerifier
{
    private const int PrefixLength = 32 + 1 + 32;

    private readonly ContextId _context;
    private readonly Dictionary<Hash, Node> _nodes = [];
    private Node? _last;
    private byte _lastTag;
    private bool _finished;

    public CrdtStateVerifier(ContextId context) => _context = context;

    /// <summary>Records fed so far.</summary>
    public long Records { get; private set; }

    /// <summary>Collections seen so far.</summary>
    public int Collections => _nodes.Count;

    /// <summary>Feeds the next record (raw Column.State key and value, keys ascending).</summary>
    public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (_finished)
        {
            throw new InvalidOperationException("the verifier has finished");
        }

        Records++;
        if (key.Length < PrefixLength || !key.StartsWith(_context.AsSpan()))
        {
            throw Invalid($"record {Records} is not a state key of context {_context}");
        }

        var tag = key[32];
        if (tag < _lastTag)
        {
            throw Invalid($"record {Records} ('{(char)tag}') is out of key order");
        }

        _lastTag = tag;
        var id = key.Slice(33, 32);
        var suffix = key[PrefixLength..];
        switch (tag)
        {
            case CrdtTransaction.MetaTag:
                AddMeta(id, suffix, value);
                break;
            case CrdtTransaction.EntryTag:
                AddEntry(id, suffix, value);
                break;
            case CrdtTransaction.ChildTag:
                AddChildIndex(id, suffix, value);
                break;
            case CrdtTransaction.TextLogTag:
                AddTextLog(id, suffix, value);
                break;
            case CrdtTransaction.PendingTag:
                CheckPending(id, suffix, value);
                break;
            case CrdtTransaction.TextVersionTag:
                AddTextVersion(id, suffix, value);
                break;
            case CrdtTransaction.WatermarkTag:
                if (value.Length != 40 || BinaryPrimitives.ReadUInt64LittleEndian(value) == 0)
                {
                    throw Invalid($"removal watermark under map {Describe(id)} is not a 40-byte stamp");
                }

                break;
            default:
                throw Invalid($"record {Records} has unknown tag 0x{tag:x2}");
        }
    }

    /// <summary>
    /// Checks every collection's sums and returns the root hash the records imply (all zeros for no
    /// records, as for an empty context).
    /// </summary>
    public Hash Finish()
    {
        _finished = true;
        if (_nodes.Count == 0)
        {
            return default;
        }

        if (!_nodes.TryGetValue(default, out var root))
        {
            throw Invalid("the records have collections but no root metadata");
        }

        Span<byte> hash = stackalloc byte[32];
        foreach (var node in _nodes.Values)
        {
            var meta = node.Meta;
            if (node.IsText)
            {
                FinishText(node, hash);
            }
            else if (node.Live != meta.LiveCount)
            {
                throw Invalid($"{Describe(meta)} has {node.Live} live entries but its metadata counts {meta.LiveCount}");
            }

            if (meta.IsRoot)
            {
                continue;
            }

            if (!_nodes.TryGetValue(meta.ParentId, out var parent))
            {
                throw Invalid($"{Describe(meta)} has no parent collection {meta.ParentId} in the records");
            }

            if (meta.Depth != parent.Meta.Depth + 1)
            {
                throw Invalid($"{Describe(meta)} is at depth {meta.Depth} under a parent at depth {parent.Meta.Depth}");
            }

            if (!node.Indexed)
            {
                throw Invalid($"{Describe(meta)} is missing from its parent's child index");
            }

            // Decode computed the hash this collection contributes from its stored sum, which the check below ties to its children.
            parent.Computed.Add(meta.CommittedHash!);
        }

        foreach (var node in _nodes.Values)
        {
            if (!node.Computed.Equals(node.Meta.ChildSum))
            {
                throw Invalid($"{Describe(node.Meta)}: its children do not add up to the child sum its metadata stores");
            }
        }

        return Hash.FromBytes(root.Meta.ComputeHash());
    }

    private void AddMeta(ReadOnlySpan<byte> id, ReadOnlySpan<byte> suffix, ReadOnlySpan<byte> value)
    {
        if (!suffix.IsEmpty)
        {
            throw Invalid($"collection metadata key of record {Records} is {suffix.Length} bytes too long");
        }

        var collection = Hash.FromBytes(id);
        CollectionMeta meta;
        try
        {
            meta = CollectionMeta.Decode(collection, value.ToArray());
            var expected = meta.IsRoot
                ? meta.Depth == 0 && meta.ParentId == default && meta.Name.Length == 0 && collection == default
                : meta.Depth > 0 && collection != default && CollectionMeta.DeriveId(meta.ParentId, meta.Kind, meta.Name) == collection;
            if (!expected)
            {
                throw Invalid($"collection metadata {collection} does not match its id (kind {meta.Kind}, depth {meta.Depth}, parent {meta.ParentId})");
            }
        }
        catch (CrdtException ex)
        {
            throw Invalid($"collection metadata {collection} does not decode: {ex.Message}");
        }

        _nodes.Add(collection, new Node(meta));
    }

    private void AddEntry(ReadOnlySpan<byte> id, ReadOnlySpan<byte> itemKey, ReadOnlySpan<byte> record)
    {
        var node = Find(id) ?? throw Invalid($"an entry of collection {Describe(id)} whose metadata never appears");
        if (node.IsText)
        {
            if (!itemKey.IsEmpty || node.Text is not null)
            {
                throw Invalid($"{Describe(node.Meta)} has an entry other than its state");
            }

            try
            {
                node.Text = RgaText.DecodeState(record, default);
            }
            catch (RgaFormatException ex)
            {
                throw Invalid($"the state of {Describe(node.Meta)} does not decode: {ex.Message}");
            }

            return;
        }

        try
        {
            CrdtTreeLimits.CheckRecord(node.Meta.Kind, itemKey, record, limitSize: false);
        }
        catch (CrdtException ex)
        {
            throw Invalid($"an entry of {Describe(node.Meta)} is malformed: {ex.Message}");
        }

        Span<byte> hash = stackalloc byte[32];
        CrdtEntry.LeafHash(itemKey, record, hash);
        node.Computed.Add(hash);
        node.Live += record[40] == 0 ? 1 : 0;
    }

    private void AddChildIndex(ReadOnlySpan<byte> parent, ReadOnlySpan<byte> child, ReadOnlySpan<byte> value)
    {
        if (child.Length != 32 || !value.IsEmpty)
        {
            throw Invalid($"child index record under {Describe(parent)} is malformed");
        }

        var node = Find(child);
        if (node is null || node.Meta.IsRoot || !node.Meta.ParentId.AsSpan().SequenceEqual(parent))
        {
            throw Invalid($"child index names {Describe(child)} under {Describe(parent)}, which is not its collection");
        }

        node.Indexed = true;
    }

    private void AddTextLog(ReadOnlySpan<byte> id, ReadOnlySpan<byte> suffix, ReadOnlySpan<byte> value)
    {
        var node = TextNode(id, "log op");
        if (suffix.Length != 4 || BinaryPrimitives.ReadInt32BigEndian(suffix) != node.LogCount)
        {
            throw Invalid($"{Describe(node.Meta)} has a log op out of sequence (expected index {node.LogCount})");
        }

        node.LogCount++;
        node.Text ??= new RgaText(default);
        try
        {
            // As loading does: an op that cannot apply changed nothing when it was stored either.
            node.Text.Apply(RgaText.DecodeOp(value));
        }
        catch (Exception ex) when (ex is RgaFormatException or ArgumentException or CrdtException)
        {
            throw Invalid($"log op {node.LogCount - 1} of {Describe(node.Meta)} does not decode: {ex.Message}");
        }
    }

    private void CheckPending(ReadOnlySpan<byte> id, ReadOnlySpan<byte> suffix, ReadOnlySpan<byte> value)
    {
        if (!suffix.IsEmpty)
        {
            throw Invalid($"waiting text ops key of {Describe(id)} is malformed");
        }

        try
        {
            var reader = new CrdtWireReader(value);
            while (!reader.AtEnd)
            {
                RgaText.DecodeOp(reader.Fixed(reader.Count(value.Length, "length")));
            }
        }
        catch (Exception ex) when (ex is CrdtException or RgaFormatException)
        {
            throw Invalid($"waiting text ops of {Describe(id)} do not decode: {ex.Message}");
        }
    }

    private void AddTextVersion(ReadOnlySpan<byte> id, ReadOnlySpan<byte> suffix, ReadOnlySpan<byte> value)
    {
        var node = TextNode(id, "version record");
        if (!suffix.IsEmpty || value.Length != 12 || node.LogLength >= 0)
        {
            throw Invalid($"version record of {Describe(node.Meta)} is malformed");
        }

        node.LogLength = BinaryPrimitives.ReadInt32LittleEndian(value[8..]);
    }

    private void FinishText(Node node, Span<byte> hash)
    {
        var expected = Math.Max(node.LogLength, 0);
        if (node.LogCount != expected)
        {
            throw Invalid($"{Describe(node.Meta)} has {node.LogCount} log ops but its version record says {expected}");
        }

        if (node.Text is { } text)
        {
            text.ComputeDigest().Write(hash);
            node.Computed.Add(hash);
        }
    }

    private Node TextNode(ReadOnlySpan<byte> id, string what)
    {
        var node = Find(id);
        return node is { IsText: true } ? node : throw Invalid($"a text {what} for {Describe(id)}, which is not a text in the records");
    }

    /// <summary>The collection with this id; entries come grouped by collection, so the last one usually answers.</summary>
    private Node? Find(ReadOnlySpan<byte> id)
    {
        if (_last is not null && _last.Meta.Id.AsSpan().SequenceEqual(id))
        {
            return _last;
        }

        _last = _nodes.GetValueOrDefault(Hash.FromBytes(id));
        return _last;
    }

    private static string Describe(CollectionMeta meta) => meta.IsRoot ? "the root collection" : $"{meta.Kind} collection {meta.Id}";

    private static string Describe(ReadOnlySpan<byte> id) => Hash.FromBytes(id).ToString();

    private static InvalidDataException Invalid(string reason) => new($"snapshot state does not verify: {reason}");

    private sealed class Node(CollectionMeta meta)
    {
        public CollectionMeta Meta { get; } = meta;

        public bool IsText => Meta.Kind == CrdtKind.Text;

        /// <summary>Sum of what the records say the children are (entries, then nested collections at the end).</summary>
        public Sum256 Computed;

        public long Live { get; set; }

        public bool Indexed { get; set; }

        public RgaText? Text { get; set; }

        public int LogCount { get; set; }

        /// <summary>Log length from the version record; -1 while none was seen.</summary>
        public int LogLength { get; set; } = -1;
    }
}
