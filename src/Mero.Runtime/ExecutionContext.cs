namespace Mero.Runtime;

/// <summary>Who runs the call and where; each id is exactly 32 bytes.</summary>
public sealed record ExecutionContext
{
    public const int IdLength = 32;

    public ExecutionContext(byte[] contextId, byte[] executorId)
    {
        ArgumentNullException.ThrowIfNull(contextId);
        ArgumentNullException.ThrowIfNull(executorId);
        if (contextId.Length != IdLength)
        {
            throw new ArgumentException($"context id must be {IdLength} bytes, got {contextId.Length}", nameof(contextId));
        }

        if (executorId.Length != IdLength)
        {
            throw new ArgumentException($"executor id must be {IdLength} bytes, got {executorId.Length}", nameof(executorId));
        }

        ContextId = contextId;
        ExecutorId = executorId;
    }

    public byte[] ContextId { get; }

    public byte[] ExecutorId { get; }
}
