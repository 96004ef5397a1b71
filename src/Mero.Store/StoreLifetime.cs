namespace Mero.Store;

/// <summary>
/// Counts the callers inside RocksDB (a read, a commit, an open range or snapshot) so the store is
/// closed only once none is left. RocksDB's handles are raw pointers: a call on a closed database
/// is a use-after-free that kills the process, so after <see cref="Close"/> begins a new caller
/// gets <see cref="ObjectDisposedException"/> instead.
/// </summary>
internal sealed class StoreLifetime
{
    private const int ClosingBit = int.MinValue;
    private int _state;

    /// <summary>True once <see cref="Close"/> has begun.</summary>
    public bool IsClosing => Volatile.Read(ref _state) < 0;

    /// <summary>Admits a caller; pair with <see cref="Exit"/>.</summary>
    public void Enter()
    {
        if (!TryEnter())
        {
            throw new ObjectDisposedException(nameof(MeroStore), "the store is closed");
        }
    }

    public bool TryEnter()
    {
        if (Interlocked.Increment(ref _state) < 0)
        {
            Interlocked.Decrement(ref _state);
            return false;
        }

        return true;
    }

    public void Exit() => Interlocked.Decrement(ref _state);

    /// <summary>
    /// Refuses new callers and waits up to <paramref name="wait"/> for the admitted ones to leave.
    /// Returns false if some are still inside: the database must then stay open.
    /// </summary>
    public bool Close(TimeSpan wait)
    {
        Interlocked.Or(ref _state, ClosingBit);
        var deadline = Environment.TickCount64 + (long)wait.TotalMilliseconds;
        var spin = new SpinWait();
        while ((Volatile.Read(ref _state) & ~ClosingBit) != 0)
        {
            if (Environment.TickCount64 >= deadline)
            {
                return false;
            }

            spin.SpinOnce(sleep1Threshold: 20);
        }

        return true;
    }

    /// <summary>A lease held by a disposable reader until it is disposed.</summary>
    public Lease Hold()
    {
        Enter();
        return new Lease(this);
    }

    /// <summary>
    /// A lease taken under one already held (a range over an open snapshot): admitted even while
    /// closing, since the held lease keeps the database open until both are released.
    /// </summary>
    public Lease HoldWithin(Lease held)
    {
        ObjectDisposedException.ThrowIf(held.IsReleased, held);
        Interlocked.Increment(ref _state);
        return new Lease(this);
    }

    /// <summary>Released exactly once, however often it is disposed.</summary>
    internal sealed class Lease(StoreLifetime owner)
    {
        private int _released;

        public bool IsReleased => Volatile.Read(ref _released) != 0;

        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Exit();
            }
        }
    }
}
