using System.Buffers.Binary;
using System.Security.Cryptography;
using Mero.Runtime.Logic;
using NSec.Cryptography;

namespace Mero.Runtime.Host;

/// <summary>random_bytes, time_now and ed25519_verify.</summary>
internal static class UtilityFunctions
{
    private const int PublicKeyLength = 32;
    private const int SignatureLength = 64;
    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;

    public static void Define(HostFunctionRegistry registry)
    {
        registry.Action("random_bytes", RandomBytes);
        registry.Action("time_now", TimeNow);
        registry.FuncU32("ed25519_verify", Ed25519Verify);
    }

    /// <summary>Fills the whole buffer, from the per-call source if the node gave one.</summary>
    private static void RandomBytes(VmLogic logic, ulong bufferPtr)
    {
        var buffer = logic.Memory.ReadBuffer(bufferPtr);
        // Bounds first, so a wild length traps instead of allocating.
        logic.Memory.Read(buffer.Ptr, buffer.Len);
        var bytes = new byte[buffer.Len];
        if (logic.Services.Random is { } random)
        {
            random.NextBytes(bytes);
        }
        else
        {
            RandomNumberGenerator.Fill(bytes);
        }

        logic.Memory.Write(buffer, bytes);
    }

    /// <summary>Writes the wall clock as u64 nanoseconds since the Unix epoch into an 8-byte buffer.</summary>
    private static void TimeNow(VmLogic logic, ulong bufferPtr)
    {
        var buffer = logic.Memory.ReadBuffer(bufferPtr);
        if (buffer.Len != sizeof(ulong))
        {
            throw logic.Fail(HostErrorCode.InvalidMemoryAccess, $"invalid memory access: time_now needs an 8-byte buffer (received {buffer.Len})");
        }

        var sinceEpoch = logic.Services.Clock.GetUtcNow() - DateTimeOffset.UnixEpoch;
        var nanos = (ulong)sinceEpoch.Ticks * 100;
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, nanos);
        logic.Memory.Write(buffer, bytes);
    }

    /// <summary>1 if the signature is valid, 0 if not; a malformed public key traps, as upstream.</summary>
    private static uint Ed25519Verify(VmLogic logic, ulong signaturePtr, ulong publicKeyPtr, ulong messagePtr)
    {
        var signature = logic.ReadExact(signaturePtr, SignatureLength, "signature");
        var publicKey = logic.ReadExact(publicKeyPtr, PublicKeyLength, "public key");
        var message = logic.Memory.ReadBuffer(messagePtr);
        if (!NSec.Cryptography.PublicKey.TryImport(Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out var key) || key is null)
        {
            throw logic.Fail(HostErrorCode.Ed25519IncorrectPublicKey, "the public key is not a valid Ed25519 public key");
        }

        return Ed25519.Verify(key, logic.Memory.Read(message.Ptr, message.Len), signature) ? 1u : 0u;
    }
}
