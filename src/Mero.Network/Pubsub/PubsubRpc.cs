using Google.Protobuf;

namespace Mero.Network.Pubsub;

/// <summary>A pubsub message as carried on the wire (<c>Message</c> in the pubsub protobuf).</summary>
internal sealed record PubsubMessage
{
    public byte[]? From { get; init; }

    public byte[] Data { get; init; } = [];

    public byte[]? Seqno { get; init; }

    public string Topic { get; init; } = "";

    public byte[]? Signature { get; init; }

    public byte[]? Key { get; init; }
}

internal sealed record SubOpts(bool Subscribe, string Topic);

internal sealed record ControlIHave(string Topic, IReadOnlyList<byte[]> MessageIds);

internal sealed record ControlPrune(string Topic, ulong? BackoffSeconds);

internal sealed record ControlMessage
{
    public IReadOnlyList<ControlIHave> IHave { get; init; } = [];

    public IReadOnlyList<byte[]> IWant { get; init; } = [];

    public IReadOnlyList<string> Graft { get; init; } = [];

    public IReadOnlyList<ControlPrune> Prune { get; init; } = [];

    public bool IsEmpty => IHave.Count == 0 && IWant.Count == 0 && Graft.Count == 0 && Prune.Count == 0;
}

/// <summary>
/// The pubsub RPC protobuf (libp2p/specs pubsub): <c>RPC { repeated SubOpts subscriptions = 1;
/// repeated Message publish = 2; optional ControlMessage control = 3; }</c>, with
/// <c>Message { from = 1; data = 2; seqno = 3; topic = 4; signature = 5; key = 6; }</c> and
/// <c>ControlMessage { ihave = 1; iwant = 2; graft = 3; prune = 4; }</c>. Unknown fields (such as
/// 1.2's IDONTWANT) are skipped. Decoding enforces item-count limits before allocating.
/// </summary>
internal sealed record PubsubRpc
{
    public IReadOnlyList<SubOpts> Subscriptions { get; init; } = [];

    public IReadOnlyList<PubsubMessage> Publish { get; init; } = [];

    public ControlMessage? Control { get; init; }

    /// <summary>Caps on what one decoded RPC may hold (a peer cannot make us allocate unbounded lists).</summary>
    public const int MaxSubscriptions = 1024;
    public const int MaxMessages = 1024;
    public const int MaxControlIds = 5000;

    public byte[] ToProtobuf()
    {
        using var memory = new MemoryStream();
        var output = new CodedOutputStream(memory);
        foreach (var sub in Subscriptions)
        {
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(EncodeSubOpts(sub)));
        }

        foreach (var message in Publish)
        {
            output.WriteTag(2, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(EncodeMessage(message, includeSignature: true)));
        }

        if (Control is { IsEmpty: false } control)
        {
            output.WriteTag(3, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(EncodeControl(control)));
        }

        output.Flush();
        return memory.ToArray();
    }

    /// <summary>The message protobuf; without signature and key it is what StrictSign signs.</summary>
    public static byte[] EncodeMessage(PubsubMessage message, bool includeSignature)
    {
        using var memory = new MemoryStream();
        var output = new CodedOutputStream(memory);
        WriteBytes(output, 1, message.From);
        WriteBytes(output, 2, message.Data);
        WriteBytes(output, 3, message.Seqno);
        output.WriteTag(4, WireFormat.WireType.LengthDelimited);
        output.WriteString(message.Topic);
        if (includeSignature)
        {
            WriteBytes(output, 5, message.Signature);
            WriteBytes(output, 6, message.Key);
        }

        output.Flush();
        return memory.ToArray();
    }

    private static byte[] EncodeSubOpts(SubOpts sub)
    {
        using var memory = new MemoryStream();
        var output = new CodedOutputStream(memory);
        output.WriteTag(1, WireFormat.WireType.Varint);
        output.WriteBool(sub.Subscribe);
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteString(sub.Topic);
        output.Flush();
        return memory.ToArray();
    }

    private static byte[] EncodeControl(ControlMessage control)
    {
        using var memory = new MemoryStream();
        var output = new CodedOutputStream(memory);
        foreach (var ihave in control.IHave)
        {
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(Nested(o =>
            {
                o.WriteTag(1, WireFormat.WireType.LengthDelimited);
                o.WriteString(ihave.Topic);
                foreach (var id in ihave.MessageIds)
                {
                    WriteBytes(o, 2, id);
                }
            })));
        }

        if (control.IWant.Count > 0)
        {
            output.WriteTag(2, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(Nested(o =>
            {
                foreach (var id in control.IWant)
                {
                    WriteBytes(o, 1, id);
                }
            })));
        }

        foreach (var topic in control.Graft)
        {
            output.WriteTag(3, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(Nested(o =>
            {
                o.WriteTag(1, WireFormat.WireType.LengthDelimited);
                o.WriteString(topic);
            })));
        }

        foreach (var prune in control.Prune)
        {
            output.WriteTag(4, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(Nested(o =>
            {
                o.WriteTag(1, WireFormat.WireType.LengthDelimited);
                o.WriteString(prune.Topic);
                if (prune.BackoffSeconds is { } backoff)
                {
                    o.WriteTag(3, WireFormat.WireType.Varint);
                    o.WriteUInt64(backoff);
                }
            })));
        }

        output.Flush();
        return memory.ToArray();
    }

    private static byte[] Nested(Action<CodedOutputStream> write)
    {
        using var memory = new MemoryStream();
        var output = new CodedOutputStream(memory);
        write(output);
        output.Flush();
        return memory.ToArray();
    }

    private static void WriteBytes(CodedOutputStream output, int field, byte[]? value)
    {
        if (value is null)
        {
            return;
        }

        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(value));
    }

    /// <exception cref="InvalidDataException">malformed protobuf or a list over its cap</exception>
    public static PubsubRpc FromProtobuf(byte[] bytes)
    {
        try
        {
            var input = new CodedInputStream(bytes);
            var subs = new List<SubOpts>();
            var publish = new List<PubsubMessage>();
            ControlMessage? control = null;
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited:
                        Limit(subs.Count, MaxSubscriptions, "subscriptions");
                        subs.Add(DecodeSubOpts(input.ReadBytes().ToByteArray()));
                        break;
                    case 2 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited:
                        Limit(publish.Count, MaxMessages, "messages");
                        publish.Add(DecodeMessage(input.ReadBytes().ToByteArray()));
                        break;
                    case 3 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited:
                        control = DecodeControl(input.ReadBytes().ToByteArray());
                        break;
                    default:
                        input.SkipLastField();
                        break;
                }
            }

            return new PubsubRpc { Subscriptions = subs, Publish = publish, Control = control };
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new InvalidDataException("malformed pubsub RPC: " + ex.Message, ex);
        }
    }

    private static void Limit(int count, int max, string what)
    {
        if (count >= max)
        {
            throw new InvalidDataException($"pubsub RPC carries more than {max} {what}");
        }
    }

    private static SubOpts DecodeSubOpts(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        bool subscribe = false;
        string? topic = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (tag)
            {
                case 8:
                    subscribe = input.ReadBool();
                    break;
                case 18:
                    topic = input.ReadString();
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return new SubOpts(subscribe, topic ?? throw new InvalidDataException("subscription without a topic"));
    }

    public static PubsubMessage DecodeMessage(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        byte[]? from = null, seqno = null, signature = null, key = null;
        byte[] data = [];
        string? topic = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (tag)
            {
                case 10:
                    from = input.ReadBytes().ToByteArray();
                    break;
                case 18:
                    data = input.ReadBytes().ToByteArray();
                    break;
                case 26:
                    seqno = input.ReadBytes().ToByteArray();
                    break;
                case 34:
                    topic = input.ReadString();
                    break;
                case 42:
                    signature = input.ReadBytes().ToByteArray();
                    break;
                case 50:
                    key = input.ReadBytes().ToByteArray();
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return new PubsubMessage
        {
            From = from,
            Data = data,
            Seqno = seqno,
            Topic = topic ?? throw new InvalidDataException("message without a topic"),
            Signature = signature,
            Key = key,
        };
    }

    private static ControlMessage DecodeControl(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        var ihave = new List<ControlIHave>();
        var iwant = new List<byte[]>();
        var graft = new List<string>();
        var prune = new List<ControlPrune>();
        var ids = 0;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (tag)
            {
                case 10:
                    {
                        var inner = new CodedInputStream(input.ReadBytes().ToByteArray());
                        string topic = "";
                        var list = new List<byte[]>();
                        uint t;
                        while ((t = inner.ReadTag()) != 0)
                        {
                            if (t == 10)
                            {
                                topic = inner.ReadString();
                            }
                            else if (t == 18)
                            {
                                Limit(ids++, MaxControlIds, "control message ids");
                                list.Add(inner.ReadBytes().ToByteArray());
                            }
                            else
                            {
                                inner.SkipLastField();
                            }
                        }

                        ihave.Add(new ControlIHave(topic, list));
                        break;
                    }

                case 18:
                    {
                        var inner = new CodedInputStream(input.ReadBytes().ToByteArray());
                        uint t;
                        while ((t = inner.ReadTag()) != 0)
                        {
                            if (t == 10)
                            {
                                Limit(ids++, MaxControlIds, "control message ids");
                                iwant.Add(inner.ReadBytes().ToByteArray());
                            }
                            else
                            {
                                inner.SkipLastField();
                            }
                        }

                        break;
                    }

                case 26:
                case 34:
                    {
                        Limit(graft.Count + prune.Count, MaxSubscriptions, "graft/prune entries");
                        var inner = new CodedInputStream(input.ReadBytes().ToByteArray());
                        string topic = "";
                        ulong? backoff = null;
                        uint t;
                        while ((t = inner.ReadTag()) != 0)
                        {
                            if (t == 10)
                            {
                                topic = inner.ReadString();
                            }
                            else if (t == 24)
                            {
                                backoff = inner.ReadUInt64();
                            }
                            else
                            {
                                inner.SkipLastField();
                            }
                        }

                        if (tag == 26)
                        {
                            graft.Add(topic);
                        }
                        else
                        {
                            prune.Add(new ControlPrune(topic, backoff));
                        }

                        break;
                    }

                default:
                    input.SkipLastField();
                    break;
            }
        }

        return new ControlMessage { IHave = ihave, IWant = iwant, Graft = graft, Prune = prune };
    }
}
