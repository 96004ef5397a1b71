using Xunit;

namespace Mero.Governance.Tests;

/// <summary>
/// Several admins author random ops concurrently (partial gossip between rounds); replicas then
/// receive every op in a different random order with duplicates and must reach the same state,
/// state hash and heads, and reproduce them after a restart.
/// </summary>
public sealed class ConvergenceTests
{
    private const int Replicas = 4;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Replicas_converge_whatever_the_order_and_survive_restart(int seed)
    {
        var random = new Random(seed);
        var ns = GroupId.FromBytes(Bytes(random));
        using var founder = TestNode.Founder(ns);
        using var adminB = TestNode.Create(ns);
        using var adminC = TestNode.Create(ns);
        var replicaIds = Enumerable.Range(0, Replicas).Select(_ => NamespaceIdentity.Generate()).ToList();
        var replicas = replicaIds.Select(id => TestNode.Create(ns, id)).ToList();
        try
        {
            founder.AddWithKeys(ns, adminB, GroupRole.Admin);
            founder.AddWithKeys(ns, adminC, GroupRole.Admin);
            foreach (var replica in replicas)
            {
                founder.AddWithKeys(ns, replica, GroupRole.ReadOnly);
            }

            adminB.ReceiveAll(founder.Engine.AppliedOps);
            adminC.ReceiveAll(founder.Engine.AppliedOps);
            Assert.Equal(founder.Engine.StateHash, adminB.Engine.StateHash);

            var admins = new[] { founder, adminB, adminC };
            var pool = Enumerable.Range(0, 8).Select(_ => NamespaceIdentity.Generate()).ToList();
            var protectedKeys = admins.Select(a => a.Key).Concat(replicas.Select(r => r.Key)).ToHashSet();
            var issued = 0;
            var kinds = new HashSet<string>();
            for (var round = 0; round < 14; round++)
            {
                foreach (var admin in admins)
                {
                    for (var k = random.Next(1, 4); k > 0; k--)
                    {
                        if (TryRandomOp(admin, random, pool, protectedKeys, admins) is { } applied)
                        {
                            issued++;
                            kinds.Add(applied.GetType().Name);
                        }
                    }
                }

                foreach (var from in admins)
                {
                    foreach (var to in admins.Where(a => a != from && random.Next(2) == 0))
                    {
                        to.ReceiveAll(from.Engine.AppliedOps);
                    }
                }
            }

            for (var pass = 0; pass < 2; pass++)
            {
                foreach (var from in admins)
                {
                    foreach (var to in admins.Where(a => a != from))
                    {
                        to.ReceiveAll(from.Engine.AppliedOps);
                    }
                }
            }

            Assert.True(issued > 40, $"only {issued} random ops were accepted");
            Assert.Contains(nameof(ReparentGroupOp), kinds);
            Assert.Contains(nameof(TransferOwnershipOp), kinds);
            var all = founder.Engine.AppliedOps.ToList();
            Assert.All(admins, a => Assert.Equal(all.Count, a.Engine.AppliedCount));
            Assert.All(admins, a => Assert.Equal(founder.Engine.StateHash, a.Engine.StateHash));

            foreach (var replica in replicas)
            {
                var order = all.Concat(all.Where(_ => random.Next(4) == 0)).OrderBy(_ => random.Next()).ToList();
                foreach (var op in order)
                {
                    var result = replica.Receive(op.Wire);
                    Assert.NotEqual(ApplyStatus.Rejected, result.Status);
                }

                Assert.Equal(0, replica.Engine.PendingCount);
                Assert.Equal(all.Count, replica.Engine.AppliedCount);
                Assert.Equal(founder.Engine.StateHash, replica.Engine.StateHash);
                Assert.Equal(founder.Engine.Heads, replica.Engine.Heads);
                Assert.Equal(founder.Engine.LiveStateRecords(), replica.Engine.LiveStateRecords());
                Assert.Equal(replica.Engine.LiveStateRecords(), replica.Engine.PersistedStateRecords());
                Assert.Equal(replica.Engine.Heads, replica.Engine.PersistedHeads());

                replica.Restart();
                Assert.Equal(founder.Engine.StateHash, replica.Engine.StateHash);
                Assert.Equal(founder.Engine.Heads, replica.Engine.Heads);
                Assert.Equal(founder.Engine.LiveStateRecords(), replica.Engine.LiveStateRecords());
                Assert.Equal(all.Count, replica.Engine.AppliedCount);
            }
        }
        finally
        {
            replicas.ForEach(r => r.Dispose());
        }
    }

    private static GroupOp? TryRandomOp(TestNode admin, Random random, List<NamespaceIdentity> pool, HashSet<PublicKey> protectedKeys, TestNode[] admins)
    {
        var state = admin.Engine.State;
        var groups = state.Groups().Order().ToList();
        var group = groups[random.Next(groups.Count)];
        var subgroups = groups.Where(g => g != admin.Namespace).ToList();
        var contexts = groups.SelectMany(state.Contexts).Order().ToList();
        var member = pool[random.Next(pool.Count)];
        GroupOp? op = random.Next(20) switch
        {
            0 or 1 => new CreateGroupOp(GroupId.FromBytes(Bytes(random)), group, random.Next(3) switch { 0 => Visibility.Open, 1 => Visibility.Restricted, _ => null }, admin.AgreementKey, []),
            2 or 3 => new AddMemberOp(group, member.PublicKey, (GroupRole)random.Next(3), member.Agreement.PublicKey),
            4 => state.Members(group).Where(m => !protectedKeys.Contains(m.Member)).Select(m => m.Member).Order().FirstOrDefault() is { } victim && victim != default
                ? new RemoveMemberOp(group, victim, default, [])
                : null,
            5 => new SetRoleOp(group, member.PublicKey, (GroupRole)random.Next(3)),
            6 => new SetCapabilitiesOp(group, member.PublicKey, (Capabilities)random.Next(512)),
            7 => new SetDefaultCapabilitiesOp(group, (Capabilities)random.Next(512)),
            8 => subgroups.Count > 0 ? new SetVisibilityOp(subgroups[random.Next(subgroups.Count)], (Visibility)random.Next(2)) : null,
            9 => new SetDefaultVisibilityOp(group, (Visibility)random.Next(2)),
            10 => new RegisterContextOp(group, ContextId.FromBytes(Bytes(random))),
            11 => contexts.Count > 0 ? DetachOrJoin(state, contexts[random.Next(contexts.Count)], random) : null,
            12 => new SetGroupAliasOp(group, $"g{random.Next(1000)}"),
            13 => new SetMetadataOp(group, MetadataTarget.Group, [], Bytes(random)),
            14 => new SetUpgradeTargetOp(admin.Namespace, ApplicationId.FromBytes(Bytes(random))),
            // Moves may close a loop with a concurrent move elsewhere: every replica must skip the same one.
            16 => subgroups.Count > 0 ? new ReparentGroupOp(subgroups[random.Next(subgroups.Count)], groups[random.Next(groups.Count)]) : null,
            // Only the owner's succeeds; ownership then wanders between the admins.
            17 or 18 or 19 => new TransferOwnershipOp(admin.Namespace, admins.Where(a => a != admin).ElementAt(random.Next(admins.Length - 1)).Key),
            _ => subgroups.Count > 0 && random.Next(3) == 0 ? new DeleteGroupOp(subgroups[random.Next(subgroups.Count)]) : new SetMemberAliasOp(group, admin.Key, $"admin{random.Next(100)}"),
        };

        return op is not null && admin.Issue(op).Result.Status == ApplyStatus.Applied ? op : null;
    }

    private static GroupOp DetachOrJoin(GovernanceState state, ContextId context, Random random)
    {
        var group = state.ContextGroup(context)!.Value;
        return random.Next(2) == 0 ? new DetachContextOp(group, context) : new JoinContextOp(group, context);
    }

    private static byte[] Bytes(Random random)
    {
        var bytes = new byte[32];
        random.NextBytes(bytes);
        return bytes;
    }
}
