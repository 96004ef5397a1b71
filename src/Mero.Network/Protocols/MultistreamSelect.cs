using System.Buffers;
using System.Text;
using Mero.Network.Multiformats;

namespace Mero.Network.Protocols;

/// <summary>
/// multistream-select 1.0 (<c>/multistream/1.0.0</c>): each message is a uvarint length, the
/// protocol id and a newline. The dialer proposes ids one by one, the listener echoes the id it
/// accepts or answers <c>na</c>. Reads are byte-exact, so data a lazy dialer pipelines after its
/// proposal stays in the stream for the chosen protocol.
/// </summary>
public static class MultistreamSelect
{
    public const string ProtocolId = "/multistream/1.0.0";
    public const string NotAvailable = "na";

    /// <summary>Longest message accepted (protocol id + newline), as the spec's 1 KiB bound.</summary>
    public const int MaxMessageLength = 1024;

    /// <summary>Proposals a listener answers before giving up on a dialer.</summary>
    public const int MaxProposals = 32;

    /// <summary>Negotiates one of <paramref name="protocols"/> as the dialer; returns the accepted id.</summary>
    public static async Task<string> SelectAsync(Stream stream, IReadOnlyList<string> protocols, CancellationToken ct)
    {
        if (protocols.Count == 0)
        {
            throw new ArgumentException("no protocol to propose", nameof(protocols));
        }

        // Header and first proposal in one write; the listener's header comes back first.
        await WriteMessagesAsync(stream, [ProtocolId, protocols[0]], ct).ConfigureAwait(false);
        var header = await ReadMessageAsync(stream, ct).ConfigureAwait(false);
        if (header != ProtocolId)
        {
            throw new ProtocolNegotiationException($"remote does not speak {ProtocolId} (sent '{Printable(header)}')");
        }

        for (var i = 0; i < protocols.Count; i++)
        {
            if (i > 0)
            {
                await WriteMessagesAsync(stream, [protocols[i]], ct).ConfigureAwait(false);
            }

            var answer = await ReadMessageAsync(stream, ct).ConfigureAwait(false);
            if (answer == protocols[i])
            {
                return answer;
            }

            if (answer != NotAvailable)
            {
                throw new ProtocolNegotiationException($"remote answered '{Printable(answer)}' to proposal '{protocols[i]}'");
            }
        }

        throw new ProtocolNegotiationException($"remote supports none of {string.Join(", ", protocols)}");
    }

    /// <summary>Negotiates as the listener; returns the first proposal <paramref name="supported"/> accepts.</summary>
    public static async Task<string> ListenAsync(Stream stream, Func<string, bool> supported, CancellationToken ct)
    {
        await WriteMessagesAsync(stream, [ProtocolId], ct).ConfigureAwait(false);
        var header = await ReadMessageAsync(stream, ct).ConfigureAwait(false);
        if (header != ProtocolId)
        {
            throw new ProtocolNegotiationException($"remote does not speak {ProtocolId} (sent '{Printable(header)}')");
        }

        for (var i = 0; i < MaxProposals; i++)
        {
            var proposal = await ReadMessageAsync(stream, ct).ConfigureAwait(false);
            if (proposal != "ls" && supported(proposal))
            {
                await WriteMessagesAsync(stream, [proposal], ct).ConfigureAwait(false);
                return proposal;
            }

            await WriteMessagesAsync(stream, [NotAvailable], ct).ConfigureAwait(false);
        }

        throw new ProtocolNegotiationException($"remote made more than {MaxProposals} proposals");
    }

    internal static async Task WriteMessagesAsync(Stream stream, IReadOnlyList<string> messages, CancellationToken ct)
    {
        var size = 0;
        foreach (var message in messages)
        {
            var length = Encoding.UTF8.GetByteCount(message) + 1;
            size += Varint.Length((ulong)length) + length;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var offset = 0;
            foreach (var message in messages)
            {
                var length = Encoding.UTF8.GetByteCount(message) + 1;
                if (length > MaxMessageLength)
                {
                    throw new ArgumentException($"protocol id longer than {MaxMessageLength - 1} bytes", nameof(messages));
                }

                offset += Varint.Write((ulong)length, buffer.AsSpan(offset));
                offset += Encoding.UTF8.GetBytes(message, buffer.AsSpan(offset));
                buffer[offset++] = (byte)'\n';
            }

            await stream.WriteAsync(buffer.AsMemory(0, offset), ct).ConfigureAwait(false);
            await stream.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal static async Task<string> ReadMessageAsync(Stream stream, CancellationToken ct)
    {
        ulong? length;
        try
        {
            length = await Varint.ReadAsync(stream, ct).ConfigureAwait(false);
        }
        catch (FormatException ex)
        {
            throw new ProtocolNegotiationException("malformed multistream length: " + ex.Message);
        }

        if (length is not { } n)
        {
            throw new ProtocolNegotiationException("stream closed during protocol negotiation");
        }

        if (n is 0 or > MaxMessageLength)
        {
            throw new ProtocolNegotiationException($"multistream message of {n} bytes (limit {MaxMessageLength})");
        }

        var buffer = new byte[(int)n];
        try
        {
            await stream.ReadExactlyAsync(buffer, ct).ConfigureAwait(false);
        }
        catch (EndOfStreamException)
        {
            throw new ProtocolNegotiationException("stream closed inside a multistream message");
        }

        if (buffer[^1] != (byte)'\n')
        {
            throw new ProtocolNegotiationException("multistream message does not end with a newline");
        }

        return Encoding.UTF8.GetString(buffer, 0, buffer.Length - 1);
    }

    private static string Printable(string text)
    {
        var shortened = text.Length > 64 ? text[..64] + "..." : text;
        return new string([.. shortened.Select(c => char.IsControl(c) ? '?' : c)]);
    }
}

/// <summary>multistream-select failed: the peers share no protocol or one broke the exchange.</summary>
public sealed class ProtocolNegotiationException(string message) : IOException(message);
