namespace Mero.Dag;

/// <summary>
/// A causal DAG of entries: each is applied only after all its parents, exactly once, whatever order
/// entries arrive in. Early arrivals wait in a bounded pending set and are applied as soon as their
/// last missing parent is; an applied entry wakes only its own waiting children, so a cascade costs
/// O(entries unblocked). Heads are the applied entries nothing applied names as a parent yet.
/// Not thread-safe: one owner (an actor loop) drives it.
/// </summary>
public sealed class CausalDag<T>
    where T : IDagNode
{
    private readonly DagOptions _options;
    private readonly HashSet<Hash> _applied = [];
    private readonly SortedSet<Hash> _heads = [];
    private readonly Dictionary<Hash, PendingEntry> _pending = [];
    private readonly Dictionary<Hash, List<Hash>> _waitingOn = [];

    public CausalDag(DagOptions? options = null)
    {
        _options = options ?? new DagOptions();
        _options.Validate();
    }

    /// <summary>Current heads, sorted by id so every replica lists them identically.</summary>
    public IReadOnlyCollection<Hash> Heads => _heads;

    public int AppliedCount => _applied.Count;

    public int PendingCount => _pending.Count;

    public bool Contains(Hash id) => _applied.Contains(id);

    /// <summary>Parents some pending entry waits for that are not themselves pending: what to ask peers for.</summary>
    public IReadOnlyList<Hash> MissingParents() =>
        [.. _waitingOn.Keys.Where(id => !_pending.ContainsKey(id)).Order()];

    /// <summary>
    /// Marks an entry applied without running an apply step: for rebuilding the DAG from an op log
    /// that was persisted in causal order. Its parents must already be restored.
    /// </summary>
    public void Restore(T entry)
    {
        foreach (var parent in entry.Parents)
        {
            if (!_applied.Contains(parent))
            {
                throw new InvalidOperationException($"restoring {entry.Id} before its parent {parent}: the op log is not in causal order");
            }
        }

        MarkApplied(entry);
    }

    /// <summary>
    /// Offers an entry. <paramref name="apply"/> runs for it and for every pending entry it unblocks,
    /// parents first; it returns null to accept or a reason to refuse (a refused entry is dropped and
    /// its waiting descendants stay pending).
    /// </summary>
    public DagAddResult<T> Add(T entry, Func<T, string?> apply)
    {
        if (_applied.Contains(entry.Id) || _pending.ContainsKey(entry.Id))
        {
            return new(DagAddStatus.Duplicate, [], [], []);
        }

        if (entry.Parents.Count > _options.MaxParents)
        {
            return Rejected(entry, $"{entry.Parents.Count} parents exceed the cap of {_options.MaxParents}");
        }

        if (entry.Parents.Distinct().Count() != entry.Parents.Count || entry.Parents.Contains(entry.Id))
        {
            return Rejected(entry, "parents must be distinct and must not include the entry itself");
        }

        var missing = entry.Parents.Where(p => !_applied.Contains(p)).ToList();
        if (missing.Count > 0)
        {
            if (_pending.Count >= _options.MaxPending)
            {
                return Rejected(entry, $"pending queue is full ({_options.MaxPending} entries waiting for parents)");
            }

            _pending[entry.Id] = new PendingEntry(entry, missing.Count);
            foreach (var parent in missing)
            {
                if (!_waitingOn.TryGetValue(parent, out var waiters))
                {
                    _waitingOn[parent] = waiters = [];
                }

                waiters.Add(entry.Id);
            }

            return new(DagAddStatus.Pending, [], missing, []);
        }

        var applied = new List<T>();
        var rejections = new List<DagRejection<T>>();
        var ready = new Queue<T>();
        ready.Enqueue(entry);
        while (ready.TryDequeue(out var next))
        {
            var reason = apply(next);
            if (reason is not null)
            {
                rejections.Add(new(next, reason));
                continue;
            }

            MarkApplied(next);
            applied.Add(next);
            if (_waitingOn.Remove(next.Id, out var waiters))
            {
                foreach (var waiterId in waiters)
                {
                    var waiter = _pending[waiterId];
                    if (--waiter.MissingCount == 0)
                    {
                        _pending.Remove(waiterId);
                        ready.Enqueue(waiter.Entry);
                    }
                }
            }
        }

        return applied.Count > 0 && applied[0].Id == entry.Id
            ? new(DagAddStatus.Applied, applied, [], rejections)
            : new(DagAddStatus.Rejected, applied, [], rejections);
    }

    private void MarkApplied(T entry)
    {
        _applied.Add(entry.Id);
        foreach (var parent in entry.Parents)
        {
            _heads.Remove(parent);
        }

        // Children apply only after their parents, so a newly applied entry is always a head.
        _heads.Add(entry.Id);
    }

    private static DagAddResult<T> Rejected(T entry, string reason) =>
        new(DagAddStatus.Rejected, [], [], [new(entry, reason)]);

    private sealed class PendingEntry(T entry, int missingCount)
    {
        public T Entry { get; } = entry;

        public int MissingCount { get; set; } = missingCount;
    }
}
