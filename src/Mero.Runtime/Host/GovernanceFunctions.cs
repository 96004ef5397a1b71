using Mero.Runtime.Logic;

namespace Mero.Runtime.Host;

/// <summary>
/// send_proposal / approve_proposal, with the provisional signatures of upstream's "Governance
/// (Planned)" section. Linked so a guest importing them installs, and refused with NotSupported
/// when called: current upstream has no guest governance (proposals are signed group operations
/// an admin makes), and on this node governance is Mero.Governance, driven by the admin API.
/// </summary>
internal static class GovernanceFunctions
{
    public static void Define(HostFunctionRegistry registry)
    {
        registry.Action("send_proposal", (logic, _, _) => throw Refuse(logic, "send_proposal"));
        registry.Action("approve_proposal", (logic, _) => throw Refuse(logic, "approve_proposal"));
    }

    private static HostTrapException Refuse(VmLogic logic, string name) =>
        logic.Fail(
            HostErrorCode.NotSupported,
            $"host function '{name}' is not supported: apps cannot make governance proposals on this node; " +
            "governance is signed group operations made through the admin API (docs/runtime.md)");
}
