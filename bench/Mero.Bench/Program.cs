using BenchmarkDotNet.Running;
using Mero.Bench;

// Entries: trace replays print one JSON line; "micro" hands the rest to BenchmarkDotNet.
var command = args.Length > 0 ? args[0] : "";
var runs = Math.Max(1, Option(args, "--runs", 5));
switch (command)
{
    case "rga-trace" when args.Length >= 2:
        return TraceReplay.Run(args[1], runs);
    case "rga-merge" when args.Length >= 2:
        return TraceMerge.Run(args[1], runs, args.Contains("--orders"));
    case "gov-apply":
        return await GovApply.Run(Option(args, "--ops", 100_000));
    case "crdt-delta":
        return CrdtDeltaBench.Run(Option(args, "--iterations", 20000));
    case "crdt-text":
        return CrdtTextBench.Run(Option(args, "--chars", 100_000), Option(args, "--iterations", 2000));
    case "micro":
        BenchmarkSwitcher.FromAssembly(typeof(RgaMicroBenchmarks).Assembly).Run(args[1..]);
        return 0;
    default:
        Console.Error.WriteLine("""
            usage: Mero.Bench rga-trace FILE.json.gz [--runs N]
                   Mero.Bench rga-merge FILE.json.gz [--runs N] [--orders]
                   Mero.Bench gov-apply [--ops N]
                   Mero.Bench crdt-delta [--iterations N]
                   Mero.Bench crdt-text [--chars N] [--iterations N]
                   Mero.Bench micro [BenchmarkDotNet options, e.g. --filter '*']
            """);
        return 2;
}

static int Option(string[] args, string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var value) ? value : fallback;
}
