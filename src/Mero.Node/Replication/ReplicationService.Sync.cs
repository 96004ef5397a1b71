using System.Buffers.Binary;
using System.Security.Cryptography;
using Mero.Node.Contexts;
using Mero.Node.Replication.Wire;
using Mero.Primitives;
using Mero.Primitives.Clock;
using Mero.Store;
using Microsoft.Extensions.Logging;

namespace Mero.Node.Replication;

/// <summary>
/// The sync protocol, both sides. A session starts with the peer's (heads, root); a fresh joiner
/// whose root differs takes a snapshot; then unknown heads are fetched as ops, walking parents back
/// until everything is known, and applied oldest first (the context manager buffers any op whose
/// parents are still missing).
/// </summary>
public sealed partial class ReplicationService
{
    /// <summary>Set once the service stops: no snapshot session may open after the sessions are closed.</summary>
    private volatile bool _stopping;

    /// <summary>Sealed op bytes one ancestors answer carries at most (well under the response cap).</summary>
    private const long AncestorsResponseBudget = 4L * 1024 * 1024;

    /// <summary>Runs one sync of <paramref name="context"/> with <paramref name="peer"/>; false if the peer did not answer usefully.</summary>
    public async Task<bool> SyncAsync(ContextId context, string peer, CancellationToken ct)
    {
        if (!_syncing.TryAdd(context, 0))
        {
            return true;
        }

        try
        {
            var party = MemberKey(context);
            if (await RequestAsync(peer, new DagHeadsRequest(context, party), ct).ConfigureAwait(false) is not DagHeadsResponse heads)
            {
                return false;
            }

            // A key noted missing since the last round comes first: what follows may be sealed under it.
            await RecoverMissingKeyAsync(context, peer, ct).ConfigureAwait(false);
            var unknown = heads.DagHeads.Where(h => !_contexts.Knows(context, h)).ToList();
            if (unknown.Count == 0)
            {
                return !TreesDiverged(context, heads.DagHeads, heads.RootHash) || await TreeSyncAsync(context, peer, party, ct).ConfigureAwait(false);
            }

            if (_contexts.HasEmptyDag(context) && _contexts.Get(context)?.RootHash != heads.RootHash)
            {
                if (!await SnapshotAsync(context, peer, party, ct).ConfigureAwait(false))
                {
                    return false;
                }

                unknown = [.. heads.DagHeads.Where(h => !_contexts.Knows(context, h))];
            }

            await CatchUpAsync(context, peer, party, unknown, ct).ConfigureAwait(false);
            if (await RecoverMissingKeyAsync(context, peer, ct).ConfigureAwait(false))
            {
                // Some ops came sealed under a key learned just now: fetch them again.
                await CatchUpAsync(context, peer, party, [.. heads.DagHeads.Where(h => !_contexts.Knows(context, h))], ct).ConfigureAwait(false);
            }

            if (heads.DagHeads.Any(h => !_contexts.Knows(context, h)))
            {
                // The peer could not send every op (some it knows only as snapshot checkpoints).
                await TreeSyncAsync(context, peer, party, ct).ConfigureAwait(false);
            }

            return true;
        }
        catch (Exception ex) when (ex is PeerUnreachableException or BorshException or TimeoutException or InvalidDataException)
        {
            LogSyncFailed(_logger, context.ToString(), peer, ex.Message);
            return false;
        }
        finally
        {
            _syncing.TryRemove(context, out _);
        }
    }

    private async Task CatchUpAsync(ContextId context, string peer, PublicKey party, IReadOnlyList<Hash> start, CancellationToken ct)
    {
        var wanted = new Queue<Hash>(start);
        var requested = new HashSet<Hash>(start);
        var got = new HashSet<Hash>();
        var fetched = new List<StateDelta>();
        var rounds = 0;
        while (wanted.Count > 0 && fetched.Count < _options.MaxCatchUpOps)
        {
            var batch = new List<Hash>();
            while (batch.Count < SyncProtocol.MaxDeltasPerRequest && wanted.TryDequeue(out var id))
            {
                if (!got.Contains(id))
                {
                    batch.Add(id);
                }
            }

            if (batch.Count == 0)
            {
                break;
            }

            // The first round asks for exactly the missing heads: while everyone writes, a gap is
            // an op or two, most of its ancestors already on their way by gossip. A gap still open
            // after it is a long absence: then our heads tell the peer where to stop, and one answer
            // spans many DAG levels.
            SyncRequest request = rounds++ == 0
                ? new DeltasRequest(context, party, batch)
                : new AncestorsRequest(context, party, batch, [.. _contexts.Heads(context).Take(WireLimits.MaxHeads)]);
            Interlocked.Increment(ref _catchUpRequests);
            if (await RequestAsync(peer, request, ct).ConfigureAwait(false) is not DeltasResponse response)
            {
                break;
            }

            var arrived = new List<StateDelta>(response.Deltas.Count);
            foreach (var encoded in response.Deltas)
            {
                if (BroadcastMessage.Decode(encoded) is not StateDelta delta || delta.ContextId != context)
                {
                    throw new InvalidDataException("the peer answered with something other than an op of this context");
                }

                if (got.Add(delta.DeltaId) && !_contexts.Knows(context, delta.DeltaId))
                {
                    arrived.Add(delta);
                }
            }

            // Parents are checked once the whole answer is in: breadth first, they usually come later in it.
            foreach (var delta in arrived)
            {
                fetched.Add(delta);
                foreach (var parent in delta.ParentIds)
                {
                    if (!got.Contains(parent) && !_contexts.Knows(context, parent) && requested.Add(parent))
                    {
                        wanted.Enqueue(parent);
                    }
                }
            }
        }

        // Counted before applying: whoever sees the ops applied also sees them counted.
        Interlocked.Add(ref _fetchedBySync, fetched.Count);

        // Discovered newest first: applying in reverse puts parents before children almost always.
        var opened = new List<ContextOp>(fetched.Count);
        for (var i = fetched.Count - 1; i >= 0; i--)
        {
            if (await VerifyAsync(fetched[i], ct).ConfigureAwait(false) is { } op)
            {
                opened.Add(op);
            }
        }

        var applied = 0;
        foreach (var chunk in opened.Chunk(ReceiveBatch))
        {
            applied += (await _contexts.ApplyRemoteAsync(chunk, ct).ConfigureAwait(false)).Where(r => r.Status == RemoteApplyStatus.Applied).Sum(r => r.AppliedCount);
        }

        LogCaughtUp(_logger, context.ToString(), peer, fetched.Count, applied);
    }

    /// <summary>
    /// Fetches a snapshot page by page. Each page is opened (decrypted, decompressed, checked) while the
    /// next is requested, and its records and op ids go straight into sorted files that the install
    /// ingests, so neither side ever holds the whole snapshot in memory.
    /// </summary>
    private async Task<bool> SnapshotAsync(ContextId context, string peer, PublicKey party, CancellationToken ct)
    {
        var started = _time.GetTimestamp();
        long wireBytes = 0;
        var opening = Task.CompletedTask;
        byte[]? cursor = null;
        long total = 0;
        Hash root = default;
        IReadOnlyList<Hash> boundary = [];
        using var received = _contexts.CreateSnapshotReceiver(context);
        try
        {
            do
            {
                if (await RequestAsync(peer, new SnapshotRequest(context, party, cursor, (uint)_options.SnapshotPageBytes), ct).ConfigureAwait(false) is not SnapshotPage page)
                {
                    return false;
                }

                if (cursor is not null && (page.BoundaryRoot != root || !page.BoundaryHeads.SequenceEqual(boundary)))
                {
                    throw new InvalidDataException("snapshot pages disagree on their boundary");
                }

                root = page.BoundaryRoot;
                boundary = page.BoundaryHeads;
                wireBytes += page.Payload.Length;
                total += page.UncompressedLength;
                if (total > _options.MaxSnapshotBytes)
                {
                    throw new InvalidDataException($"snapshot larger than {_options.MaxSnapshotBytes} bytes");
                }

                var key = await PageKeyAsync(context, peer, SnapshotCodec.KeyIdOf(page.Payload), ct).ConfigureAwait(false)
                    ?? throw new InvalidDataException("snapshot sealed under a key this node does not hold");

                // Opening a page (decrypt, decompress, parse, write) overlaps the request for the next one.
                await opening.ConfigureAwait(false);
                opening = Task.Run(() => SnapshotCodec.OpenInto(received, context, page.Payload, page.UncompressedLength, key, SyncProtocol.MaxDecompressedPageBytes), ct);
                cursor = page.Cursor;
            }
            while (cursor is not null);

            await opening.ConfigureAwait(false);
        }
        finally
        {
            // A page still opening writes into the receiver's files: they are deleted only after it stops.
            await opening.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        var fetchedAt = _time.GetElapsedTime(started);
        var installed = await _contexts.InstallSnapshotAsync(new ContextSnapshotInstall(received, root, boundary), ct).ConfigureAwait(false);
        LastSnapshot = new SnapshotStats(context, received.RecordCount, total, wireBytes, _time.GetElapsedTime(started), fetchedAt, installed);
        LogSnapshot(_logger, context.ToString(), peer, received.RecordCount, total, installed);
        return installed;
    }

    /// <summary>The key a page names, recovered from the serving peer when this node lacks it.</summary>
    private async Task<ContextKey?> PageKeyAsync(ContextId context, string peer, Hash keyId, CancellationToken ct)
    {
        if (await _authority!.KeyAsync(context, keyId, ct).ConfigureAwait(false) is { } key)
        {
            return key;
        }

        NoteMissingKey(context, keyId);
        return await RecoverMissingKeyAsync(context, peer, ct).ConfigureAwait(false)
            ? await _authority.KeyAsync(context, keyId, ct).ConfigureAwait(false)
            : null;
    }

    /// <summary>The last snapshot this node fetched (for operators and benchmarks).</summary>
    public SnapshotStats? LastSnapshot { get; private set; }

    private async Task<SyncResponse> RequestAsync(string peer, SyncRequest request, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.RequestTimeout);
        byte[] bytes;
        try
        {
            bytes = await _transport!.RequestAsync(peer, SyncProtocol.Id, request.Encode(), timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"sync request to {peer} timed out");
        }

        var response = SyncResponse.Decode(bytes);
        if (response is SyncRefused refused)
        {
            LogSyncFailed(_logger, "-", peer, "refused: " + refused.Reason);
        }

        return response;
    }

    private PublicKey MemberKey(ContextId context) =>
        _contexts.Identities(context).FirstOrDefault(i => i.IsOwned)?.PublicKey
            ?? throw new InvalidDataException($"this node holds no member key of {context}");

    // ---- serving ----

    private async Task<byte[]> ServeAsync(string fromPeer, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        SyncResponse response;
        try
        {
            response = await AnswerAsync(SyncRequest.Decode(bytes.Span), ct).ConfigureAwait(false);
        }
        catch (BorshException ex)
        {
            response = new SyncRefused("malformed request: " + Truncate(ex.Message));
        }

        return response.Encode();
    }

    private async Task<SyncResponse> AnswerAsync(SyncRequest request, CancellationToken ct)
    {
        switch (request)
        {
            case DagHeadsRequest heads:
                if (await RefusalAsync(heads.ContextId, heads.PartyId, ct).ConfigureAwait(false) is { } refusedHeads)
                {
                    return refusedHeads;
                }

                return _contexts.HeadsAndRoot(heads.ContextId) is { } view
                    ? new DagHeadsResponse([.. view.Heads.Take(WireLimits.MaxHeads)], view.Root)
                    : new NotMaterialized();
            case DeltasRequest deltas:
                if (await RefusalAsync(deltas.ContextId, deltas.PartyId, ct).ConfigureAwait(false) is { } refusedDeltas)
                {
                    return refusedDeltas;
                }

                if (await _authority!.CurrentKeyAsync(deltas.ContextId, ct).ConfigureAwait(false) is not { } key)
                {
                    return new SyncRefused("no key to seal the ops");
                }

                return CollectOps(deltas.ContextId, deltas.DeltaIds, haves: null, key);
            case TreeNodeRequest or EntityPush:
                return await AnswerTreeSyncAsync(request, ct).ConfigureAwait(false);
            case AncestorsRequest ancestors:
                if (await RefusalAsync(ancestors.ContextId, ancestors.PartyId, ct).ConfigureAwait(false) is { } refusedAncestors)
                {
                    return refusedAncestors;
                }

                return await _authority!.CurrentKeyAsync(ancestors.ContextId, ct).ConfigureAwait(false) is { } sealing
                    ? CollectOps(ancestors.ContextId, ancestors.Wanted, ancestors.Haves, sealing)
                    : new SyncRefused("no key to seal the ops");
            case GroupKeyRequest keyRequest:
                return await AnswerKeyRequestAsync(keyRequest, ct).ConfigureAwait(false);
            case SnapshotRequest snapshot:
                return await RefusalAsync(snapshot.ContextId, snapshot.PartyId, ct).ConfigureAwait(false)
                    ?? await SnapshotPageAsync(snapshot, ct).ConfigureAwait(false);
            default:
                return new SyncRefused("unsupported request");
        }
    }

    /// <summary>
    /// The wanted ops (ids this node lacks are listed as missing), then, when <paramref name="haves"/>
    /// is given, their ancestors breadth first, up to one response's worth. The walk stops at the
    /// requester's heads (<paramref name="haves"/>) and skips ancestors older than the oldest of them
    /// that this node knows: those are most likely known already, and if not the requester asks for
    /// them by id.
    /// </summary>
    private DeltasResponse CollectOps(ContextId context, IReadOnlyList<Hash> wanted, IReadOnlyList<Hash>? haves, ContextKey key)
    {
        var stops = haves?.ToHashSet() ?? [];
        HybridTimestamp? cutoff = null;
        foreach (var have in stops)
        {
            if (_contexts.GetOp(context, have) is { } known && (cutoff is null || known.Hlc < cutoff))
            {
                cutoff = known.Hlc;
            }
        }

        var explicitlyWanted = wanted.ToHashSet();
        var queue = new Queue<Hash>(wanted);
        var seen = new HashSet<Hash>(wanted);
        var found = new List<byte[]>();
        var missing = new List<Hash>();
        long bytes = 0;
        while (found.Count < SyncProtocol.MaxDeltasPerRequest && bytes < AncestorsResponseBudget && queue.TryDequeue(out var id))
        {
            if (_contexts.GetOp(context, id) is not { } op)
            {
                if (explicitlyWanted.Contains(id))
                {
                    missing.Add(id);
                }

                continue;
            }

            if (!explicitlyWanted.Contains(id) && cutoff is { } oldest && op.Hlc < oldest)
            {
                continue;
            }

            var encoded = DeltaSealing.Seal(op, key).Encode();
            found.Add(encoded);
            bytes += encoded.Length;
            foreach (var parent in haves is null ? [] : op.Parents)
            {
                if (!stops.Contains(parent) && seen.Add(parent))
                {
                    queue.Enqueue(parent);
                }
            }
        }

        return new DeltasResponse(found, missing);
    }

    /// <summary>Only members of a context this node has joined get answers.</summary>
    private async Task<SyncResponse?> RefusalAsync(ContextId context, PublicKey party, CancellationToken ct)
    {
        if (_contexts.Get(context) is null)
        {
            return new NotMaterialized();
        }

        var members = await _authority!.MembersAsync(context, ct).ConfigureAwait(false);
        return members.Contains(party) ? null : new SyncRefused("not a member of the context");
    }

    private async Task<SyncResponse> SnapshotPageAsync(SnapshotRequest request, CancellationToken ct)
    {
        if (_stopping)
        {
            return new SyncRefused("node is stopping");
        }

        var now = _time.GetUtcNow();
        foreach (var (_, expired) in _sessions.Where(s => s.Value.ExpiresAt <= now).ToList())
        {
            CloseWhenIdle(expired);
        }

        SnapshotSession session;
        uint index = 0;
        if (request.Cursor is null)
        {
            // A requester restarting its snapshot of this context replaces its own old session.
            foreach (var (_, old) in _sessions.Where(s => s.Value.Party == request.PartyId && s.Value.ContextId == request.ContextId).ToList())
            {
                CloseWhenIdle(old);
            }

            if (_sessions.Count >= _options.MaxSnapshotSessions)
            {
                return new SyncRefused("too many snapshot sessions");
            }

            if (await _contexts.OpenSnapshotAsync(request.ContextId, ct).ConfigureAwait(false) is not { } source)
            {
                return new NotMaterialized();
            }

            session = new SnapshotSession(RandomNumberGenerator.GetBytes(16), request.PartyId, new SnapshotPager(source), now + _options.SnapshotSessionLifetime);
            _sessions[session.Id] = session;
            if (_stopping)
            {
                // Stopping began while this session opened: its store snapshot must not outlive the store.
                _sessions.TryRemove(session.Id, out _);
                session.Close();
                return new SyncRefused("node is stopping");
            }
        }
        else
        {
            if (request.Cursor.Length != 20 || !_sessions.TryGetValue(Convert.ToHexString(request.Cursor.AsSpan(0, 16)), out session!) || session.ContextId != request.ContextId || session.Party != request.PartyId)
            {
                return new SyncRefused("unknown or expired snapshot cursor");
            }

            index = BinaryPrimitives.ReadUInt32BigEndian(request.Cursor.AsSpan(16));
        }

        // Op ids do not compress: a quarter of the wire cap stays free for compression and AEAD overhead.
        var limit = (int)Math.Min(request.ByteLimit, SyncProtocol.MaxPageBytes * 3 / 4);
        await session.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (session.Last is { } last && last.Index == index)
            {
                return last.Page;
            }

            if (session.Closed || index != session.NextIndex)
            {
                return new SyncRefused("snapshot cursor out of range");
            }

            var page = await (session.Prefetch ?? BuildPageAsync(session, index, limit, ct)).ConfigureAwait(false);
            session.Prefetch = null;
            session.Last = (index, page);
            session.NextIndex = index + 1;
            session.ExpiresAt = now + _options.SnapshotSessionLifetime;
            if (page.Cursor is null)
            {
                _sessions.TryRemove(session.Id, out _);
                session.Close();
            }
            else
            {
                // The next page is read and sealed while this one travels and the requester opens it.
                session.Prefetch = Task.Run(() => BuildPageAsync(session, index + 1, limit, CancellationToken.None), CancellationToken.None);
            }

            return page;
        }
        catch (Exception ex) when (ex is InvalidOperationException or InvalidDataException)
        {
            _sessions.TryRemove(session.Id, out _);
            session.Close();
            return new SyncRefused("snapshot failed: " + Truncate(ex.Message));
        }
        finally
        {
            session.Gate.Release();
        }
    }

    private async Task<SnapshotPage> BuildPageAsync(SnapshotSession session, uint index, int limit, CancellationToken ct)
    {
        var key = await _authority!.CurrentKeyAsync(session.ContextId, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException("no key to seal the snapshot");
        var (payload, length) = session.Pager.Next(limit, key);
        byte[]? cursor = null;
        if (!session.Pager.Done)
        {
            cursor = new byte[20];
            Convert.FromHexString(session.Id).CopyTo(cursor, 0);
            BinaryPrimitives.WriteUInt32BigEndian(cursor.AsSpan(16), index + 1);
        }

        var source = session.Pager.Source;
        return new SnapshotPage(payload, length, cursor, source.RootHash, source.Heads);
    }

    /// <summary>Drops a session unless a request or a prefetch is using it now (it then ends with that use or expires later).</summary>
    private void CloseWhenIdle(SnapshotSession session)
    {
        if (!session.Gate.Wait(0))
        {
            return;
        }

        try
        {
            if (session.Prefetch is null || session.Prefetch.IsCompleted)
            {
                _sessions.TryRemove(session.Id, out _);
                session.Close();
            }
        }
        finally
        {
            session.Gate.Release();
        }
    }

    private void CloseAllSessions()
    {
        _stopping = true;
        foreach (var (_, session) in _sessions.ToList())
        {
            var idle = session.Gate.Wait(TimeSpan.FromSeconds(5));
            try
            {
                ((IAsyncResult?)session.Prefetch)?.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(5));
                _sessions.TryRemove(session.Id, out _);
                session.Close();
            }
            finally
            {
                if (idle)
                {
                    session.Gate.Release();
                }
            }
        }
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200];

    /// <summary>One fetched snapshot: state records, their plain size, bytes on the wire, time from first request to install, and the share spent fetching pages.</summary>
    public sealed record SnapshotStats(ContextId ContextId, long Records, long PlainBytes, long WireBytes, TimeSpan Elapsed, TimeSpan Fetching, bool Installed);

    /// <summary>One requester's paged read of one frozen context; its gate serves one request at a time.</summary>
    private sealed class SnapshotSession(byte[] id, PublicKey party, SnapshotPager pager, DateTimeOffset expiresAt)
    {
        public string Id { get; } = Convert.ToHexString(id);

        public PublicKey Party { get; } = party;

        public ContextId ContextId => Pager.Source.ContextId;

        public SnapshotPager Pager { get; } = pager;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public DateTimeOffset ExpiresAt { get; set; } = expiresAt;

        public uint NextIndex { get; set; }

        /// <summary>The page served last, served again if the requester retries it.</summary>
        public (uint Index, SnapshotPage Page)? Last { get; set; }

        public Task<SnapshotPage>? Prefetch { get; set; }

        private int _closed;

        public bool Closed => Volatile.Read(ref _closed) != 0;

        /// <summary>Releases the store snapshot once, whichever of stop, expiry or the last page gets here first.</summary>
        public void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                Pager.Dispose();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "sync of {ContextId} with {Peer} failed: {Reason}")]
    private static partial void LogSyncFailed(ILogger logger, string contextId, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "caught up {ContextId} from {Peer}: fetched {Fetched} ops, applied {Applied}")]
    private static partial void LogCaughtUp(ILogger logger, string contextId, string peer, int fetched, int applied);

    [LoggerMessage(Level = LogLevel.Information, Message = "snapshot of {ContextId} from {Peer}: {Records} records, {Bytes} bytes, installed={Installed}")]
    private static partial void LogSnapshot(ILogger logger, string contextId, string peer, long records, long bytes, bool installed);
}
