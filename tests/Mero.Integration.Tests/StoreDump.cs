using Mero.Store;

namespace Mero.Integration.Tests;

/// <summary>Every key and value of every column of a stopped node's store, to compare before and after.</summary>
public static class StoreDump
{
    public static IReadOnlyList<string> Read(string nodeHome)
    {
        using var store = MeroStore.Open(Path.Combine(nodeHome, "data"));
        var lines = new List<string>();
        foreach (var column in Enum.GetValues<Column>())
        {
            lines.AddRange(store.Scan(column, []).Select(kv => $"{column}:{Convert.ToHexString(kv.Key)}={Convert.ToHexString(kv.Value)}"));
        }

        return lines;
    }
}
