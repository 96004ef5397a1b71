using System.Security.Cryptography;
using System.Threading.Channels;
using Mero.Crypto;
using Mero.Node.Applications;
using Mero.Node.Events;
using Mero.Node.Replication;
using Mero.Runtime;
using Mero.Primitives.Clock;
using Mero.State.Crdt;
using Mero.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mero.Node.Contexts;

/// <summary>
/// Owns every context-changing operation. Commands arrive in one mailbox and one loop runs them in
/// order, so state, roots and records change without locks; each command commits in one batch.
/// Reads (list, get, identities) go straight to the store, which only ever holds whole commits.
/// </summary>
public sealed partial class ContextManager : BackgroundService
{
    private const string InitMethod = "init";

    private readonly Channel<ContextCommand> _mailbox = Channel.CreateBounded<ContextCommand>(
        new BoundedChannelOptions(1024) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly MeroStore _store;
    private readonly ApplicationManager _applications;
    private readonly WasmEngine _engine;
    private readonly TimeProvider _time;
    private readonly ILogger<ContextManager> _logger;
    private readonly EventBus? _events;
    private readonly IRuntimeBlobStore _blobs;
    private readonly FetchPolicy _fetchPolicy;
    private readonly HybridLogicalClock _clock;
    private readonly IContextAuthority? _authority;
    private readonly ReplicationOutbox? _outbox;

    public ContextManager(
        MeroStore store,
        ApplicationManager applications,
        WasmEngine engine,
        TimeProvider time,
        ILogger<ContextManager> logger,
        EventBus? events = null,
        FetchPolicy? fetchPolicy = null,
        IContextAuthority? authority = null,
        ReplicationOutbox? outbox = null)
    {
        _authority = authority;
        _outbox = outbox;
        _blobs = new StoreBlobStore(store);
        _fetchPolicy = fetchPolicy ?? FetchPolicy.Disabled;
        _clock = new HybridLogicalClock(default, time);
        _events = events;
        _store = store;
        _applications = applications;
        _engine = engine;
        _time = time;
        _logger = logger;
        SweepIncomingSnapshots();
        ContextOpLog.EnsureIndexed(store);
    }

    public Task<CreatedContext> CreateAsync(ApplicationId applicationId, byte[]? initArgs, Hash? seed, string? name, CancellationToken ct) =>
        SendAsync(new CreateContextCommand(applicationId, initArgs ?? [], seed, name, ct), ct);

    /// <summary>Creates a context whose member identity is the given Ed25519 seed (a namespace identity) instead of a fresh key.</summary>
    public Task<CreatedContext> CreateAsync(ApplicationId applicationId, byte[]? initArgs, Hash? seed, string? name, byte[] memberSeed, CancellationToken ct) =>
        SendAsync(new CreateContextCommand(applicationId, initArgs ?? [], seed, name, ct) { MemberSeed = memberSeed }, ct);

    /// <summary>
    /// Records a context created elsewhere that this node joined: app, member identity, and an
    /// empty state until replication fills it. Joining twice is a no-op that returns false.
    /// </summary>
    public Task<bool> JoinAsync(ContextId contextId, ApplicationId applicationId, byte[] memberSeed, CancellationToken ct) =>
        SendAsync(new JoinContextCommand(contextId, applicationId, memberSeed, ct), ct);

    public Task<ExecutionReport> ExecuteMethodAsync(ContextId contextId, string method, byte[] input, PublicKey? executor, CancellationToken ct) =>
        SendAsync(new ExecuteCommand(contextId, method, input, executor, ct), ct);

    public Task<bool> DeleteAsync(ContextId contextId, CancellationToken ct) =>
        SendAsync(new DeleteContextCommand(contextId, ct), ct);

    public IReadOnlyList<ContextRecord> List() =>
        [.. _store.Scan(Column.Context, []).Select(kv => ContextRecord.Decode(kv.Value))];

    public ContextRecord? Get(ContextId id) =>
        _store.Get(Column.Context, id.AsSpan()) is { } bytes ? ContextRecord.Decode(bytes) : null;

    public IReadOnlyList<ContextIdentity> Identities(ContextId id) => ContextIdentities.List(_store, id);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var command in _mailbox.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                await HandleAsync(command).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _mailbox.Writer.TryComplete();
            while (_mailbox.Reader.TryRead(out var pending))
            {
                pending.Cancel();
            }
        }
    }

    private async Task<T> SendAsync<T>(ContextCommand<T> command, CancellationToken ct)
    {
        if (!_mailbox.Writer.TryWrite(command))
        {
            await _mailbox.Writer.WriteAsync(command, ct).ConfigureAwait(false);
        }

        return await command.Completion.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    private async Task HandleAsync(ContextCommand command)
    {
        try
        {
            switch (command)
            {
                case CreateContextCommand create:
                    create.Completion.TrySetResult(Create(create));
                    break;
                case ExecuteCommand execute:
                    execute.Completion.TrySetResult(await ExecuteAsync(execute).ConfigureAwait(false));
                    break;
                case JoinContextCommand join:
                    join.Completion.TrySetResult(Join(join));
                    break;
                case DeleteContextCommand delete:
                    delete.Completion.TrySetResult(Delete(delete.ContextId));
                    break;
                case LeaveContextCommand leave:
                    leave.Completion.TrySetResult(Leave(leave.ContextId));
                    break;
                default:
                    HandleReplication(command);
                    break;
            }
        }
        catch (Exception ex) when (ex is NodeException or OperationCanceledException)
        {
            command.Fail(ex);
        }
        catch (Exception ex)
        {
            LogCommandFailed(_logger, command.GetType().Name, ex);
            command.Fail(ex);
        }
    }

    private CreatedContext Create(CreateContextCommand command)
    {
        var module = _applications.LoadModule(command.ApplicationId);
        var contextId = command.Seed is { } seed
            ? ContextId.FromBytes(Hashing.Sha256Tagged("mero/context/v1", seed.ToArray()).AsSpan())
            : ContextId.FromBytes(RandomNumberGenerator.GetBytes(32));
        if (Get(contextId) is not null)
        {
            throw new NodeException(NodeErrorKind.InvalidInput, $"context {contextId} already exists (same seed?)");
        }

        using var member = command.MemberSeed is { } memberSeed ? Ed25519KeyPair.FromSeed(memberSeed) : Ed25519KeyPair.Generate();
        var transaction = new CrdtTransaction(_store, contextId, member.PublicKey, _clock);
        var privateState = new PrivateStateStorage(_store, contextId);
        Outcome? initOutcome = null;
        if (module.ExportedFunctions.Contains(InitMethod))
        {
            var args = command.InitArgs.Length == 0 ? "{}"u8.ToArray() : command.InitArgs;
            var outcome = initOutcome = Run(module, InitMethod, args, contextId, member.PublicKey, transaction, ServicesFor(contextId, privateState, null), command.Token);
            if (!outcome.Success)
            {
                throw new NodeException(NodeErrorKind.InvalidInput, $"the application's init failed: {outcome.Error?.Message}");
            }
        }

        using var batch = _store.CreateBatch();
        var commit = transaction.Commit(batch);
        var rootHash = commit.RootHash;
        var record = new ContextRecord(contextId, command.ApplicationId, rootHash, _time.GetUtcNow().ToUnixTimeMilliseconds(), command.Name);
        var identity = new ContextIdentity(member.PublicKey, member.ExportSeed());
        privateState.WriteTo(batch);
        batch.Put(Column.Context, contextId.AsSpan(), record.Encode());
        ContextIdentities.Put(batch, contextId, identity);

        // The init's writes are the DAG's genesis op, so a member that joins later knows there is
        // state to fetch even before anyone else writes (contexts that never replicate pay one op).
        ContextOp? genesis = null;
        if (commit.Changed)
        {
            genesis = RecordLocalOp(batch, contextId, identity, commit, initOutcome!, null);
        }

        _store.Commit(batch);
        if (genesis is not null)
        {
            CommitHeads(contextId, [genesis.Id]);
        }
        LogCreated(_logger, contextId.ToString(), command.ApplicationId.ToString());
        _outbox?.Post(new ReplicationNotice.ContextFollowed(contextId));
        return new CreatedContext(contextId, member.PublicKey, rootHash);
    }

    private bool Join(JoinContextCommand command)
    {
        if (Get(command.ContextId) is not null)
        {
            return HasLeft(command.ContextId) && Rejoin(command);
        }

        using var member = Ed25519KeyPair.FromSeed(command.MemberSeed);
        var emptyRoot = new CrdtTransaction(_store, command.ContextId, member.PublicKey, _clock).RootHash();
        var record = new ContextRecord(command.ContextId, command.ApplicationId, emptyRoot, _time.GetUtcNow().ToUnixTimeMilliseconds(), null);
        using var batch = _store.CreateBatch();
        batch.Put(Column.Context, command.ContextId.AsSpan(), record.Encode());
        ContextIdentities.Put(batch, command.ContextId, new ContextIdentity(member.PublicKey, member.ExportSeed()));
        _store.Commit(batch);
        LogJoined(_logger, command.ContextId.ToString(), command.ApplicationId.ToString());
        _outbox?.Post(new ReplicationNotice.ContextFollowed(command.ContextId));
        return true;
    }

    /// <summary>Joining a context left locally: its data stayed, so only the member row and the topic come back.</summary>
    private bool Rejoin(JoinContextCommand command)
    {
        using var member = Ed25519KeyPair.FromSeed(command.MemberSeed);
        using var batch = _store.CreateBatch();
        ContextIdentities.Put(batch, command.ContextId, new ContextIdentity(member.PublicKey, member.ExportSeed()));
        batch.Delete(Column.Meta, LeftKey(command.ContextId));
        _store.Commit(batch);
        LogJoined(_logger, command.ContextId.ToString(), command.ApplicationId.ToString());
        _outbox?.Post(new ReplicationNotice.ContextFollowed(command.ContextId));
        return true;
    }

    private async Task<ExecutionReport> ExecuteAsync(ExecuteCommand command)
    {
        var context = Get(command.ContextId)
            ?? throw new NodeException(NodeErrorKind.NotFound, $"context {command.ContextId} not found");
        var member = ResolveExecutor(command.ContextId, command.Executor);
        var executor = member.PublicKey;
        var module = _applications.LoadModule(context.ApplicationId);
        var transaction = new CrdtTransaction(_store, context.Id, executor, _clock);
        var privateState = new PrivateStateStorage(_store, context.Id);
        var services = ServicesFor(context.Id, privateState, command.XCallOrigin);
        var outcome = Run(module, command.Method, command.Input, context.Id, executor, transaction, services, command.Token);
        if (!outcome.Success)
        {
            return new ExecutionReport(context.Id, executor, outcome, context.RootHash, 0);
        }

        var rootHash = context.RootHash;
        var changes = transaction.HasChanges ? transaction.ChangeCount : 0;
        CrdtDelta? delta = null;
        ContextOp? op = null;
        var replicated = transaction.HasChanges && await IsGovernedAsync(context.Id, command.Token).ConfigureAwait(false);
        var governanceHeads = replicated ? await AuthorizeLocalWriteAsync(context.Id, executor, command.Token).ConfigureAwait(false) : null;
        if (transaction.HasChanges || privateState.HasChanges)
        {
            using var batch = _store.CreateBatch();
            if (transaction.HasChanges)
            {
                var commit = transaction.Commit(batch);
                rootHash = commit.RootHash;
                delta = commit.Delta;
                batch.Put(Column.Context, context.Id.AsSpan(), (context with { RootHash = rootHash }).Encode());
                if (replicated)
                {
                    op = RecordLocalOp(batch, context.Id, member, commit, outcome, governanceHeads);
                }
            }

            privateState.WriteTo(batch);
            _store.Commit(batch);
        }

        if (op is not null)
        {
            CommitHeads(op.ContextId, [op.Id]);
            _outbox?.Post(new ReplicationNotice.OpCommitted(op));
        }

        PublishEvents(context.Id, rootHash, outcome, stateChanged: changes > 0);
        AfterCommit(context.Id, outcome, command.XCallDepth);
        return new ExecutionReport(context.Id, executor, outcome, rootHash, changes, delta);
    }

    // Subscribers hear only about committed work: a change of state, or events from a successful call.
    private void PublishEvents(ContextId contextId, Hash root, Outcome outcome, bool stateChanged)
    {
        if (_events is null || !outcome.Success || (!stateChanged && outcome.Events.Count == 0))
        {
            return;
        }

        _events.Publish(new ContextEvent(contextId, root, [.. outcome.Events.Select(e => new AppEvent(e.Kind, e.Data, e.Handler))]));
    }

    private bool Delete(ContextId contextId)
    {
        if (Get(contextId) is null)
        {
            return false;
        }

        using var batch = _store.CreateBatch();
        foreach (var column in new[] { Column.State, Column.PrivateState, Column.Identity, Column.Delta })
        {
            foreach (var (key, _) in _store.Scan(column, contextId.ToArray()))
            {
                batch.Delete(column, key);
            }
        }

        batch.Delete(Column.Context, contextId.AsSpan());
        ForgetLocalRecords(batch, contextId);
        _store.Commit(batch);
        ForgetReplicationState(contextId);
        LogDeleted(_logger, contextId.ToString());
        return true;
    }

    /// <summary>The executor must be a member whose key this node holds; without one, the first owned member acts.</summary>
    private ContextIdentity ResolveExecutor(ContextId contextId, PublicKey? requested)
    {
        var owned = Identities(contextId).Where(i => i.IsOwned).ToList();
        if (requested is { } key)
        {
            return owned.FirstOrDefault(i => i.PublicKey == key)
                ?? throw new NodeException(NodeErrorKind.Unauthorized, $"{key} is not a member of context {contextId} owned by this node");
        }

        return owned.Count > 0
            ? owned[0]
            : throw new NodeException(NodeErrorKind.Unauthorized, $"this node holds no member identity of context {contextId}");
    }

    private Outcome Run(CompiledModule module, string method, byte[] input, ContextId contextId, PublicKey executor, CrdtTransaction transaction, RuntimeServices services, CancellationToken ct)
    {
        var outcome = _engine.Run(module, method, input, new Mero.Runtime.ExecutionContext(contextId.ToArray(), executor.ToArray()), new CrdtTransactionStorage(transaction), services, ct);
        LogExecuted(_logger, contextId.ToString(), method, outcome.Success, outcome.Elapsed.TotalMilliseconds);
        return outcome;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created context {ContextId} running {ApplicationId}")]
    private static partial void LogCreated(ILogger logger, string contextId, string applicationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Joined context {ContextId} running {ApplicationId}")]
    private static partial void LogJoined(ILogger logger, string contextId, string applicationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted context {ContextId}")]
    private static partial void LogDeleted(ILogger logger, string contextId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Executed {Method} on {ContextId}: success={Success} in {ElapsedMs} ms")]
    private static partial void LogExecuted(ILogger logger, string contextId, string method, bool success, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Context command {Command} failed unexpectedly")]
    private static partial void LogCommandFailed(ILogger logger, string command, Exception error);
}
