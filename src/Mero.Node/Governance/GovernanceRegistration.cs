using Mero.Node.Blobs;
using Mero.Node.Contexts;
using Mero.Node.Replication;
using Mero.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Mero.Node.Governance;

/// <summary>Registers governance in the node: the service (hosted), its context bridge and the context authority.</summary>
public static class GovernanceRegistration
{
    public static IServiceCollection AddGovernance(IServiceCollection services)
    {
        services.TryAddSingleton(new GovernanceOptions());
        services.AddSingleton<IGovernedContexts>(sp => new ManagedGovernedContexts(sp.GetRequiredService<ContextManager>));
        services.AddSingleton(sp => new GovernanceService(
            sp.GetRequiredService<MeroStore>(),
            sp.GetRequiredService<IGovernedContexts>(),
            sp.GetRequiredService<ReplicationNetwork>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<GovernanceOptions>(),
            sp.GetService<ReplicationOutbox>()));
        services.AddHostedService(sp => sp.GetRequiredService<GovernanceService>());
        services.AddSingleton<IContextAuthority, GovernanceContextAuthority>();

        // Blob access by context membership (docs/blobs.md "Access"): members from the authority, signing as the namespace identity.
        services.AddSingleton<IBlobAccess>(sp =>
        {
            var authority = sp.GetRequiredService<IContextAuthority>();
            var governance = sp.GetRequiredService<GovernanceService>();
            return new ContextBlobAccess(
                sp.GetRequiredService<BlobStorage>(),
                authority.MembersAsync,
                (context, payload, ct) => new ValueTask<(PublicKey, byte[])?>(governance.SignForContextAsync(context, payload, ct)),
                sp.GetRequiredService<TimeProvider>());
        });
        return services;
    }
}
