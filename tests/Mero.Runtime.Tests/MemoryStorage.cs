using System.Text;

namespace Mero.Runtime.Tests;

/// <summary>
/// A committed store plus a per-call overlay, like the node's transaction: <see cref="Commit"/>
/// keeps the overlay only when the call succeeded, so tests can check that failures lose nothing.
/// </summary>
internal sealed class MemoryStorage : IRuntimeStorage
{
    private Dictionary<string, byte[]?> _overlay = new(StringComparer.Ordinal);

    public Dictionary<string, byte[]> Committed { get; } = new(StringComparer.Ordinal);

    public byte[]? Read(ReadOnlySpan<byte> key)
    {
        var k = Key(key);
        return _overlay.TryGetValue(k, out var v) ? v : Committed.GetValueOrDefault(k);
    }

    public byte[]? Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var previous = Read(key);
        _overlay[Key(key)] = value.ToArray();
        return previous;
    }

    public byte[]? Remove(ReadOnlySpan<byte> key)
    {
        var previous = Read(key);
        _overlay[Key(key)] = null;
        return previous;
    }

    public Outcome Commit(Outcome outcome)
    {
        if (outcome.Success)
        {
            foreach (var (k, v) in _overlay)
            {
                if (v is null)
                {
                    Committed.Remove(k);
                }
                else
                {
                    Committed[k] = v;
                }
            }
        }

        _overlay = new(StringComparer.Ordinal);
        return outcome;
    }

    public string Snapshot() =>
        string.Join(";", Committed.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={Convert.ToHexString(kv.Value)}"));

    private static string Key(ReadOnlySpan<byte> key) => Encoding.UTF8.GetString(key);
}
