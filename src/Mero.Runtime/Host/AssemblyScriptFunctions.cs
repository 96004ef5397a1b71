using System.Text;
using Mero.Runtime.Logic;

namespace Mero.Runtime.Host;

/// <summary>
/// <c>env.abort</c>, which the AssemblyScript runtime imports unless the build redirects it.
/// Its arguments are i32s pointing at AssemblyScript strings: UTF-16LE with the byte length
/// (rtSize) stored in the u32 just before the pointer.
/// </summary>
internal static class AssemblyScriptFunctions
{
    // Enough for any real message; longer ones are cut rather than copied whole.
    private const uint MaxStringBytes = 8 * 1024;

    public static void Define(HostFunctionRegistry registry) => registry.NativeAction("abort", Abort);

    private static void Abort(VmLogic logic, uint messagePtr, uint filePtr, uint line, uint column)
    {
        var message = ReadString(logic, messagePtr);
        var file = ReadString(logic, filePtr);
        throw logic.Fail(HostErrorCode.Panic, $"guest panicked: abort: {message} at {file}:{line}:{column}");
    }

    private static string ReadString(VmLogic logic, uint ptr)
    {
        if (ptr == 0)
        {
            return "null";
        }

        if (ptr < sizeof(uint))
        {
            throw logic.Fail(HostErrorCode.InvalidMemoryAccess, $"invalid memory access: AssemblyScript string at address {ptr}");
        }

        var byteLength = logic.Memory.ReadU32(ptr - sizeof(uint));
        var truncated = byteLength > MaxStringBytes;
        var length = Math.Min(byteLength, MaxStringBytes) & ~1u;
        // Lenient decoding: a lone surrogate becomes U+FFFD instead of hiding the abort.
        var text = Encoding.Unicode.GetString(logic.Memory.Read(ptr, length));
        return truncated ? text + "…" : text;
    }
}
