using System.Collections.Concurrent;
using Mero.Node.Replication.Wire;
using Mero.Primitives;
using Microsoft.Extensions.Logging;

namespace Mero.Node.Replication;

/// <summary>
/// Key sharing inside the sync stream. When data of a context arrives sealed under a key this node
/// lacks (a gossiped op, a caught-up op, a snapshot page), the key id is noted; the next sync with a
/// peer first asks that peer for the key (<see cref="GroupKeyRequest"/>), wrapped to this node's
/// member key, and then fetches again what could not be opened.
/// </summary>
public sealed partial class ReplicationService
{
    private readonly ConcurrentDictionary<ContextId, Hash> _missingKeys = new();
    private long _keysRecovered;

    /// <summary>Keys this node recovered from sync peers.</summary>
    public long KeysRecovered => Interlocked.Read(ref _keysRecovered);

    private void NoteMissingKey(ContextId context, Hash keyId) => _missingKeys[context] = keyId;

    /// <summary>Asks <paramref name="peer"/> for the key this node lacks for the context, if any; true when one was learned.</summary>
    private async Task<bool> RecoverMissingKeyAsync(ContextId context, string peer, CancellationToken ct)
    {
        if (_authority is null || !_missingKeys.TryGetValue(context, out var keyId))
        {
            return false;
        }

        if (await _authority.KeyAsync(context, keyId, ct).ConfigureAwait(false) is not null)
        {
            _missingKeys.TryRemove(KeyValuePair.Create(context, keyId));
            return false;
        }

        if (await _authority.KeyScopeAsync(context, ct).ConfigureAwait(false) is not { } scope)
        {
            return false;
        }

        var answer = await RequestAsync(peer, new GroupKeyRequest(scope.NamespaceId, scope.GroupId, scope.Requester, keyId), ct).ConfigureAwait(false);
        if (answer is not GroupKeyResponse { KeyEnvelope.Length: > 0 } response)
        {
            LogKeyNotServed(_logger, context.ToString(), keyId.ToString(), peer);
            return false;
        }

        if (!await _authority.AcceptKeyAsync(scope.NamespaceId, scope.GroupId, keyId, response.KeyEnvelope, ct).ConfigureAwait(false))
        {
            LogKeyRefused(_logger, context.ToString(), keyId.ToString(), peer);
            return false;
        }

        _missingKeys.TryRemove(KeyValuePair.Create(context, keyId));
        Interlocked.Increment(ref _keysRecovered);
        LogKeyRecovered(_logger, context.ToString(), keyId.ToString(), peer);
        return true;
    }

    /// <summary>Answers a key request; every case not served gets the same empty envelope.</summary>
    private async Task<GroupKeyResponse> AnswerKeyRequestAsync(GroupKeyRequest request, CancellationToken ct)
    {
        if (_authority is null)
        {
            return new GroupKeyResponse([], default);
        }

        var (envelope, responder) = await _authority.WrapKeyAsync(request.NamespaceId, request.GroupId, request.Requester, request.KeyId, ct).ConfigureAwait(false);
        return new GroupKeyResponse(envelope, responder);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "recovered key {KeyId} of {ContextId} from {Peer}")]
    private static partial void LogKeyRecovered(ILogger logger, string contextId, string keyId, string peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "peer {Peer} did not serve key {KeyId} of {ContextId}")]
    private static partial void LogKeyNotServed(ILogger logger, string contextId, string keyId, string peer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "key {KeyId} of {ContextId} from {Peer} does not open for this node; ignored")]
    private static partial void LogKeyRefused(ILogger logger, string contextId, string keyId, string peer);
}
