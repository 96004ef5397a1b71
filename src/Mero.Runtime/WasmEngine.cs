using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Mero.Runtime.Host;
using Mero.Runtime.Logic;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wasmtime;
using WasmStore = Wasmtime.Store;

namespace Mero.Runtime;

/// <summary>
/// The node's WebAssembly host: one Wasmtime engine and one linker holding the Calimero ABI,
/// shared by every run. <see cref="Run"/> is thread-safe; each call gets its own store.
/// </summary>
public sealed class WasmEngine : IDisposable
{
    /// <summary>Exported by SDK apps to register merge functions; upstream calls it before every method.</summary>
    public const string RegisterMergeExport = "__calimero_register_merge";

    private readonly Engine _engine;
    private readonly Linker _linker;
    private readonly HostFunctionRegistry _hostFunctions;
    private readonly EpochTicker _ticker;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Lazy<CompiledModule>> _modules = new(StringComparer.Ordinal);
    private const uint PooledInstances = 64;
    private int _disposed;

    private readonly ModuleDiskCache? _diskCache;

    /// <param name="limits">Per-call limits; <see cref="VmLimits.Default"/> if null.</param>
    /// <param name="logger">Engine log.</param>
    /// <param name="cacheDirectory">Where compiled modules are kept across restarts; none if null.</param>
    public WasmEngine(VmLimits? limits = null, ILogger<WasmEngine>? logger = null, string? cacheDirectory = null)
    {
        Limits = limits ?? VmLimits.Default;
        Limits.Validate();
        _logger = logger ?? NullLogger<WasmEngine>.Instance;

        // NaN canonicalization keeps float results identical on every node.
        var config = new Config()
            .WithFuelConsumption(true)
            .WithEpochInterruption(true)
            .WithMaximumStackSize(Limits.MaxStackSize)
            .WithCraneliftNaNCanonicalization(true)
            .WithWasmThreads(false)
            .WithPoolingAllocationStrategy(PoolingFor());
        _engine = new Engine(config);
        _linker = new Linker(_engine);
        _hostFunctions = new HostFunctionRegistry(_linker);
        SystemFunctions.Define(_hostFunctions);
        RegisterFunctions.Define(_hostFunctions);
        StorageFunctions.Define(_hostFunctions);
        PrivateStorageFunctions.Define(_hostFunctions);
        EventFunctions.Define(_hostFunctions);
        CommitFunctions.Define(_hostFunctions);
        XCallFunctions.Define(_hostFunctions);
        ContextFunctions.Define(_hostFunctions);
        BlobFunctions.Define(_hostFunctions);
        UtilityFunctions.Define(_hostFunctions);
        FetchFunction.Define(_hostFunctions);
        AssemblyScriptFunctions.Define(_hostFunctions);
        CrdtFunctions.Define(_hostFunctions);
        StorageIndexFunctions.Define(_hostFunctions);
        GovernanceFunctions.Define(_hostFunctions);
        _ticker = new EpochTicker(_engine);
        _diskCache = cacheDirectory is null ? null : new ModuleDiskCache(cacheDirectory, _logger);
    }

    /// <summary>Modules compiled from source (not loaded from the disk cache) since start; for tests and metrics.</summary>
    public int CompilationCount => _compilations;

    private int _compilations;

    public VmLimits Limits { get; }

    /// <summary>Names of the env.* functions this runtime provides.</summary>
    public IReadOnlyCollection<string> HostFunctions => _hostFunctions.Signatures.Keys.ToArray();

    /// <summary>
    /// Validates and compiles a guest module, or returns the cached one for identical bytes.
    /// Throws <see cref="ModuleValidationException"/> for anything that is not an acceptable guest.
    /// </summary>
    public CompiledModule Compile(ReadOnlySpan<byte> wasm)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        // Cheap checks first, so oversized garbage is never hashed or copied.
        try
        {
            ModuleValidator.CheckBytes(wasm, Limits);
        }
        catch (ModuleValidationException e)
        {
            _logger.ModuleRejected("-", e.Message);
            throw;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(wasm));
        if (_modules.TryGetValue(hash, out var cached))
        {
            return cached.Value;
        }

        var bytes = wasm.ToArray();
        // Lazy makes concurrent first compiles of the same bytes share one compilation.
        var entry = _modules.GetOrAdd(hash, h => new Lazy<CompiledModule>(() => CompileNew(bytes, h)));
        try
        {
            return entry.Value;
        }
        catch
        {
            _modules.TryRemove(KeyValuePair.Create(hash, entry));
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="method"/> (which must be exported as <c>() -> ()</c>) in a fresh store.
    /// Guest misbehaviour is reported in the outcome; only host failures (including exceptions
    /// from <paramref name="storage"/>) throw. Storage writes of a failed call are left in
    /// <paramref name="storage"/> for the caller to discard.
    /// </summary>
    public Outcome Run(
        CompiledModule module,
        string method,
        byte[] input,
        ExecutionContext context,
        IRuntimeStorage storage,
        CancellationToken cancellationToken = default) =>
        Run(module, method, input, context, storage, RuntimeServices.None, cancellationToken);

    /// <summary>
    /// As <see cref="Run(CompiledModule, string, byte[], ExecutionContext, IRuntimeStorage, CancellationToken)"/>,
    /// with the node services (private storage, blobs, clock, randomness, fetch policy) this call may use.
    /// </summary>
    public Outcome Run(
        CompiledModule module,
        string method,
        byte[] input,
        ExecutionContext context,
        IRuntimeStorage storage,
        RuntimeServices services,
        CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(services);
        if (module.Owner != this)
        {
            throw new ArgumentException("module was compiled by a different engine", nameof(module));
        }

        var started = Stopwatch.GetTimestamp();
        var logic = new VmLogic(Limits, input, context, storage, services, cancellationToken);
        var (error, fuelUsed) = Execute(module, method, logic, cancellationToken);
        var outcome = Finish(logic, error, fuelUsed, Stopwatch.GetElapsedTime(started));
        _logger.RunFinished(method, module.Hash, error?.CodeName ?? "ok", outcome.Elapsed.TotalMilliseconds, fuelUsed);
        return outcome;
    }

    // Slots are sized for any wasm32 memory so that the per-call cap (store limits) reports
    // MemoryLimitExceeded rather than the pool refusing the module at compile time.
    private static readonly nuint WasmMemoryMaxBytes = nuint.CreateChecked(1UL << 32);

    // Every call instantiates afresh; the pooling allocator reuses memory slots instead of
    // mapping and faulting in new pages per call, which dominated the cost of small methods.
    private static PoolingAllocationConfig PoolingFor() =>
        new PoolingAllocationConfig()
            .WithMaxMemories(PooledInstances)
            .WithMaxTables(PooledInstances)
            .WithMaxCoreInstances(PooledInstances)
            .WithMaxMemorySize(WasmMemoryMaxBytes)
            .WithLinearMemoryKeepResidentBytes(1 << 20)
            .WithMaxUnusedWarmSlots(4);

    /// <summary>Frees the engine and every cached module; call only once no run is in progress.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _ticker.Dispose();
        foreach (var entry in _modules.Values)
        {
            if (entry.IsValueCreated)
            {
                entry.Value.Module.Dispose();
            }
        }

        _modules.Clear();
        _linker.Dispose();
        _engine.Dispose();
    }

    private CompiledModule CompileNew(byte[] wasm, string hash)
    {
        var started = Stopwatch.GetTimestamp();
        var module = _diskCache?.TryLoad(_engine, hash);
        var fromCache = module is not null;
        if (module is null)
        {
            try
            {
                module = Module.FromBytes(_engine, hash, wasm);
                Interlocked.Increment(ref _compilations);
            }
            catch (WasmtimeException e)
            {
                var reason = $"module failed to compile: {e.Message}";
                _logger.ModuleRejected(hash, reason);
                throw new ModuleValidationException(reason, e);
            }
        }

        try
        {
            ModuleValidator.CheckModule(module, _hostFunctions.Signatures);
        }
        catch (ModuleValidationException e)
        {
            module.Dispose();
            _logger.ModuleRejected(hash, e.Message);
            throw;
        }

        if (fromCache)
        {
            _logger.ModuleLoadedFromCache(hash);
        }
        else
        {
            // Only validated modules are cached, so a rejected one is rejected again on restart.
            _diskCache?.Save(hash, module);
            _logger.ModuleCompiled(hash, wasm.Length, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return new CompiledModule(this, module, hash, wasm.Length);
    }

    private (FunctionCallError? Error, long FuelUsed) Execute(
        CompiledModule module,
        string method,
        VmLogic logic,
        CancellationToken cancellationToken)
    {
        if (MethodName.Problem(method, Limits.MaxMethodNameLength) is { } nameProblem)
        {
            return (FunctionCallError.Of(FunctionCallErrorCode.InvalidMethodName, nameProblem), 0);
        }

        var export = module.FindFunction(method);
        if (export is null)
        {
            return (FunctionCallError.Of(FunctionCallErrorCode.MethodNotFound, $"method \"{method}\" not found"), 0);
        }

        if (export.Parameters.Count != 0 || export.Results.Count != 0)
        {
            return (FunctionCallError.Of(
                FunctionCallErrorCode.InvalidSignature,
                $"method \"{method}\" has invalid signature: expected no arguments and no return value"), 0);
        }

        // Checked up front because Wasmtime reports it only as a generic instantiation error.
        if (module.InitialMemoryPages > Limits.MaxMemoryPages)
        {
            return (FunctionCallError.Of(
                FunctionCallErrorCode.MemoryLimitExceeded,
                $"module needs {module.InitialMemoryPages} memory pages at start, over the limit of {Limits.MaxMemoryPages}"), 0);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return (FunctionCallError.Of(FunctionCallErrorCode.Cancelled, "execution was cancelled"), 0);
        }

        _ticker.Enter();
        try
        {
            using var store = new WasmStore(_engine, logic);
            store.SetLimits(memorySize: MemoryCeilingPages(Limits) * Memory.PageSize);
            store.Fuel = (ulong)Limits.MaxFuel;
            // Deadline of one tick plus a callback that re-arms it: the callback decides, on
            // each tick, whether the deadline passed or the token fired.
            store.SetEpochDeadline(1);
            store.SetEpochDeadlineCallback(_ => logic.OnEpochTick());

            var error = Call(store, module, method, logic);
            var fuelUsed = Limits.MaxFuel - (long)Math.Min(store.Fuel, (ulong)Limits.MaxFuel);
            return (error, fuelUsed);
        }
        finally
        {
            _ticker.Exit();
        }
    }

    /// <summary>
    /// Where Wasmtime itself refuses memory.grow (-1): twice the cap, at most 4 GiB. Growth between
    /// the cap and this ceiling succeeds for the guest and then fails the call with
    /// MemoryLimitExceeded at its next host call, epoch tick or return, so a guest can touch at most
    /// the ceiling before it is stopped. A single grow that would pass the ceiling just returns -1.
    /// </summary>
    internal static long MemoryCeilingPages(VmLimits limits) => Math.Min(2 * limits.MaxMemoryPages, 65536);

    private FunctionCallError? Call(WasmStore store, CompiledModule module, string method, VmLogic logic)
    {
        var error = CallMethod(store, module, method, logic);
        // Growth past the cap precedes whatever ended the call (a guest cannot grow after it trapped).
        return logic.MemoryCapError() ?? error;
    }

    private FunctionCallError? CallMethod(WasmStore store, CompiledModule module, string method, VmLogic logic)
    {
        Instance instance;
        try
        {
            instance = _linker.Instantiate(store, module.Module);
        }
        catch (WasmtimeException e) when (e is TrapException || e.InnerException is not null)
        {
            return TrapMapper.Map(logic, e);
        }
        catch (WasmtimeException e)
        {
            return FunctionCallError.Of(FunctionCallErrorCode.InstantiationFailed, $"instantiation failed: {e.Message}");
        }

        logic.AttachMemory(instance.GetMemory(ModuleValidator.MemoryExport)!);

        // As upstream: a failing merge registration does not fail the call, but its fuel is spent.
        if (method != RegisterMergeExport && module.FindFunction(RegisterMergeExport) is { } merge &&
            merge.Parameters.Count == 0 && merge.Results.Count == 0)
        {
            try
            {
                instance.GetAction(RegisterMergeExport)!();
            }
            catch (WasmtimeException e)
            {
                TrapMapper.Map(logic, e);
                logic.PendingError = null;
            }
        }

        try
        {
            instance.GetAction(method)!();
            return null;
        }
        catch (WasmtimeException e)
        {
            return TrapMapper.Map(logic, e);
        }
    }

    private static Outcome Finish(VmLogic logic, FunctionCallError? error, long fuelUsed, TimeSpan elapsed)
    {
        byte[]? returnValue = null;
        if (error is null && logic.Returned is { } returned)
        {
            if (returned.IsOk)
            {
                returnValue = returned.Bytes;
            }
            else
            {
                error = FunctionCallError.Execution(returned.Bytes);
            }
        }

        return new Outcome
        {
            ReturnValue = returnValue,
            Error = error,
            Logs = logic.Logs,
            Events = logic.Events,
            XCalls = logic.XCalls,
            ContextMutations = logic.ContextMutations,
            Commit = logic.Commit,
            BlobAnnouncements = logic.BlobAnnouncements,
            MigrationWitness = logic.MigrationWitness,
            FuelUsed = fuelUsed,
            Elapsed = elapsed,
        };
    }
}
