using System.Text.RegularExpressions;
using Xunit;

namespace Mero.Runtime.Tests;

/// <summary>docs/runtime.md must name every host function the engine links, and only those.</summary>
public sealed partial class HostFunctionDocsTests
{
    [Fact]
    public void Every_registered_host_function_is_documented()
    {
        var root = RepoRoot();
        var runtime = File.ReadAllText(Path.Combine(root, "docs", "runtime.md"));
        var crdt = File.ReadAllText(Path.Combine(root, "docs", "crdt.md"));

        var missing = TestEngines.Default.HostFunctions
            .Where(name => !runtime.Contains($"`{name}`", StringComparison.Ordinal) &&
                           !(name.StartsWith("js_crdt_", StringComparison.Ordinal) && crdt.Contains($"`{name}`", StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(missing.Count == 0, "not in docs/runtime.md: " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_function_in_the_host_function_tables_is_registered()
    {
        var doc = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "runtime.md"));
        var start = doc.IndexOf("## Host functions", StringComparison.Ordinal);
        var end = doc.IndexOf("## Limits", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "docs/runtime.md lost its Host functions or Limits heading");
        var runtime = doc[start..end];
        var registered = TestEngines.Default.HostFunctions.ToHashSet(StringComparer.Ordinal);

        // First cell of each table row, e.g. "| `storage_read` | ..." or "| `a` / `b` | ...".
        var documented = TableRow().Matches(runtime)
            .SelectMany(row => Name().Matches(row.Groups[1].Value).Select(m => m.Groups[1].Value))
            .ToList();

        Assert.Contains("storage_index_scan", documented);
        Assert.Contains("send_proposal", documented);
        var unknown = documented.Where(name => !registered.Contains(name)).ToList();
        Assert.True(unknown.Count == 0, "documented but not registered: " + string.Join(", ", unknown));
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mero.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root (Mero.slnx) not found above the test binaries");
    }

    [GeneratedRegex(@"^\| ([^|]*`[a-z_0-9]+`[^|]*) \|", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    [GeneratedRegex(@"`([a-z_0-9]+)`")]
    private static partial Regex Name();
}
