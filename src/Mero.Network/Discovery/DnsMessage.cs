using System.Buffers.Binary;
using System.Text;

namespace Mero.Network.Discovery;

internal enum DnsType : ushort
{
    Ptr = 12,
    Txt = 16,
}

internal sealed record DnsQuestion(string Name, DnsType Type);

/// <summary>A PTR (data = target name) or TXT (data = strings) record; other types are skipped.</summary>
internal sealed record DnsRecord(string Name, DnsType Type, uint Ttl, string? Target, IReadOnlyList<string> Texts);

/// <summary>
/// The slice of DNS (RFC 1035, multicast per RFC 6762) that libp2p mDNS needs: PTR questions, PTR and
/// TXT answers. Names are written uncompressed; compressed names are read with a pointer-hop limit.
/// </summary>
internal sealed record DnsMessage(bool IsResponse, IReadOnlyList<DnsQuestion> Questions, IReadOnlyList<DnsRecord> Answers)
{
    public const int MaxSize = 9000;

    public byte[] Encode()
    {
        var output = new List<byte>(512);
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], IsResponse ? (ushort)0x8400 : (ushort)0);
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], (ushort)Questions.Count);
        BinaryPrimitives.WriteUInt16BigEndian(header[6..], (ushort)Answers.Count);
        output.AddRange(header.ToArray());
        foreach (var question in Questions)
        {
            WriteName(output, question.Name);
            WriteU16(output, (ushort)question.Type);
            WriteU16(output, 1); // class IN
        }

        foreach (var answer in Answers)
        {
            WriteName(output, answer.Name);
            WriteU16(output, (ushort)answer.Type);
            WriteU16(output, 1);
            var ttl = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(ttl, answer.Ttl);
            output.AddRange(ttl);
            var data = new List<byte>();
            if (answer.Type == DnsType.Ptr)
            {
                WriteName(data, answer.Target!);
            }
            else
            {
                foreach (var text in answer.Texts)
                {
                    var bytes = Encoding.UTF8.GetBytes(text);
                    if (bytes.Length > 255)
                    {
                        throw new ArgumentException($"TXT string of {bytes.Length} bytes is over 255");
                    }

                    data.Add((byte)bytes.Length);
                    data.AddRange(bytes);
                }
            }

            WriteU16(output, (ushort)data.Count);
            output.AddRange(data);
        }

        return [.. output];
    }

    /// <exception cref="InvalidDataException">truncated or malformed packet</exception>
    public static DnsMessage Decode(ReadOnlySpan<byte> packet)
    {
        try
        {
            var bytes = packet.ToArray();
            if (bytes.Length < 12 || bytes.Length > MaxSize)
            {
                throw new InvalidDataException($"DNS packet of {bytes.Length} bytes");
            }

            var isResponse = (bytes[2] & 0x80) != 0;
            int qd = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(4));
            var records = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(6)) + BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(8)) + BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(10));
            var offset = 12;
            var questions = new List<DnsQuestion>();
            for (var i = 0; i < qd; i++)
            {
                var name = ReadName(bytes, ref offset);
                var type = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(offset));
                offset += 4;
                questions.Add(new DnsQuestion(name, (DnsType)type));
            }

            var answers = new List<DnsRecord>();
            for (var i = 0; i < records; i++)
            {
                var name = ReadName(bytes, ref offset);
                var type = (DnsType)BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(offset));
                var ttl = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset + 4));
                int length = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(offset + 8));
                offset += 10;
                var end = offset + length;
                if (end > bytes.Length)
                {
                    throw new InvalidDataException("record data past the end of the packet");
                }

                if (type == DnsType.Ptr)
                {
                    var at = offset;
                    answers.Add(new DnsRecord(name, type, ttl, ReadName(bytes, ref at), []));
                }
                else if (type == DnsType.Txt)
                {
                    var texts = new List<string>();
                    for (var at = offset; at < end;)
                    {
                        var n = bytes[at++];
                        if (at + n > end)
                        {
                            throw new InvalidDataException("TXT string past its record");
                        }

                        texts.Add(Encoding.UTF8.GetString(bytes, at, n));
                        at += n;
                    }

                    answers.Add(new DnsRecord(name, type, ttl, null, texts));
                }

                offset = end;
            }

            return new DnsMessage(isResponse, questions, answers);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new InvalidDataException("truncated DNS packet", ex);
        }
        catch (IndexOutOfRangeException ex)
        {
            throw new InvalidDataException("truncated DNS packet", ex);
        }
    }

    private static void WriteU16(List<byte> output, ushort value)
    {
        output.Add((byte)(value >> 8));
        output.Add((byte)value);
    }

    private static void WriteName(List<byte> output, string name)
    {
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            var bytes = Encoding.UTF8.GetBytes(label);
            if (bytes.Length is 0 or > 63)
            {
                throw new ArgumentException($"DNS label '{label}' must be 1..63 bytes");
            }

            output.Add((byte)bytes.Length);
            output.AddRange(bytes);
        }

        output.Add(0);
    }

    private static string ReadName(byte[] bytes, ref int offset)
    {
        var labels = new List<string>();
        var at = offset;
        var jumped = false;
        for (var hops = 0; ; hops++)
        {
            if (hops > 64)
            {
                throw new InvalidDataException("DNS name with too many labels or pointers");
            }

            var length = bytes[at];
            if (length == 0)
            {
                at++;
                break;
            }

            if ((length & 0xC0) == 0xC0)
            {
                var target = ((length & 0x3F) << 8) | bytes[at + 1];
                if (!jumped)
                {
                    offset = at + 2;
                }

                jumped = true;
                at = target;
                continue;
            }

            labels.Add(Encoding.UTF8.GetString(bytes, at + 1, length));
            at += 1 + length;
        }

        if (!jumped)
        {
            offset = at;
        }

        return string.Join('.', labels);
    }
}
