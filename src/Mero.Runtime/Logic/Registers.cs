namespace Mero.Runtime.Logic;

/// <summary>
/// Host-side byte slots the guest reads back with register_len/read_register. Accounting follows
/// upstream: each register costs 8 bytes plus its length against the total capacity.
/// </summary>
internal sealed class Registers
{
    private const ulong Overhead = sizeof(ulong);

    private readonly Dictionary<ulong, byte[]> _slots = [];
    private ulong _totalSize;

    public bool TryGet(ulong id, out byte[] data) => _slots.TryGetValue(id, out data!);

    /// <summary>Stores <paramref name="data"/>, or leaves everything unchanged and says which limit would break.</summary>
    public RegisterSetResult TrySet(VmLimits limits, ulong id, byte[] data)
    {
        var length = (ulong)data.LongLength;
        if (length > (ulong)limits.MaxRegisterSize)
        {
            return RegisterSetResult.TooLarge;
        }

        ulong evicted;
        if (_slots.TryGetValue(id, out var old))
        {
            evicted = Overhead + (ulong)old.LongLength;
        }
        else if (_slots.Count < limits.MaxRegisters)
        {
            evicted = 0;
        }
        else
        {
            return RegisterSetResult.TooMany;
        }

        var newTotal = _totalSize - evicted + Overhead + length;
        if (newTotal > (ulong)limits.MaxRegistersCapacity)
        {
            return RegisterSetResult.OverCapacity;
        }

        _totalSize = newTotal;
        _slots[id] = data;
        return RegisterSetResult.Stored;
    }
}

internal enum RegisterSetResult
{
    Stored,
    TooLarge,
    TooMany,
    OverCapacity,
}
