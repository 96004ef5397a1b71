using Mero.Node.Bench;

// Each entry prints one JSON line, so scripts and docs/benchmarks.md can quote it verbatim.
var command = args.Length > 0 ? args[0] : "";
var duration = TimeSpan.FromSeconds(Option(args, "--seconds", 10));
switch (command)
{
    case "kv-inproc":
        return await InProcessKvBench.RunAsync(duration, Option(args, "--submitters", 1));
    case "kv-http":
        return await HttpKvBench.RunAsync(duration, Option(args, "--clients", 64));
    case "replication-converge":
        return await ReplicationBench.ConvergeAsync(Option(args, "--nodes", 5), Option(args, "--writes", 1000));
    case "replication-snapshot":
        return await ReplicationBench.SnapshotAsync(Option(args, "--entries", 100_000));
    default:
        Console.Error.WriteLine("""
            usage: Mero.Node.Bench kv-inproc [--seconds N] [--submitters N]
                   Mero.Node.Bench kv-http [--seconds N] [--clients N]
                   Mero.Node.Bench replication-converge [--nodes N] [--writes N]
                   Mero.Node.Bench replication-snapshot [--entries N]
            Build first: scripts/build-apps.sh && dotnet build Mero.slnx -c Release
            """);
        return 2;
}

static int Option(string[] args, string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var value) && value > 0 ? value : fallback;
}
