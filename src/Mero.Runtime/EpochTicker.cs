using Wasmtime;

namespace Mero.Runtime;

/// <summary>
/// One background thread per engine that advances the epoch while any run is active, so a
/// store's epoch callback gets to check its deadline and cancellation about every tick.
/// A dedicated thread (not a pool timer) keeps ticking even when the pool is starved.
/// </summary>
internal sealed class EpochTicker : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    private readonly Engine _engine;
    private readonly ManualResetEventSlim _hasWork = new(false);
    private readonly Thread _thread;
    private int _activeRuns;
    private volatile bool _stopping;

    public EpochTicker(Engine engine)
    {
        _engine = engine;
        _thread = new Thread(Loop) { IsBackground = true, Name = "wasm-epoch-ticker" };
        _thread.Start();
    }

    public void Enter()
    {
        Interlocked.Increment(ref _activeRuns);
        _hasWork.Set();
    }

    public void Exit() => Interlocked.Decrement(ref _activeRuns);

    public void Dispose()
    {
        _stopping = true;
        _hasWork.Set();
        _thread.Join();
        _hasWork.Dispose();
    }

    private void Loop()
    {
        while (true)
        {
            _hasWork.Wait();
            if (_stopping)
            {
                return;
            }

            Thread.Sleep(Interval);
            _engine.IncrementEpoch();
            if (Volatile.Read(ref _activeRuns) == 0)
            {
                _hasWork.Reset();
                // A run may have entered between the check and the reset; don't sleep through it.
                if (Volatile.Read(ref _activeRuns) > 0 || _stopping)
                {
                    _hasWork.Set();
                }
            }
        }
    }
}
