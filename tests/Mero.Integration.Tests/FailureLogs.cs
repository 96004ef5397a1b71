namespace Mero.Integration.Tests;

/// <summary>
/// Runs a multi-node test body and, when it fails, rethrows with the last lines of every node's
/// log: a failure seen only in CI must carry what the nodes were doing.
/// </summary>
public static class FailureLogs
{
    private const int TailLines = 60;

    public static async Task RunAsync(IReadOnlyList<MerodProcess> nodes, Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (Exception e)
        {
            var logs = string.Join('\n', nodes.Select(n => $"--- {n.NodeName} (last {TailLines} lines of its log)\n{Tail(n.Output)}"));
            throw new Xunit.Sdk.XunitException($"{e.GetType().Name}: {e.Message}\n{logs}\n--- original stack\n{e.StackTrace}");
        }
    }

    private static string Tail(string log)
    {
        var lines = log.Split('\n');
        return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - TailLines)));
    }
}
