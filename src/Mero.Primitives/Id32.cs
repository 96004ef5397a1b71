using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Mero.Primitives;

/// <summary>The 32 bytes behind every id type.</summary>
[InlineArray(Length)]
public struct Bytes32
{
    public const int Length = 32;
    private byte _element0;
}

/// <summary>Marks what an <see cref="Id32{TKind}"/> names; each kind gets a global alias (ContextId, Hash...).</summary>
public interface IIdKind
{
    static abstract string Name { get; }
}

/// <summary>
/// A 32-byte identifier with value semantics and a base58 text form. The kind parameter keeps a
/// ContextId from being passed where an ApplicationId is expected, with one implementation for all.
/// </summary>
public readonly struct Id32<TKind> : IEquatable<Id32<TKind>>, IComparable<Id32<TKind>>
    where TKind : IIdKind
{
    private readonly Bytes32 _bytes;

    private Id32(Bytes32 bytes) => _bytes = bytes;

    public static Id32<TKind> FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Bytes32.Length)
        {
            throw new ArgumentException($"a {TKind.Name} is {Bytes32.Length} bytes, got {bytes.Length}", nameof(bytes));
        }

        var value = default(Bytes32);
        bytes.CopyTo(value);
        return new(value);
    }

    public static Id32<TKind> Parse(string text) =>
        TryParse(text, out var id)
            ? id
            : throw new FormatException($"'{Truncate(text)}' is not a valid {TKind.Name}: expected base58 of 32 bytes");

    public static bool TryParse(string? text, out Id32<TKind> id)
    {
        id = default;
        if (string.IsNullOrEmpty(text) || text.Length > 64 || !Base58.TryDecode(text, out var bytes) || bytes.Length != Bytes32.Length)
        {
            return false;
        }

        id = FromBytes(bytes);
        return true;
    }

    [UnscopedRef]
    public ReadOnlySpan<byte> AsSpan() => _bytes;

    public byte[] ToArray() => AsSpan().ToArray();

    public bool Equals(Id32<TKind> other) => AsSpan().SequenceEqual(other.AsSpan());

    public override bool Equals(object? obj) => obj is Id32<TKind> other && Equals(other);

    public override int GetHashCode() => BinaryPrimitives.ReadInt32LittleEndian(AsSpan());

    public int CompareTo(Id32<TKind> other) => AsSpan().SequenceCompareTo(other.AsSpan());

    public override string ToString() => Base58.Encode(AsSpan());

    public static bool operator ==(Id32<TKind> left, Id32<TKind> right) => left.Equals(right);

    public static bool operator !=(Id32<TKind> left, Id32<TKind> right) => !left.Equals(right);

    private static string Truncate(string? text) => text is null ? "" : text.Length <= 80 ? text : text[..80] + "...";
}

/// <summary>The id kinds. Aliases for them are declared once in Directory.Build.props.</summary>
public static class IdKinds
{
    /// <summary>A context: one running instance of an application.</summary>
    public sealed class Context : IIdKind
    {
        public static string Name => "ContextId";
    }

    /// <summary>An installed application.</summary>
    public sealed class Application : IIdKind
    {
        public static string Name => "ApplicationId";
    }

    /// <summary>An Ed25519 public key: a member identity or a node's namespace identity.</summary>
    public sealed class PublicKey : IIdKind
    {
        public static string Name => "PublicKey";
    }

    /// <summary>A SHA-256 digest.</summary>
    public sealed class Hash : IIdKind
    {
        public static string Name => "Hash";
    }

    /// <summary>A content-addressed blob: SHA-256 of its bytes.</summary>
    public sealed class Blob : IIdKind
    {
        public static string Name => "BlobId";
    }

    /// <summary>A group; a namespace is a root group.</summary>
    public sealed class Group : IIdKind
    {
        public static string Name => "GroupId";
    }
}
