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

    /// <summary>Stores <paramref name="data"/>; false (and no change) if a limit would be broken.</summary>
    public bool TrySet(VmLimits limits, ulong id, byte[] data)
    {
        var length = (ulong)data.LongLength;
        if (length > (ulong)limits.MaxRegisterSize)
        {
            return false;
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
            return false;
        }

        var newTotal = _totalSize - evicted + Overhead + length;
        if (newTotal > (ulong)limits.MaxRegistersCapacity)
        {
            return false;
        }

        _totalSize = newTotal;
        _slots[id] = data;
        return true;
    }
}
