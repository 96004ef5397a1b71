using System.Text;

namespace Mero.Runtime.Tests;

/// <summary>In-memory storage that records every call, standing in for the node's overlay.</summary>
internal sealed class RecordingStorage : IRuntimeStorage
{
    private readonly Dictionary<string, byte[]> _data = new(StringComparer.Ordinal);

    public List<string> Calls { get; } = [];

    public int Count => _data.Count;

    public byte[]? Get(string key) => _data.GetValueOrDefault(key);

    public void Set(string key, byte[] value) => _data[key] = value;

    public byte[]? Read(ReadOnlySpan<byte> key)
    {
        var k = Key(key);
        Calls.Add($"read {k}");
        return _data.GetValueOrDefault(k);
    }

    public byte[]? Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var k = Key(key);
        Calls.Add($"write {k}");
        var previous = _data.GetValueOrDefault(k);
        _data[k] = value.ToArray();
        return previous;
    }

    public byte[]? Remove(ReadOnlySpan<byte> key)
    {
        var k = Key(key);
        Calls.Add($"remove {k}");
        return _data.Remove(k, out var previous) ? previous : null;
    }

    private static string Key(ReadOnlySpan<byte> key) => Encoding.UTF8.GetString(key);
}
