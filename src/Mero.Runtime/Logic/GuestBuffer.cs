namespace Mero.Runtime.Logic;

/// <summary>The ABI's 16-byte buffer descriptor: <c>{ u64 ptr, u64 len }</c>, little-endian.</summary>
internal readonly record struct GuestBuffer(ulong Ptr, ulong Len)
{
    public const ulong Size = 16;
}
