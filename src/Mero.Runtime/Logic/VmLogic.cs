using System.Diagnostics;
using Wasmtime;

namespace Mero.Runtime.Logic;

/// <summary>
/// Per-execution state, stored as the Wasmtime store's data so host callbacks can reach it.
/// One instance per Run; never shared between threads.
/// </summary>
internal sealed class VmLogic
{
    private readonly CancellationToken _cancellation;
    private readonly long _deadlineTimestamp;
    private long _storageWrites;
    private ulong _storageWriteBytes;
    private GuestMemory? _memory;

    public VmLogic(
        VmLimits limits,
        byte[] input,
        ExecutionContext context,
        IRuntimeStorage storage,
        RuntimeServices services,
        CancellationToken cancellation)
    {
        Limits = limits;
        Services = services;
        Blobs = new BlobHandles(this);
        Input = input;
        Context = context;
        Storage = storage;
        _cancellation = cancellation;
        var ticks = limits.ExecutionDeadline.TotalSeconds * Stopwatch.Frequency;
        _deadlineTimestamp = ticks >= long.MaxValue / 2 ? long.MaxValue : Stopwatch.GetTimestamp() + (long)ticks;
    }

    public VmLimits Limits { get; }

    public byte[] Input { get; }

    public ExecutionContext Context { get; }

    public IRuntimeStorage Storage { get; }

    public RuntimeServices Services { get; }

    public Registers Registers { get; } = new();

    public BlobHandles Blobs { get; }

    public List<XCall> XCalls { get; } = [];

    public List<ContextMutation> ContextMutations { get; } = [];

    public List<BlobAnnouncement> BlobAnnouncements { get; } = [];

    public CommitRecord? Commit { get; set; }

    /// <summary>The last emit_migration_witness bytes (last call wins, as upstream); never stored.</summary>
    public byte[]? MigrationWitness { get; set; }

    /// <summary>When the call's wall-clock budget runs out (Stopwatch timestamp).</summary>
    public long DeadlineTimestamp => _deadlineTimestamp;

    public List<string> Logs { get; } = [];

    public List<RuntimeEvent> Events { get; } = [];

    /// <summary>The last value_return: Ok bytes or Err bytes (last call wins, as upstream).</summary>
    public (bool IsOk, byte[] Bytes)? Returned { get; set; }

    /// <summary>Why the host trapped the guest; preferred over whatever trap Wasmtime reports.</summary>
    public FunctionCallError? PendingError { get; set; }

    public GuestMemory Memory => _memory ?? throw new InvalidOperationException("host bug: guest memory not attached");

    public void AttachMemory(Memory memory) => _memory = new GuestMemory(this, memory);

    /// <summary>Fetches the logic of the calling store, attaching memory if a start function runs first.</summary>
    public static VmLogic From(Caller caller)
    {
        var logic = (VmLogic)caller.GetData()!;
        if (logic._memory is null)
        {
            var memory = caller.GetMemory("memory") ?? throw logic.Fail(HostErrorCode.InvalidMemoryAccess, "guest has no exported memory");
            logic.AttachMemory(memory);
        }

        logic.EnforceMemoryCap();
        return logic;
    }

    /// <summary>
    /// The error for a memory grown past <see cref="VmLimits.MaxMemoryPages"/>, or null. Wasmtime
    /// lets growth run up to a hard ceiling above the cap (see WasmEngine) because its .NET binding
    /// has no limiter callback that could trap at the grow itself; the cap is enforced here instead.
    /// </summary>
    public FunctionCallError? MemoryCapError()
    {
        if (_memory is null)
        {
            return null;
        }

        var pages = _memory.Length / (ulong)Wasmtime.Memory.PageSize;
        return pages <= (ulong)Limits.MaxMemoryPages
            ? null
            : FunctionCallError.Of(
                FunctionCallErrorCode.MemoryLimitExceeded,
                $"guest memory grew to {pages} pages, over the limit of {Limits.MaxMemoryPages} pages (max_memory_pages)");
    }

    /// <summary>Traps the guest if its memory grew past the cap; checked on every host call and epoch tick.</summary>
    public void EnforceMemoryCap()
    {
        if (MemoryCapError() is { } error)
        {
            PendingError = error;
            throw new HostTrapException(error.Message);
        }
    }

    /// <summary>Records a host error; the caller throws the result to trap the guest.</summary>
    public HostTrapException Fail(HostErrorCode code, string message)
    {
        PendingError = FunctionCallError.Host(code, message);
        return new HostTrapException(message);
    }

    public HostTrapException Fail(FunctionCallErrorCode code, string message)
    {
        PendingError = FunctionCallError.Of(code, message);
        return new HostTrapException(message);
    }

    /// <summary>Puts <paramref name="data"/> in a register, trapping with the limit that would be broken.</summary>
    public void SetRegister(ulong id, byte[] data)
    {
        switch (Registers.TrySet(Limits, id, data))
        {
            case RegisterSetResult.TooLarge:
                throw Fail(
                    HostErrorCode.RegisterSizeOverflow,
                    $"register size overflow (register {id}, size: {data.Length}, max: {Limits.MaxRegisterSize})");
            case RegisterSetResult.TooMany:
                throw Fail(HostErrorCode.RegistersOverflow, $"registers overflow (register {id}, max registers: {Limits.MaxRegisters})");
            case RegisterSetResult.OverCapacity:
                throw Fail(
                    HostErrorCode.RegistersCapacityOverflow,
                    $"registers capacity overflow (register {id} of {data.Length} bytes, max total: {Limits.MaxRegistersCapacity})");
        }
    }

    /// <summary>Reads a Buffer whose length must be exactly <paramref name="length"/> (ids, keys, signatures).</summary>
    public byte[] ReadExact(ulong descriptorPtr, int length, string what)
    {
        var buffer = Memory.ReadBuffer(descriptorPtr);
        if (buffer.Len != (ulong)length)
        {
            throw Fail(HostErrorCode.InvalidIdLength, $"{what} must be exactly {length} bytes (received {buffer.Len})");
        }

        return Memory.ReadBytes(buffer);
    }

    /// <summary>Charges one write of <paramref name="bytes"/> against the execution's write budget.</summary>
    public void ChargeStorageWrite(ulong bytes)
    {
        if (_storageWrites + 1 > Limits.MaxStorageWrites)
        {
            throw Fail(HostErrorCode.StorageWriteCountExceeded, $"storage write count budget exceeded (max: {Limits.MaxStorageWrites})");
        }

        var attempted = _storageWriteBytes + bytes;
        if (attempted < _storageWriteBytes || attempted > (ulong)Limits.MaxStorageWriteBytes)
        {
            throw Fail(
                HostErrorCode.StorageWriteBytesExceeded,
                $"storage write byte budget exceeded (attempted: {attempted}, max: {Limits.MaxStorageWriteBytes})");
        }

        _storageWrites++;
        _storageWriteBytes = attempted;
    }

    /// <summary>
    /// Called by Wasmtime on every epoch tick while guest code runs: stops the guest once it is
    /// cancelled or past its deadline, otherwise asks to be called again on the next tick.
    /// </summary>
    public ulong OnEpochTick()
    {
        EnforceMemoryCap();
        if (_cancellation.IsCancellationRequested)
        {
            throw Fail(FunctionCallErrorCode.Cancelled, "execution was cancelled");
        }

        if (Stopwatch.GetTimestamp() >= _deadlineTimestamp)
        {
            throw Fail(
                FunctionCallErrorCode.DeadlineExceeded,
                $"execution exceeded its deadline of {Limits.ExecutionDeadline.TotalMilliseconds:0} ms");
        }

        return 1;
    }
}
