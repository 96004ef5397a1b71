using System.Collections.Concurrent;
using Mero.Governance;

namespace Mero.Node.Governance;

/// <summary>
/// The context → namespace index. Every write to a context asks whether it is governed; asking
/// each followed namespace's engine would cost one actor round trip per namespace per write (and
/// most of those for local contexts that no namespace knows). The index is rebuilt per namespace
/// from its folded state whenever that namespace's engine opens or applies ops (the actor raises
/// <see cref="GovernanceActor.StateChanged"/> on its loop, so updates are ordered and always read
/// the latest state, including refolds), and a lookup is one dictionary read.
/// </summary>
public sealed partial class GovernanceService
{
    // Written only on the actor loop (StateChanged) or under _indexGate; read from any thread.
    private readonly ConcurrentDictionary<ContextId, GroupId> _contextHomes = new();
    private readonly Dictionary<GroupId, HashSet<ContextId>> _indexed = [];
    private readonly Lock _indexGate = new();

    /// <summary>
    /// The followed namespace a context is registered in, or null for a local (non-governed)
    /// context or one whose namespace this node has left.
    /// </summary>
    public GroupId? NamespaceOfContext(ContextId context) =>
        _contextHomes.TryGetValue(context, out var ns) && Follows(ns) ? ns : null;

    /// <summary>
    /// Signs <paramref name="message"/> as this node's member key in the context's namespace (its
    /// context member key too); null when the context is not in a namespace this node follows.
    /// </summary>
    public async Task<(PublicKey Key, byte[] Signature)?> SignForContextAsync(ContextId context, byte[] message, CancellationToken ct)
    {
        if (NamespaceOfContext(context) is not { } ns)
        {
            return null;
        }

        return await _actor.QueryAsync<(PublicKey, byte[])?>(ns, e => (e.Identity.PublicKey, e.Identity.Signing.Sign(message)), ct).ConfigureAwait(false);
    }

    private void OnStateChanged(GovernanceEngine engine) =>
        Reindex(engine.Namespace, [.. engine.State.AllContexts()]);

    private void Reindex(GroupId ns, HashSet<ContextId> now)
    {
        lock (_indexGate)
        {
            if (_indexed.TryGetValue(ns, out var before))
            {
                foreach (var gone in before.Where(c => !now.Contains(c)))
                {
                    _contextHomes.TryRemove(new KeyValuePair<ContextId, GroupId>(gone, ns));
                }
            }

            foreach (var context in now)
            {
                _contextHomes[context] = ns;
            }

            _indexed[ns] = now;
        }
    }

    /// <summary>Forgets a namespace's contexts (the namespace was deleted here).</summary>
    private void Unindex(GroupId ns) => Reindex(ns, []);
}
