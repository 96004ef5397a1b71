using Mero.Node.Applications;
using Mero.Node.Blobs;
using Mero.Node.Configuration;
using Mero.Node.Contexts;
using Mero.Node.Events;
using Mero.Node.Network;
using Mero.Node.Replication;
using Mero.Runtime;
using Mero.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Mero.Node;

public static class NodeServiceCollectionExtensions
{
    /// <summary>Registers the node's store, runtime and managers; the context manager runs as a hosted service.</summary>
    public static IServiceCollection AddMeroNode(this IServiceCollection services, NodeOptions options)
    {
        options.Validate();
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(_ => MeroStore.Open(options.DataPath));
        // Compiled apps are cached next to the data so a restart does not recompile them.
        services.AddSingleton(sp => new WasmEngine(
            BuildLimits(options.RuntimeLimits),
            sp.GetRequiredService<ILogger<WasmEngine>>(),
            Path.Combine(options.HomeDirectory, "wasm-cache")));
        services.AddSingleton(options.Fetch);
        services.AddSingleton<ApplicationManager>();
        services.AddSingleton<Aliases.AliasStore>();
        services.AddSingleton<EventBus>();
        services.AddHostedService(sp => sp.GetRequiredService<EventBus>());
        services.AddSingleton<ContextManager>();
        services.AddHostedService(sp => sp.GetRequiredService<ContextManager>());
        // Tests may register their own network (a simulated transport) before calling this.
        var network = new ReplicationNetwork();
        services.TryAddSingleton(network);
        services.AddSingleton(options.Replication);
        services.AddSingleton<ReplicationOutbox>();
        services.AddSingleton<ReplicationService>();
        services.AddHostedService(sp => sp.GetRequiredService<ReplicationService>());
        Governance.GovernanceRegistration.AddGovernance(services);
        if (options.Swarm is { } swarm)
        {
            services.AddSingleton(swarm);
            services.AddSingleton<SwarmService>();
            services.AddHostedService(sp => sp.GetRequiredService<SwarmService>());
        }
        else
        {
            network.Attach(null);
        }

        // After the swarm, so the blob service starts once the libp2p node is up.
        services.AddSingleton<BlobStorage>();
        services.AddSingleton(sp => new BlobService(sp.GetRequiredService<BlobStorage>(), sp.GetService<SwarmService>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<BlobService>>(), sp.GetService<Blobs.IBlobAccess>()));
        services.AddHostedService(sp => sp.GetRequiredService<BlobService>());

        return services;
    }

    public static VmLimits BuildLimits(RuntimeLimitOverrides overrides)
    {
        var defaults = new VmLimits();
        var limits = defaults with
        {
            MaxLogs = overrides.MaxLogs ?? defaults.MaxLogs,
            MaxLogSize = overrides.MaxLogSize ?? defaults.MaxLogSize,
            MaxFuel = overrides.MaxFuel ?? defaults.MaxFuel,
            MaxMemoryPages = overrides.MaxMemoryPages ?? defaults.MaxMemoryPages,
            ExecutionDeadline = overrides.ExecutionTimeout ?? defaults.ExecutionDeadline,
            MaxEvents = overrides.MaxEvents ?? defaults.MaxEvents,
            MaxXCalls = overrides.MaxXCalls ?? defaults.MaxXCalls,
            MaxStorageKeySize = overrides.MaxStorageKeySize ?? defaults.MaxStorageKeySize,
            MaxStorageValueSize = overrides.MaxStorageValueSize ?? defaults.MaxStorageValueSize,
        };
        limits.Validate();
        return limits;
    }
}
