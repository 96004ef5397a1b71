using System.Buffers.Binary;
using Mero.Runtime.Logic;

namespace Mero.Runtime.Host;

/// <summary>
/// Context and membership changes (queued as <see cref="ContextMutation"/>s, applied by the node
/// only after a successful commit) and membership queries.
/// </summary>
internal static class ContextFunctions
{
    private const int IdLength = 32;
    private const int MaxProtocolLength = 64;
    private const int MaxAliasLength = 50;

    public static void Define(HostFunctionRegistry registry)
    {
        registry.Action("context_create", Create);
        registry.Action("context_delete", (logic, ptr) => Queue(logic, new ContextMutation.DeleteContext(logic.ReadExact(ptr, IdLength, "context id"))));
        registry.Action("context_add_member", (logic, ptr) => Queue(logic, new ContextMutation.AddMember(logic.ReadExact(ptr, IdLength, "public key"))));
        registry.Action("context_remove_member", (logic, ptr) => Queue(logic, new ContextMutation.RemoveMember(logic.ReadExact(ptr, IdLength, "public key"))));
        registry.FuncU32("context_is_member", IsMember);
        registry.Action("context_members", Members);
    }

    /// <summary>(protocol, application id[32], init args, alias or 0).</summary>
    private static void Create(VmLogic logic, ulong protocolPtr, ulong applicationIdPtr, ulong argsPtr, ulong aliasPtr)
    {
        var protocol = ReadBoundedUtf8(logic, protocolPtr, MaxProtocolLength, "protocol");
        var applicationId = logic.ReadExact(applicationIdPtr, IdLength, "application id");
        var args = StorageFunctions.ReadValue(logic, argsPtr);
        var alias = aliasPtr == 0 ? null : ReadBoundedUtf8(logic, aliasPtr, MaxAliasLength, "alias");
        Queue(logic, new ContextMutation.CreateContext(protocol, applicationId, logic.Memory.ReadBytes(args), string.IsNullOrEmpty(alias) ? null : alias));
    }

    private static uint IsMember(VmLogic logic, ulong publicKeyPtr)
    {
        var key = logic.ReadExact(publicKeyPtr, IdLength, "public key");
        return logic.Services.Membership?.IsMember(key) == true ? 1u : 0u;
    }

    /// <summary>Borsh Vec&lt;[u8; 32]&gt;: u32 count then the keys.</summary>
    private static void Members(VmLogic logic, ulong registerId)
    {
        var members = logic.Services.Membership?.Members() ?? [];
        var bytes = new byte[sizeof(uint) + (members.Count * IdLength)];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)members.Count);
        for (var i = 0; i < members.Count; i++)
        {
            members[i].CopyTo(bytes, sizeof(uint) + (i * IdLength));
        }

        logic.SetRegister(registerId, bytes);
    }

    private static void Queue(VmLogic logic, ContextMutation mutation)
    {
        if (logic.ContextMutations.Count >= logic.Limits.MaxContextMutations)
        {
            throw logic.Fail(HostErrorCode.ContextMutationsOverflow, $"context mutations overflow (max: {logic.Limits.MaxContextMutations})");
        }

        logic.ContextMutations.Add(mutation);
    }

    private static string ReadBoundedUtf8(VmLogic logic, ulong ptr, int max, string what)
    {
        var buffer = logic.Memory.ReadBuffer(ptr);
        if (buffer.Len > (ulong)max)
        {
            throw logic.Fail(HostErrorCode.InvalidIdLength, $"{what} is too long (size: {buffer.Len}, max: {max})");
        }

        return logic.Memory.ReadUtf8(buffer);
    }
}
