namespace Mero.Governance;

/// <summary>Options of <see cref="GovernanceActor"/>.</summary>
public sealed record GovernanceActorOptions
{
    /// <summary>Most commands folded into one RocksDB batch (group commit).</summary>
    public int MaxBatchCommands { get; init; } = 512;

    /// <summary>Bounded mailbox: senders wait when this many commands are queued.</summary>
    public int MailboxCapacity { get; init; } = 8192;

    /// <summary>How long an invitation minted without an explicit lifetime stays claimable.</summary>
    public TimeSpan DefaultInvitationLifetime { get; init; } = TimeSpan.FromDays(7);

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchCommands, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MailboxCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(DefaultInvitationLifetime, TimeSpan.Zero);
    }
}
