namespace Mero.Node.Events;

/// <summary>One event an app emitted during a committed execute; data is opaque bytes (JSON by convention).</summary>
public sealed record AppEvent(string Kind, byte[] Data, string? Handler);

/// <summary>What subscribers of a context learn: its state changed to <paramref name="NewRoot"/>, with the events of that change.</summary>
public sealed record ContextEvent(ContextId ContextId, Hash NewRoot, IReadOnlyList<AppEvent> Events)
{
    /// <summary>Upstream's node-event tag for a committed change.</summary>
    public const string StateMutation = "StateMutation";
}
