using System.Text.Json;

namespace Meroctl.Tests;

/// <summary>Runs meroctl in process against a node and captures what it prints.</summary>
internal static class CliRun
{
    /// <summary>meroctl with <c>--output-format json</c> against <paramref name="api"/>: exit code, stdout, stderr.</summary>
    public static async Task<(int Code, string Out, string Err)> JsonAsync(Uri api, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await Cli.RunAsync(["--api", api.ToString(), "--output-format", "json", .. args], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    public static JsonElement Parse(string text)
    {
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }
}
