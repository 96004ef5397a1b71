using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Mero.Primitives;

namespace Mero.Network.Multiformats;

/// <summary>The multiaddr protocols this implementation reads and writes (code = multicodec).</summary>
public enum MultiaddrProtocol
{
    Ip4 = 0x04,
    Tcp = 0x06,
    Dns = 0x35,
    Dns4 = 0x36,
    Dns6 = 0x37,
    Dnsaddr = 0x38,
    Ip6 = 0x29,
    Udp = 0x0111,
    P2pCircuit = 0x0122,
    P2p = 0x01A5,
    Tls = 0x01C0,
    QuicV1 = 0x01CC,
    Ws = 0x01DD,
}

/// <summary>One protocol of a multiaddr and its value in binary form (empty for value-less protocols).</summary>
public readonly record struct MultiaddrComponent(MultiaddrProtocol Protocol, byte[] Value)
{
    public string Name => Multiaddr.NameOf(Protocol);

    public string ValueText => Multiaddr.FormatValue(Protocol, Value);

    public bool Equals(MultiaddrComponent other) => Protocol == other.Protocol && Value.AsSpan().SequenceEqual(other.Value);

    public override int GetHashCode() => HashCode.Combine(Protocol, Value.Length);
}

/// <summary>
/// A self-describing network address (multiformats/multiaddr): text <c>/ip4/127.0.0.1/tcp/2428/p2p/12D3…</c>
/// and binary (uvarint code ‖ value, values of variable size length-prefixed). Immutable.
/// </summary>
public sealed class Multiaddr : IEquatable<Multiaddr>
{
    private const int MaxBytes = 1024;

    private static readonly (MultiaddrProtocol Protocol, string Name, int Size)[] Table =
    [
        (MultiaddrProtocol.Ip4, "ip4", 4),
        (MultiaddrProtocol.Tcp, "tcp", 2),
        (MultiaddrProtocol.Dns, "dns", -1),
        (MultiaddrProtocol.Dns4, "dns4", -1),
        (MultiaddrProtocol.Dns6, "dns6", -1),
        (MultiaddrProtocol.Dnsaddr, "dnsaddr", -1),
        (MultiaddrProtocol.Ip6, "ip6", 16),
        (MultiaddrProtocol.Udp, "udp", 2),
        (MultiaddrProtocol.P2pCircuit, "p2p-circuit", 0),
        (MultiaddrProtocol.P2p, "p2p", -1),
        (MultiaddrProtocol.Tls, "tls", 0),
        (MultiaddrProtocol.QuicV1, "quic-v1", 0),
        (MultiaddrProtocol.Ws, "ws", 0),
    ];

    private readonly MultiaddrComponent[] _components;

    public Multiaddr(IEnumerable<MultiaddrComponent> components) => _components = [.. components];

    public IReadOnlyList<MultiaddrComponent> Components => _components;

    /// <summary>The peer id of a trailing <c>/p2p/…</c>, if any.</summary>
    public PeerId? PeerId => _components.Length > 0 && _components[^1].Protocol == MultiaddrProtocol.P2p ? Multiformats.PeerId.FromBytes(_components[^1].Value) : null;

    public static Multiaddr Parse(string text) =>
        TryParse(text, out var address, out var error) ? address : throw new FormatException($"invalid multiaddr '{Shorten(text)}': {error}");

    public static bool TryParse(string? text, [NotNullWhen(true)] out Multiaddr? address) => TryParse(text, out address, out _);

    private static bool TryParse(string? text, [NotNullWhen(true)] out Multiaddr? address, out string error)
    {
        address = null;
        error = "";
        if (string.IsNullOrEmpty(text) || text[0] != '/' || text.Length > 2048)
        {
            error = "must start with '/'";
            return false;
        }

        var parts = text.Split('/');
        var components = new List<MultiaddrComponent>();
        var i = 1;
        if (parts[^1].Length == 0)
        {
            parts = parts[..^1];
        }

        while (i < parts.Length)
        {
            var name = parts[i++];
            var entry = Array.FindIndex(Table, t => t.Name == name);
            if (name == "ipfs")
            {
                entry = Array.FindIndex(Table, t => t.Protocol == MultiaddrProtocol.P2p);
            }

            if (entry < 0)
            {
                error = $"unknown protocol '{name}'";
                return false;
            }

            var (protocol, _, size) = Table[entry];
            if (size == 0)
            {
                components.Add(new(protocol, []));
                continue;
            }

            if (i >= parts.Length)
            {
                error = $"'{name}' needs a value";
                return false;
            }

            if (!TryParseValue(protocol, parts[i++], out var value))
            {
                error = $"bad value for '{name}'";
                return false;
            }

            components.Add(new(protocol, value));
        }

        if (components.Count == 0)
        {
            error = "empty";
            return false;
        }

        address = new(components);
        return true;
    }

    public static Multiaddr FromBytes(ReadOnlySpan<byte> bytes) =>
        TryFromBytes(bytes, out var address) ? address : throw new FormatException("invalid binary multiaddr");

    public static bool TryFromBytes(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out Multiaddr? address)
    {
        address = null;
        if (bytes.IsEmpty || bytes.Length > MaxBytes)
        {
            return false;
        }

        var components = new List<MultiaddrComponent>();
        try
        {
            while (!bytes.IsEmpty)
            {
                var code = Varint.Read(bytes, out var n);
                bytes = bytes[n..];
                var entry = Array.FindIndex(Table, t => (ulong)t.Protocol == code);
                if (entry < 0)
                {
                    return false;
                }

                var (protocol, _, size) = Table[entry];
                if (size < 0)
                {
                    var length = Varint.Read(bytes, out n);
                    bytes = bytes[n..];
                    if (length > (ulong)bytes.Length)
                    {
                        return false;
                    }

                    size = (int)length;
                }

                if (size > bytes.Length)
                {
                    return false;
                }

                var value = bytes[..size].ToArray();
                if (protocol == MultiaddrProtocol.P2p && !Multiformats.PeerId.TryFromBytes(value, out _))
                {
                    return false;
                }

                components.Add(new(protocol, value));
                bytes = bytes[size..];
            }
        }
        catch (FormatException)
        {
            return false;
        }

        address = new(components);
        return true;
    }

    public byte[] ToBytes()
    {
        var buffer = new List<byte>(32);
        Span<byte> scratch = stackalloc byte[Varint.MaxLength];
        foreach (var component in _components)
        {
            var n = Varint.Write((ulong)component.Protocol, scratch);
            buffer.AddRange(scratch[..n]);
            if (SizeOf(component.Protocol) < 0)
            {
                n = Varint.Write((ulong)component.Value.Length, scratch);
                buffer.AddRange(scratch[..n]);
            }

            buffer.AddRange(component.Value);
        }

        return [.. buffer];
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var component in _components)
        {
            text.Append('/').Append(component.Name);
            if (component.Value.Length > 0 || SizeOf(component.Protocol) != 0)
            {
                text.Append('/').Append(component.ValueText);
            }
        }

        return text.ToString();
    }

    public static Multiaddr FromEndPoint(IPEndPoint endPoint)
    {
        var address = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
        var ip = address.AddressFamily == AddressFamily.InterNetwork
            ? new MultiaddrComponent(MultiaddrProtocol.Ip4, address.GetAddressBytes())
            : new MultiaddrComponent(MultiaddrProtocol.Ip6, address.GetAddressBytes());
        return new([ip, new(MultiaddrProtocol.Tcp, [(byte)(endPoint.Port >> 8), (byte)endPoint.Port])]);
    }

    /// <summary>The TCP endpoint of an <c>/ip4|ip6/…/tcp/…</c> prefix (a trailing /p2p is allowed).</summary>
    public bool TryGetTcpEndPoint([NotNullWhen(true)] out IPEndPoint? endPoint)
    {
        endPoint = null;
        if (_components.Length < 2 || _components[1].Protocol != MultiaddrProtocol.Tcp)
        {
            return false;
        }

        if (_components.Length > 3 || (_components.Length == 3 && _components[2].Protocol != MultiaddrProtocol.P2p))
        {
            return false;
        }

        var first = _components[0];
        if (first.Protocol is not (MultiaddrProtocol.Ip4 or MultiaddrProtocol.Ip6))
        {
            return false;
        }

        var port = (_components[1].Value[0] << 8) | _components[1].Value[1];
        endPoint = new IPEndPoint(new IPAddress(first.Value), port);
        return true;
    }

    public Multiaddr WithPeerId(PeerId peer) =>
        new([.. WithoutPeerId()._components, new MultiaddrComponent(MultiaddrProtocol.P2p, peer.ToBytes())]);

    public Multiaddr WithoutPeerId() =>
        _components.Length > 1 && _components[^1].Protocol == MultiaddrProtocol.P2p ? new(_components[..^1]) : this;

    public Multiaddr Encapsulate(Multiaddr inner) => new([.. _components, .. inner._components]);

    public bool Equals(Multiaddr? other) => other is not null && _components.AsSpan().SequenceEqual(other._components);

    public override bool Equals(object? obj) => obj is Multiaddr other && Equals(other);

    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    internal static string NameOf(MultiaddrProtocol protocol) => Table[Array.FindIndex(Table, t => t.Protocol == protocol)].Name;

    private static int SizeOf(MultiaddrProtocol protocol) => Table[Array.FindIndex(Table, t => t.Protocol == protocol)].Size;

    internal static string FormatValue(MultiaddrProtocol protocol, byte[] value) => protocol switch
    {
        MultiaddrProtocol.Ip4 or MultiaddrProtocol.Ip6 => new IPAddress(value).ToString(),
        MultiaddrProtocol.Tcp or MultiaddrProtocol.Udp => ((value[0] << 8) | value[1]).ToString(System.Globalization.CultureInfo.InvariantCulture),
        MultiaddrProtocol.P2p => Base58.Encode(value),
        MultiaddrProtocol.Dns or MultiaddrProtocol.Dns4 or MultiaddrProtocol.Dns6 or MultiaddrProtocol.Dnsaddr => Encoding.UTF8.GetString(value),
        _ => "",
    };

    private static bool TryParseValue(MultiaddrProtocol protocol, string text, [NotNullWhen(true)] out byte[]? value)
    {
        value = null;
        switch (protocol)
        {
            case MultiaddrProtocol.Ip4:
                if (IPAddress.TryParse(text, out var v4) && v4.AddressFamily == AddressFamily.InterNetwork && text.Count(c => c == '.') == 3)
                {
                    value = v4.GetAddressBytes();
                }

                break;
            case MultiaddrProtocol.Ip6:
                if (IPAddress.TryParse(text, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6 && v6.ScopeId == 0)
                {
                    value = v6.GetAddressBytes();
                }

                break;
            case MultiaddrProtocol.Tcp or MultiaddrProtocol.Udp:
                if (ushort.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port))
                {
                    value = [(byte)(port >> 8), (byte)port];
                }

                break;
            case MultiaddrProtocol.P2p:
                if (Multiformats.PeerId.TryParse(text, out var peer))
                {
                    value = peer.ToBytes();
                }

                break;
            case MultiaddrProtocol.Dns or MultiaddrProtocol.Dns4 or MultiaddrProtocol.Dns6 or MultiaddrProtocol.Dnsaddr:
                if (text.Length is > 0 and <= 253)
                {
                    value = Encoding.UTF8.GetBytes(text);
                }

                break;
        }

        return value is not null;
    }

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 80 ? text : text[..80] + "...";

    public static bool operator ==(Multiaddr? left, Multiaddr? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(Multiaddr? left, Multiaddr? right) => !(left == right);
}
