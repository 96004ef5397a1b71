namespace Mero.Api;

/// <summary>Upstream's <c>GetPeersCountResponse</c>: <c>GET /admin-api/peers</c> answers <c>{"count":N}</c> with no <c>data</c> envelope.</summary>
public sealed record PeersCountResponse(int Count);

/// <summary>
/// <c>GET /admin-api/network/status</c>, bare like upstream's <c>NetworkStatusResponse</c>. We keep its
/// first three fields and add what we have instead of relay/rendezvous/AutoNAT, which we do not run.
/// </summary>
public sealed record NetworkStatusResponse(
    string LocalPeerId,
    IReadOnlyList<string> ListenAddrs,
    IReadOnlyList<string> ExternalAddrs,
    IReadOnlyList<ConnectedPeerDto> ConnectedPeers,
    IReadOnlyList<string> SubscribedTopics);

/// <summary>One connected peer: its open connections' remote addresses and who dialed (<c>inbound</c>/<c>outbound</c>).</summary>
public sealed record ConnectedPeerDto(string PeerId, IReadOnlyList<string> Addrs, IReadOnlyList<string> Directions, string? AgentVersion = null);

/// <summary>
/// <c>POST /admin-api/contexts/sync[/:id]</c>. Upstream answers <c>{"data":{}}</c>; we say what the round did.
/// <c>Status</c> per context: <c>synced</c> (a peer answered), <c>failed</c> (none did), <c>no_peers</c>, <c>offline</c> (no swarm).
/// </summary>
public sealed record SyncContextsData(int Contexts, int Synced, int Failed, int NoPeers, IReadOnlyList<ContextSyncDto> Results);

public sealed record ContextSyncDto(string ContextId, string Status, int PeersAsked, int PeersOk, string? RootHash = null);

/// <summary>Upstream's <c>UninstallApplicationResponseData</c>.</summary>
public sealed record UninstallApplicationData(string ApplicationId);
