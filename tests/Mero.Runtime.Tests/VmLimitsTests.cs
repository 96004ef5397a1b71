using Xunit;

namespace Mero.Runtime.Tests;

public sealed class VmLimitsTests
{
    [Fact]
    public void Defaults_match_upstream()
    {
        var l = VmLimits.Default;

        Assert.Equal(1024, l.MaxMemoryPages);
        Assert.Equal(200 * 1024, l.MaxStackSize);
        Assert.Equal(100, l.MaxRegisters);
        Assert.Equal(100L << 20, l.MaxRegisterSize);
        Assert.Equal(1L << 30, l.MaxRegistersCapacity);
        Assert.Equal(1024, l.MaxLogs);
        Assert.Equal(16 * 1024, l.MaxLogSize);
        Assert.Equal(100, l.MaxEvents);
        Assert.Equal(100, l.MaxEventKindSize);
        Assert.Equal(16 * 1024, l.MaxEventDataSize);
        Assert.Equal(1L << 20, l.MaxStorageKeySize);
        Assert.Equal(10L << 20, l.MaxStorageValueSize);
        Assert.Equal(16L << 20, l.MaxReturnValueSize);
        Assert.Equal(256, l.MaxMethodNameLength);
        Assert.Equal(20L << 20, l.MaxModuleSize);
        Assert.Equal(1_000_000_000, l.MaxFuel);
        Assert.Equal(TimeSpan.FromSeconds(10), l.ExecutionDeadline);
        Assert.Equal((8, 100, 16 * 1024), (l.MaxXCalls, l.MaxXCallFunctionSize, l.MaxXCallParamsSize));
        Assert.Equal(16 * 1024 * 1024, l.MaxArtifactSize);
        Assert.Equal((100, 10L * 1024 * 1024, 512L * 1024 * 1024), (l.MaxBlobHandles, l.MaxBlobChunkSize, l.MaxBlobBytes));
        Assert.Equal(16, l.MaxContextMutations);
        l.Validate();
    }

    [Fact]
    public void Validate_rejects_inconsistent_limits()
    {
        Assert.Throws<ArgumentException>(() => new VmLimits { MaxRegistersCapacity = 10, MaxRegisterSize = 20 }.Validate());
        Assert.Throws<ArgumentException>(() => new VmLimits { ExecutionDeadline = TimeSpan.Zero }.Validate());
        Assert.Throws<ArgumentException>(() => new VmLimits { MaxFuel = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new VmLimits { MaxMemoryPages = 65537 }.Validate());
        Assert.Throws<ArgumentException>(() => new WasmEngine(new VmLimits { MaxLogs = -1 }));
    }
}
