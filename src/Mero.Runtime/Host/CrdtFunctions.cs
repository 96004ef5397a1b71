using System.Buffers.Binary;
using Mero.Runtime.Logic;
using Mero.State.Crdt;
using Wasmtime;

namespace Mero.Runtime.Host;

/// <summary>Storage that also exposes the CRDT entity tree; the node's transaction storage implements it.</summary>
public interface ICrdtRuntimeStorage : IRuntimeStorage
{
    CrdtTransaction Transaction { get; }
}

/// <summary>
/// The js_crdt_* host functions, named and typed after upstream's (crates/runtime/src/logic/
/// host_functions/js_collections.rs): collection ids are 32-byte buffers; a misuse (unknown id,
/// wrong kind, bad index) writes a message to the destination register (register 0 when the
/// function has none) and returns -1; a bad pointer traps as everywhere else. Lengths, counts
/// and timestamps come back as u64 LE, iterations as u32 LE count then (u32 LE length, bytes)
/// items (maps: key then value). Our additions, same conventions: js_crdt_map_len,
/// js_crdt_vector_update, js_crdt_text_* (RGA text; indexes in code points) and js_crdt_child
/// (a collection under the root or a map, addressed by name so replicas share it).
/// </summary>
internal static class CrdtFunctions
{
    private const ValueKind L = ValueKind.Int64;
    private const ValueKind I = ValueKind.Int32;

    public static void Define(HostFunctionRegistry registry)
    {
        New(registry, "js_crdt_map_new", CrdtKind.Map);
        New(registry, "js_crdt_vector_new", CrdtKind.Vector);
        New(registry, "js_crdt_set_new", CrdtKind.Set);
        New(registry, "js_crdt_lww_new", CrdtKind.Register);
        NewWithId(registry, "js_crdt_map_new_with_id", CrdtKind.Map);
        NewWithId(registry, "js_crdt_vector_new_with_id", CrdtKind.Vector);
        NewWithId(registry, "js_crdt_set_new_with_id", CrdtKind.Set);
        NewWithId(registry, "js_crdt_lww_new_with_id", CrdtKind.Register);

        Fn(registry, "js_crdt_child", [L, L, L, L], 3, (x, a) =>
        {
            var parentBytes = x.Bytes(a[0]);
            var name = x.Bytes(a[1]);
            var kind = a[2].AsInt64();
            if (kind is < 1 or > (long)CrdtKind.Text)
            {
                return x.Error(a[3], $"unknown collection kind {kind}");
            }

            var parent = parentBytes.Length == 0 ? CollectionRef.Root : x.Ref(parentBytes, CrdtKind.Map);
            return x.Ok(a[3], x.T.Child(parent, name, (CrdtKind)kind).Id.ToArray());
        });

        Fn(registry, "js_crdt_map_get", [L, L, L], 2, (x, a) => x.Found(a[2], x.T.MapGet(x.Id(a[0], CrdtKind.Map), x.Bytes(a[1]))));
        Fn(registry, "js_crdt_map_insert", [L, L, L, L], 3, (x, a) =>
        {
            var key = x.Bytes(a[1]);
            var value = x.Bytes(a[2]);
            x.Charge(key.Length + value.Length);
            return x.Found(a[3], x.T.MapInsert(x.Id(a[0], CrdtKind.Map), key, value));
        });
        Fn(registry, "js_crdt_map_remove", [L, L, L], 2, (x, a) => x.Found(a[2], x.T.MapRemove(x.Id(a[0], CrdtKind.Map), x.Bytes(a[1]))));
        Fn(registry, "js_crdt_map_contains", [L, L], -1, (x, a) => x.T.MapContains(x.Id(a[0], CrdtKind.Map), x.Bytes(a[1])) ? 1 : 0);
        Fn(registry, "js_crdt_map_iter", [L, L], 1, (x, a) =>
        {
            var entries = x.T.MapEntries(x.Id(a[0], CrdtKind.Map));
            return x.Ok(a[1], Items(entries.SelectMany(e => new[] { e.Key, e.Value }), entries.Count));
        });
        Fn(registry, "js_crdt_map_len", [L, L], 1, (x, a) => x.Ok(a[1], U64(x.T.MapLength(x.Id(a[0], CrdtKind.Map)))));

        Fn(registry, "js_crdt_vector_len", [L, L], 1, (x, a) => x.Ok(a[1], U64(x.T.VectorLength(x.Id(a[0], CrdtKind.Vector)))));
        Fn(registry, "js_crdt_vector_push", [L, L], -1, (x, a) =>
        {
            var value = x.Bytes(a[1]);
            x.Charge(value.Length);
            x.T.VectorPush(x.Id(a[0], CrdtKind.Vector), value);
            return 0;
        });
        Fn(registry, "js_crdt_vector_get", [L, L, L], 2, (x, a) => x.Found(a[2], x.T.VectorGet(x.Id(a[0], CrdtKind.Vector), a[1].AsInt64())));
        Fn(registry, "js_crdt_vector_update", [L, L, L, L], 3, (x, a) =>
        {
            var value = x.Bytes(a[2]);
            x.Charge(value.Length);
            return x.Found(a[3], x.T.VectorUpdate(x.Id(a[0], CrdtKind.Vector), a[1].AsInt64(), value));
        });
        Fn(registry, "js_crdt_vector_pop", [L, L], 1, (x, a) => x.Found(a[1], x.T.VectorPop(x.Id(a[0], CrdtKind.Vector))));

        Fn(registry, "js_crdt_set_insert", [L, L], -1, (x, a) =>
        {
            var value = x.Bytes(a[1]);
            x.Charge(value.Length);
            return x.T.SetInsert(x.Id(a[0], CrdtKind.Set), value) ? 1 : 0;
        });
        Fn(registry, "js_crdt_set_contains", [L, L], -1, (x, a) => x.T.SetContains(x.Id(a[0], CrdtKind.Set), x.Bytes(a[1])) ? 1 : 0);
        Fn(registry, "js_crdt_set_remove", [L, L], -1, (x, a) => x.T.SetRemove(x.Id(a[0], CrdtKind.Set), x.Bytes(a[1])) ? 1 : 0);
        Fn(registry, "js_crdt_set_len", [L, L], 1, (x, a) => x.Ok(a[1], U64(x.T.SetLength(x.Id(a[0], CrdtKind.Set)))));
        Fn(registry, "js_crdt_set_iter", [L, L], 1, (x, a) =>
        {
            var elements = x.T.SetElements(x.Id(a[0], CrdtKind.Set));
            return x.Ok(a[1], Items(elements, elements.Count));
        });
        Fn(registry, "js_crdt_set_clear", [L], -1, (x, a) =>
        {
            x.Charge(0);
            x.T.SetClear(x.Id(a[0], CrdtKind.Set));
            return 0;
        });

        Fn(registry, "js_crdt_lww_set", [L, L, I], -1, (x, a) =>
        {
            var value = a[2].AsInt32() != 0 ? x.Bytes(a[1]) : null;
            x.Charge(value?.Length ?? 0);
            x.T.RegisterSet(x.Id(a[0], CrdtKind.Register), value);
            return 0;
        });
        Fn(registry, "js_crdt_lww_get", [L, L], 1, (x, a) => x.Found(a[1], x.T.RegisterGet(x.Id(a[0], CrdtKind.Register))));
        Fn(registry, "js_crdt_lww_timestamp", [L, L], 1, (x, a) =>
            x.T.RegisterTimestamp(x.Id(a[0], CrdtKind.Register)) is { } stamp ? x.Ok(a[1], U64(stamp.Time)) + 1 : 0);

        DefineCounters(registry);
        DefineText(registry);
        DefineSorted(registry);
    }

    // Upstream's sorted map and set: our maps and sets already iterate in key byte order (the
    // store's), so these are the same collections under upstream's names. Like upstream,
    // sortedmap_iter, sortedset_len and sortedset_iter return 1 on success.
    private static void DefineSorted(HostFunctionRegistry registry)
    {
        New(registry, "js_crdt_sortedmap_new", CrdtKind.Map);
        NewWithId(registry, "js_crdt_sortedmap_new_with_id", CrdtKind.Map);
        Fn(registry, "js_crdt_sortedmap_get", [L, L, L], 2, (x, a) => x.Found(a[2], x.T.MapGet(x.Id(a[0], CrdtKind.Map), x.Bytes(a[1]))));
        Fn(registry, "js_crdt_sortedmap_insert", [L, L, L, L], 3, (x, a) =>
        {
            var key = x.Bytes(a[1]);
            var value = x.Bytes(a[2]);
            x.Charge(key.Length + value.Length);
            return x.Found(a[3], x.T.MapInsert(x.Id(a[0], CrdtKind.Map), key, value));
        });
        Fn(registry, "js_crdt_sortedmap_remove", [L, L, L], 2, (x, a) => x.Found(a[2], x.T.MapRemove(x.Id(a[0], CrdtKind.Map), x.Bytes(a[1]))));
        Fn(registry, "js_crdt_sortedmap_contains", [L, L], -1, (x, a) => x.T.MapContains(x.Id(a[0], CrdtKind.Map), x.Bytes(a[1])) ? 1 : 0);
        Fn(registry, "js_crdt_sortedmap_iter", [L, L], 1, (x, a) =>
        {
            var entries = x.T.MapEntries(x.Id(a[0], CrdtKind.Map));
            return x.Ok(a[1], Items(entries.SelectMany(e => new[] { e.Key, e.Value }), entries.Count)) + 1;
        });

        New(registry, "js_crdt_sortedset_new", CrdtKind.Set);
        NewWithId(registry, "js_crdt_sortedset_new_with_id", CrdtKind.Set);
        Fn(registry, "js_crdt_sortedset_insert", [L, L], -1, (x, a) =>
        {
            var value = x.Bytes(a[1]);
            x.Charge(value.Length);
            return x.T.SetInsert(x.Id(a[0], CrdtKind.Set), value) ? 1 : 0;
        });
        Fn(registry, "js_crdt_sortedset_contains", [L, L], -1, (x, a) => x.T.SetContains(x.Id(a[0], CrdtKind.Set), x.Bytes(a[1])) ? 1 : 0);
        Fn(registry, "js_crdt_sortedset_remove", [L, L], -1, (x, a) => x.T.SetRemove(x.Id(a[0], CrdtKind.Set), x.Bytes(a[1])) ? 1 : 0);
        Fn(registry, "js_crdt_sortedset_len", [L, L], 1, (x, a) => x.Ok(a[1], U64(x.T.SetLength(x.Id(a[0], CrdtKind.Set)))) + 1);
        Fn(registry, "js_crdt_sortedset_iter", [L, L], 1, (x, a) =>
        {
            var elements = x.T.SetElements(x.Id(a[0], CrdtKind.Set));
            return x.Ok(a[1], Items(elements, elements.Count)) + 1;
        });
        Fn(registry, "js_crdt_sortedset_clear", [L], -1, (x, a) =>
        {
            x.Charge(0);
            x.T.SetClear(x.Id(a[0], CrdtKind.Set));
            return 0;
        });
    }

    // Our counter names and upstream's js_crdt_pncounter_* run the same bodies; only the PN names
    // decrement, and pncounter_value is signed (i64 LE) where counter_value is u64.
    private static void DefineCounters(HostFunctionRegistry registry)
    {
        foreach (var prefix in (string[])["js_crdt_counter_", "js_crdt_pncounter_"])
        {
            New(registry, prefix + "new", CrdtKind.Counter);
            NewWithId(registry, prefix + "new_with_id", CrdtKind.Counter);
            Fn(registry, prefix + "increment", [L], -1, (x, a) =>
            {
                x.Charge(8);
                x.T.CounterIncrement(x.Id(a[0], CrdtKind.Counter));
                return 0;
            });
            Fn(registry, prefix + "get_executor_count", [L, L, I, L], 3, (x, a) =>
            {
                PublicKey? executor = a[2].AsInt32() != 0 ? x.Key(a[1]) : null;
                return x.Ok(a[3], U64(x.T.CounterExecutorCount(x.Id(a[0], CrdtKind.Counter), executor)));
            });
        }

        Fn(registry, "js_crdt_counter_value", [L, L], 1, (x, a) => x.Ok(a[1], U64(x.T.CounterValue(x.Id(a[0], CrdtKind.Counter)))));
        Fn(registry, "js_crdt_pncounter_value", [L, L], 1, (x, a) =>
        {
            var value = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(value, x.T.CounterValue(x.Id(a[0], CrdtKind.Counter)));
            return x.Ok(a[1], value);
        });
        Fn(registry, "js_crdt_pncounter_decrement", [L], -1, (x, a) =>
        {
            x.Charge(8);
            x.T.CounterDecrement(x.Id(a[0], CrdtKind.Counter));
            return 0;
        });
    }

    // Our js_crdt_text_* and upstream's js_crdt_rga_* run the same bodies; text_delete takes a
    // count, rga_delete removes one character.
    private static void DefineText(HostFunctionRegistry registry)
    {
        foreach (var (prefix, get) in (ReadOnlySpan<(string, string)>)[("js_crdt_text_", "get"), ("js_crdt_rga_", "get_text")])
        {
            New(registry, prefix + "new", CrdtKind.Text);
            NewWithId(registry, prefix + "new_with_id", CrdtKind.Text);
            Fn(registry, prefix + "insert", [L, L, L], -1, (x, a) =>
            {
                var text = x.Logic.Memory.ReadUtf8(x.Logic.Memory.ReadBuffer((ulong)a[2].AsInt64()));
                x.Charge(text.Length);
                x.T.TextInsert(x.Id(a[0], CrdtKind.Text), Index(a[1]), text);
                return 0;
            });
            Fn(registry, prefix + get, [L, L], 1, (x, a) => x.Ok(a[1], System.Text.Encoding.UTF8.GetBytes(x.T.TextGet(x.Id(a[0], CrdtKind.Text)))));
            Fn(registry, prefix + "len", [L, L], 1, (x, a) => x.Ok(a[1], U64(x.T.TextLength(x.Id(a[0], CrdtKind.Text)))));
        }

        Fn(registry, "js_crdt_text_delete", [L, L, L], -1, (x, a) => Delete(x, a[0], Index(a[1]), Index(a[2])));
        Fn(registry, "js_crdt_rga_delete", [L, L], -1, (x, a) => Delete(x, a[0], Index(a[1]), 1));
    }

    private static int Delete(Call x, ValueBox idPointer, int index, int count)
    {
        x.Charge(0);
        x.T.TextDelete(x.Id(idPointer, CrdtKind.Text), index, count);
        return 0;
    }

    /// <summary>Upstream's *_new_with_id(id_ptr, register): the collection at exactly that 32-byte id, returned in the register.</summary>
    private static void NewWithId(HostFunctionRegistry registry, string name, CrdtKind kind) =>
        Fn(registry, name, [L, L], 1, (x, a) =>
        {
            var id = x.Id(a[0], kind);
            x.Charge(32);
            return x.Ok(a[1], x.T.CreateWithId(kind, id.Id).Id.ToArray());
        });

    private static void New(HostFunctionRegistry registry, string name, CrdtKind kind) =>
        Fn(registry, name, [L], 0, (x, a) =>
        {
            x.Charge(32);
            return x.Ok(a[0], x.T.Create(kind).Id.ToArray());
        });

    /// <summary>
    /// Defines one function returning i32; a CrdtException becomes -1 with the message in the
    /// register named by argument <paramref name="dest"/>, or in register 0 when dest is -1.
    /// </summary>
    private static void Fn(HostFunctionRegistry registry, string name, ValueKind[] parameters, int dest, Func<Call, ReadOnlySpan<ValueBox>, int> body)
    {
        var errorRegister = dest;
        registry.Untyped(name, parameters, [I], (caller, args, results) =>
        {
            var call = new Call(VmLogic.From(caller));
            try
            {
                results[0] = body(call, args);
            }
            catch (CrdtException ex)
            {
                results[0] = call.Error(errorRegister < 0 ? default : args[errorRegister], ex.Message, errorRegister < 0);
            }
        });
    }

    private static int Index(ValueBox value)
    {
        var n = value.AsInt64();
        return n is >= 0 and <= int.MaxValue ? (int)n : throw new CrdtException($"index {n} is out of range");
    }

    private static byte[] U64(long value) => U64((ulong)value);

    private static byte[] U64(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return bytes;
    }

    /// <summary>u32 LE count, then each item as u32 LE length and bytes.</summary>
    private static byte[] Items(IEnumerable<byte[]> items, int count)
    {
        var list = items.ToList();
        var bytes = new byte[4 + list.Sum(i => 4 + i.Length)];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)count);
        var at = 4;
        foreach (var item in list)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), (uint)item.Length);
            item.CopyTo(bytes.AsSpan(at + 4));
            at += 4 + item.Length;
        }

        return bytes;
    }

    /// <summary>One host call: guest memory, registers and the transaction.</summary>
    private readonly struct Call(VmLogic logic)
    {
        public VmLogic Logic => logic;

        public CrdtTransaction T => logic.Storage is ICrdtRuntimeStorage crdt
            ? crdt.Transaction
            : throw new CrdtException("this execution has no CRDT state");

        public byte[] Bytes(ValueBox descriptorPtr)
        {
            var buffer = logic.Memory.ReadBuffer((ulong)descriptorPtr.AsInt64());
            if (buffer.Len > (ulong)logic.Limits.MaxStorageValueSize)
            {
                throw logic.Fail(HostErrorCode.ValueLengthOverflow, $"value length overflow (size: {buffer.Len}, max: {logic.Limits.MaxStorageValueSize})");
            }

            return logic.Memory.ReadBytes(buffer);
        }

        public CollectionRef Id(ValueBox descriptorPtr, CrdtKind kind) => Ref(Bytes(descriptorPtr), kind);

        public CollectionRef Ref(byte[] id, CrdtKind kind) => id.Length == 32
            ? new CollectionRef(Hash.FromBytes(id), kind)
            : throw new CrdtException($"collection id must be exactly 32 bytes (received {id.Length})");

        public PublicKey Key(ValueBox descriptorPtr)
        {
            var bytes = Bytes(descriptorPtr);
            return bytes.Length == 32 ? PublicKey.FromBytes(bytes) : throw new CrdtException($"executor id must be exactly 32 bytes (received {bytes.Length})");
        }

        public void Charge(int bytes) => logic.ChargeStorageWrite((ulong)bytes);

        public int Ok(ValueBox register, byte[] data)
        {
            logic.SetRegister((ulong)register.AsInt64(), data);
            return 0;
        }

        /// <summary>1 and the value in the register, or 0 and an empty register.</summary>
        public int Found(ValueBox register, byte[]? value)
        {
            logic.SetRegister((ulong)register.AsInt64(), value ?? []);
            return value is null ? 0 : 1;
        }

        public int Error(ValueBox register, string message, bool toRegisterZero = false)
        {
            logic.SetRegister(toRegisterZero ? 0 : (ulong)register.AsInt64(), System.Text.Encoding.UTF8.GetBytes(message));
            return -1;
        }
    }
}
