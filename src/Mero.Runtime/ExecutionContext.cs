namespace Mero.Runtime;

/// <summary>
/// Who runs the call and where; each id is exactly 32 bytes. <see cref="ExecutorId"/> is the member
/// key that signs and stamps the call's writes (upstream's device); <see cref="AccountId"/> is whom
/// the call is authorized as (upstream's account). The node has no accounts spanning several keys,
/// so it leaves the account equal to the executor.
/// </summary>
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
        _accountId = executorId;
    }

    private readonly byte[] _accountId;

    public byte[] ContextId { get; }

    public byte[] ExecutorId { get; }

    /// <summary>What account_id (and the executor_id shim) report; defaults to <see cref="ExecutorId"/>.</summary>
    public byte[] AccountId
    {
        get => _accountId;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Length != IdLength)
            {
                throw new ArgumentException($"account id must be {IdLength} bytes, got {value.Length}", nameof(value));
            }

            _accountId = value;
        }
    }
}
