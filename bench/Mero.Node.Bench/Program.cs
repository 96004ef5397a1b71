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
    default:
        Console.Error.WriteLine("""
            usage: Mero.Node.Bench kv-inproc [--seconds N] [--submitters N]
                   Mero.Node.Bench kv-http [--seconds N] [--clients N]
            Build first: scripts/build-apps.sh && dotnet build Mero.slnx -c Release
            """);
        return 2;
}

static int Option(string[] args, string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var value) && value > 0 ? value : fallback;
}
