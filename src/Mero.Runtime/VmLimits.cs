namespace Mero.Runtime;

/// <summary>
/// Per-execution resource limits. Defaults are upstream's <c>VMLimits</c>; the deadline is ours
/// (upstream relies on gas alone, which a slow host function can outlast).
/// </summary>
public sealed record VmLimits
{
    public const long Kib = 1024;
    public const long Mib = 1024 * Kib;
    public const long Gib = 1024 * Mib;

    /// <summary>Linear-memory cap in 64 KiB pages (1024 = 64 MiB), enforced through store limits.</summary>
    public long MaxMemoryPages { get; init; } = 1024;

    /// <summary>Wasm stack in bytes; engine-wide because Wasmtime configures it per engine.</summary>
    public int MaxStackSize { get; init; } = 200 * 1024;

    public int MaxRegisters { get; init; } = 100;
    public long MaxRegisterSize { get; init; } = 100 * Mib;
    public long MaxRegistersCapacity { get; init; } = 1 * Gib;

    public int MaxLogs { get; init; } = 1024;
    public long MaxLogSize { get; init; } = 16 * Kib;

    public int MaxEvents { get; init; } = 100;
    public long MaxEventKindSize { get; init; } = 100;
    public long MaxEventDataSize { get; init; } = 16 * Kib;

    public long MaxStorageKeySize { get; init; } = 1 * Mib;
    public long MaxStorageValueSize { get; init; } = 10 * Mib;

    /// <summary>Write budget shared by all storage_write calls of one execution.</summary>
    public long MaxStorageWrites { get; init; } = 100_000;
    public long MaxStorageWriteBytes { get; init; } = 128 * Mib;

    public long MaxReturnValueSize { get; init; } = 16 * Mib;

    /// <summary>Most entries one storage_index_scan returns, whatever limit the guest asks for.</summary>
    public long MaxStorageIndexScanLimit { get; init; } = 100_000;

    /// <summary>xcalls one execution may queue, and the size of each one's method name and params.</summary>
    public int MaxXCalls { get; init; } = 8;
    public long MaxXCallFunctionSize { get; init; } = 100;
    public long MaxXCallParamsSize { get; init; } = 16 * Kib;

    /// <summary>Context mutations (create/delete context, add/remove member) one execution may queue.</summary>
    public int MaxContextMutations { get; init; } = 16;

    /// <summary>Artifact passed to commit.</summary>
    public long MaxArtifactSize { get; init; } = 16 * Mib;

    /// <summary>Open blob handles per execution, bytes per blob_write/blob_read, and total blob bytes written.</summary>
    public int MaxBlobHandles { get; init; } = 100;
    public long MaxBlobChunkSize { get; init; } = 10 * Mib;
    public long MaxBlobBytes { get; init; } = 512 * Mib;
    public int MaxMethodNameLength { get; init; } = 256;
    public long MaxModuleSize { get; init; } = 20 * Mib;

    /// <summary>Wasmtime fuel per execution (upstream's max_gas).</summary>
    public long MaxFuel { get; init; } = 1_000_000_000;

    /// <summary>Wall-clock budget per execution, enforced with epoch interruption.</summary>
    public TimeSpan ExecutionDeadline { get; init; } = TimeSpan.FromSeconds(10);

    public static VmLimits Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        Positive(MaxMemoryPages, nameof(MaxMemoryPages));
        if (MaxMemoryPages > 65536)
        {
            throw new ArgumentException($"{nameof(MaxMemoryPages)} must be at most 65536 (4 GiB of wasm32 memory)");
        }

        Positive(MaxStackSize, nameof(MaxStackSize));
        Positive(MaxRegisters, nameof(MaxRegisters));
        Positive(MaxRegisterSize, nameof(MaxRegisterSize));
        Positive(MaxRegistersCapacity, nameof(MaxRegistersCapacity));
        if (MaxRegistersCapacity < MaxRegisterSize)
        {
            throw new ArgumentException($"{nameof(MaxRegistersCapacity)} must be at least {nameof(MaxRegisterSize)}");
        }

        Positive(MaxLogs, nameof(MaxLogs));
        Positive(MaxLogSize, nameof(MaxLogSize));
        Positive(MaxEvents, nameof(MaxEvents));
        Positive(MaxEventKindSize, nameof(MaxEventKindSize));
        Positive(MaxEventDataSize, nameof(MaxEventDataSize));
        Positive(MaxStorageKeySize, nameof(MaxStorageKeySize));
        Positive(MaxStorageValueSize, nameof(MaxStorageValueSize));
        Positive(MaxStorageWrites, nameof(MaxStorageWrites));
        Positive(MaxStorageWriteBytes, nameof(MaxStorageWriteBytes));
        Positive(MaxReturnValueSize, nameof(MaxReturnValueSize));
        Positive(MaxStorageIndexScanLimit, nameof(MaxStorageIndexScanLimit));
        Positive(MaxXCalls, nameof(MaxXCalls));
        Positive(MaxXCallFunctionSize, nameof(MaxXCallFunctionSize));
        Positive(MaxXCallParamsSize, nameof(MaxXCallParamsSize));
        Positive(MaxContextMutations, nameof(MaxContextMutations));
        Positive(MaxArtifactSize, nameof(MaxArtifactSize));
        Positive(MaxBlobHandles, nameof(MaxBlobHandles));
        Positive(MaxBlobChunkSize, nameof(MaxBlobChunkSize));
        Positive(MaxBlobBytes, nameof(MaxBlobBytes));
        Positive(MaxMethodNameLength, nameof(MaxMethodNameLength));
        Positive(MaxModuleSize, nameof(MaxModuleSize));
        Positive(MaxFuel, nameof(MaxFuel));
        if (ExecutionDeadline <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(ExecutionDeadline)} must be positive");
        }
    }

    private static void Positive(long value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentException($"{name} must be positive (got {value})");
        }
    }
}
