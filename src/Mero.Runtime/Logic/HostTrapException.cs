namespace Mero.Runtime.Logic;

/// <summary>
/// Thrown from a host callback to trap the guest. The reason is already recorded in
/// <see cref="VmLogic.PendingError"/>, so this carries no data and is never seen by callers.
/// </summary>
internal sealed class HostTrapException : Exception
{
    public HostTrapException()
        : base("guest trapped by the host")
    {
    }

    public HostTrapException(string message)
        : base(message)
    {
    }

    public HostTrapException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
