using System.Buffers.Binary;
using System.Text;
using Xunit;

namespace Mero.Runtime.Tests;

/// <summary>
/// account_id / device_id / executor_id, emit_migration_witness, storage_index_* and the governance
/// stubs, driven by one guest method ("raw") that calls the selected host function with raw u64
/// arguments taken from the input. The input lands in guest memory at 4096, so a test can place
/// descriptors and data there (see <see cref="RawCall"/>) or pass wild pointers directly.
/// </summary>
public sealed class UpstreamHostFunctionTests
{
    private const ulong Set = 0, Remove = 1, RemovePrefix = 2, Scan = 3, Last = 4, MetaSet = 5, MetaGet = 6, MetaClear = 7;
    private const ulong Witness = 8, Account = 9, Device = 10, SendProposal = 11, ApproveProposal = 12, Executor = 13, DebugPrint = 14;
    private const ulong WildPointer = 4294967280;

    private static readonly byte[] Wasm = Guest.Bytes("""
        (func $a (param $i i32) (result i64) (i64.load (i32.add (i32.const 4104) (i32.mul (local.get $i) (i32.const 8)))))
        (func (export "print_twice")
          (drop (call $js_std_d_print (i64.const 0) (i64.const 4096) (i64.const 1)))
          (drop (call $js_std_d_print (i64.const 0) (i64.const 4096) (i64.const 1))))
        (func (export "raw")
          (local $r i64) (local $len i32)
          (call $input (i64.const 99))
          (drop (call $reg (i64.const 99) (i32.const 4096)))
          (block $done
            (block $b14 (block $b13 (block $b12 (block $b11 (block $b10 (block $b9 (block $b8 (block $b7
            (block $b6 (block $b5 (block $b4 (block $b3 (block $b2 (block $b1 (block $b0
              (br_table $b0 $b1 $b2 $b3 $b4 $b5 $b6 $b7 $b8 $b9 $b10 $b11 $b12 $b13 $b14 $done
                (i32.wrap_i64 (i64.load (i32.const 4096)))))
              (local.set $r (i64.extend_i32_u (call $storage_index_set (call $a (i32.const 0)) (call $a (i32.const 1))))) (br $done))
              (local.set $r (i64.extend_i32_u (call $storage_index_remove (call $a (i32.const 0))))) (br $done))
              (local.set $r (i64.extend_i32_u (call $storage_index_remove_prefix (call $a (i32.const 0))))) (br $done))
              (local.set $r (i64.extend_i32_u (call $storage_index_scan (call $a (i32.const 0)) (call $a (i32.const 1))
                (call $a (i32.const 2)) (call $a (i32.const 3)) (call $a (i32.const 4))))) (br $done))
              (local.set $r (i64.extend_i32_u (call $storage_index_last (call $a (i32.const 0)) (call $a (i32.const 1)) (call $a (i32.const 2))))) (br $done))
              (local.set $r (i64.extend_i32_u (call $storage_index_meta_set (call $a (i32.const 0)) (call $a (i32.const 1))))) (br $done))
              (local.set $r (i64.extend_i32_u (call $storage_index_meta_get (call $a (i32.const 0)) (call $a (i32.const 1))))) (br $done))
              (local.set $r (i64.extend_i32_u (call $storage_index_meta_clear (call $a (i32.const 0))))) (br $done))
            (call $emit_migration_witness (call $a (i32.const 0))) (br $done))
            (call $account_id (call $a (i32.const 0))) (br $done))
            (call $device_id (call $a (i32.const 0))) (br $done))
            (call $send_proposal (call $a (i32.const 0)) (call $a (i32.const 1))) (br $done))
            (call $approve_proposal (call $a (i32.const 0))) (br $done))
            (call $executor_id (call $a (i32.const 0))) (br $done))
            (local.set $r (i64.extend_i32_u (call $js_std_d_print (call $a (i32.const 0)) (call $a (i32.const 1)) (call $a (i32.const 2))))))
          ;; result u64, then register 1 if it is set
          (i64.store (i32.const 8192) (local.get $r))
          (local.set $len (i32.const 0))
          (if (i64.ne (call $register_len (i64.const 1)) (i64.const -1))
            (then (local.set $len (call $reg (i64.const 1) (i32.const 8200)))))
          (call $ok (i32.const 8192) (i32.add (i32.const 8) (local.get $len))))
        """);

    private static readonly ExecutionContext SplitIdentity = new(TestEngines.Filled(0xC1), TestEngines.Filled(0xE1)) { AccountId = TestEngines.Filled(0xA1) };

    // ---- identity ----

    [Fact]
    public void Account_device_and_executor_ids_follow_upstream_when_account_and_device_differ()
    {
        Assert.Equal(TestEngines.Filled(0xA1), Register(Call(new RawCall(Account, 1), context: SplitIdentity)));
        Assert.Equal(TestEngines.Filled(0xE1), Register(Call(new RawCall(Device, 1), context: SplitIdentity)));
        // The pre-split name answers with the account, as upstream's shim does.
        Assert.Equal(TestEngines.Filled(0xA1), Register(Call(new RawCall(Executor, 1), context: SplitIdentity)));
    }

    [Fact]
    public void On_the_node_the_account_is_the_executor_key()
    {
        Assert.Equal(TestEngines.Filled(0xE1), Register(Call(new RawCall(Account, 1))));
        Assert.Equal(TestEngines.Filled(0xE1), Register(Call(new RawCall(Device, 1))));
    }

    [Fact]
    public void An_account_id_of_the_wrong_length_is_refused() =>
        Assert.Throws<ArgumentException>(() => new ExecutionContext(TestEngines.Filled(1), TestEngines.Filled(2)) { AccountId = new byte[31] });

    [Theory]
    [InlineData(Account)]
    [InlineData(Device)]
    public void Identity_getters_respect_the_register_limits(ulong selector)
    {
        // The input takes the only register, so writing the id into a second one is refused.
        using var engine = new WasmEngine(new VmLimits { MaxRegisters = 1 });
        var outcome = engine.Run(engine.Compile(Wasm), "raw", new RawCall(selector, 1).Input(), TestEngines.Context, new RecordingStorage());
        outcome.AssertHostError(HostErrorCode.RegistersOverflow);
    }

    // ---- emit_migration_witness ----

    [Fact]
    public void A_migration_witness_rides_on_the_outcome_and_is_never_stored()
    {
        var call = new RawCall(Witness);
        call.Args(call.Buf("witness-v2"u8.ToArray()));
        var storage = new MemoryStorage();

        var outcome = storage.Commit(Run(call.Input(), RuntimeServices.None, storage: storage));

        Assert.True(outcome.Success, outcome.Error?.ToString());
        Assert.Equal("witness-v2", Encoding.UTF8.GetString(outcome.MigrationWitness!));
        Assert.Empty(storage.Committed);
        Assert.Null(Call(new RawCall(Account, 1)).MigrationWitness);
    }

    [Fact]
    public void Hostile_migration_witnesses_have_their_own_errors()
    {
        var tooBig = new RawCall(Witness);
        tooBig.Args(tooBig.Buf(4096, (10 * 1024 * 1024) + 1));
        var outcome = Call(tooBig);
        outcome.AssertHostError(HostErrorCode.ValueLengthOverflow);
        Assert.Equal("migration witness length overflow (size: 10485761, max: 10485760)", outcome.Error!.Message);

        Call(new RawCall(Witness, WildPointer)).AssertHostError(HostErrorCode.InvalidMemoryAccess);
        var wildData = new RawCall(Witness);
        wildData.Args(wildData.Buf(70_000, 16));
        Call(wildData).AssertHostError(HostErrorCode.InvalidMemoryAccess);
    }

    // ---- storage_index_* ----

    [Fact]
    public void The_ordered_index_sets_scans_seeks_and_removes()
    {
        var index = new InMemoryOrderedIndex();
        var services = new RuntimeServices { OrderedIndex = index };
        foreach (var (key, value) in new[] { ("c", "3"), ("a", "1"), ("bb", "5"), ("b", "2"), ("ba", "4") })
        {
            Assert.Equal(1UL, Result(Run(Pair(Set, key, value), services)));
        }

        Assert.Equal(new[] { "a", "b", "ba", "bb", "c" }, index.Entries.Keys.Select(k => Encoding.UTF8.GetString(k)));

        // [b, c), skip 1, unbounded (limit 0).
        Assert.Equal(new[] { ("ba", "4"), ("bb", "5") }, Pairs(Run(Range(Scan, "b", "c", offset: 1, limit: 0), services)));
        // limit is n+1-encoded: 3 means two entries.
        Assert.Equal(new[] { ("a", "1"), ("b", "2") }, Pairs(Run(Range(Scan, "a", "z", offset: 0, limit: 3), services)));
        // An empty or inverted range finds nothing rather than failing.
        Assert.Empty(Pairs(Run(Range(Scan, "z", "a", offset: 0, limit: 0), services)));
        Assert.Equal(new[] { ("bb", "5") }, Pairs(Run(Range(Last, "a", "c"), services)));
        Assert.Empty(Pairs(Run(Range(Last, "x", "z"), services)));

        Assert.Equal(1UL, Result(Run(Key(Remove, "a"), services)));
        Assert.Equal(1UL, Result(Run(Key(RemovePrefix, "b"), services)));
        Assert.Equal(new[] { "c" }, index.Entries.Keys.Select(k => Encoding.UTF8.GetString(k)));
    }

    [Fact]
    public void A_scan_is_capped_at_the_scan_limit()
    {
        using var engine = new WasmEngine(new VmLimits { MaxStorageIndexScanLimit = 2 });
        var index = new InMemoryOrderedIndex();
        foreach (var key in new[] { "a", "b", "c", "d" })
        {
            index.Set(Encoding.UTF8.GetBytes(key), "v"u8);
        }

        var services = new RuntimeServices { OrderedIndex = index };
        Assert.Equal(new[] { "a", "b" }, Pairs(engine.Run(engine.Compile(Wasm), "raw", Range(Scan, "a", "z", 0, 0), TestEngines.Context, new RecordingStorage(), services)).Select(p => p.Key));
        Assert.Equal(new[] { "b", "c" }, Pairs(engine.Run(engine.Compile(Wasm), "raw", Range(Scan, "a", "z", 1, 100), TestEngines.Context, new RecordingStorage(), services)).Select(p => p.Key));
    }

    [Fact]
    public void Extreme_offsets_and_limits_are_safe()
    {
        var index = new InMemoryOrderedIndex();
        index.Set("a"u8, "1"u8);
        index.Set("b"u8, "2"u8);
        var services = new RuntimeServices { OrderedIndex = index };

        Assert.Empty(Pairs(Run(Range(Scan, "a", "z", offset: ulong.MaxValue, limit: 0), services)));
        Assert.Equal(new[] { ("a", "1"), ("b", "2") }, Pairs(Run(Range(Scan, "a", "z", offset: 0, limit: ulong.MaxValue), services)));
        // limit 1 is "zero entries".
        Assert.Empty(Pairs(Run(Range(Scan, "a", "z", offset: 0, limit: 1), services)));
    }

    [Fact]
    public void Validity_markers_live_apart_from_index_entries()
    {
        var index = new InMemoryOrderedIndex();
        var services = new RuntimeServices { OrderedIndex = index };

        Assert.Equal(1UL, Result(Run(Pair(MetaSet, "m", "ok"), services)));
        var got = Run(Key(MetaGet, "m", register: 1), services);
        Assert.Equal(1UL, Result(got));
        Assert.Equal("ok"u8.ToArray(), Register(got));
        Assert.Empty(index.Entries);
        Assert.Empty(Pairs(Run(Range(Scan, "", "zz", 0, 0), services)));

        Assert.Equal(1UL, Result(Run(Key(MetaClear, "m"), services)));
        Assert.Equal(0UL, Result(Run(Key(MetaGet, "m", register: 1), services)));
    }

    [Fact]
    public void Without_an_index_writes_are_not_persisted_and_reads_find_nothing()
    {
        Assert.Equal(0UL, Result(Run(Pair(Set, "a", "1"), RuntimeServices.None)));
        Assert.Equal(0UL, Result(Run(Key(Remove, "a"), RuntimeServices.None)));
        Assert.Equal(0UL, Result(Run(Pair(MetaSet, "m", "1"), RuntimeServices.None)));
        Assert.Equal(0UL, Result(Run(Key(MetaGet, "m", register: 1), RuntimeServices.None)));
        var scan = Run(Range(Scan, "a", "z", 0, 0), RuntimeServices.None);
        Assert.Equal(1UL, Result(scan));
        Assert.Equal(new byte[4], Register(scan));
    }

    public static TheoryData<ulong, int> KeyArguments => new()
    {
        { Set, 0 }, { Remove, 0 }, { RemovePrefix, 0 }, { Scan, 0 }, { Scan, 1 }, { Last, 0 }, { Last, 1 },
        { MetaSet, 0 }, { MetaGet, 0 }, { MetaClear, 0 },
    };

    [Theory]
    [MemberData(nameof(KeyArguments))]
    public void Oversized_keys_and_wild_pointers_have_their_own_errors(ulong selector, int argument)
    {
        var index = new InMemoryOrderedIndex();
        index.Set("kept"u8, "1"u8);
        var services = new RuntimeServices { OrderedIndex = index };

        var oversized = Valid(selector);
        oversized.Replace(argument, oversized.Buf(4096, (1024 * 1024) + 1));
        var outcome = Run(oversized.Input(), services);
        outcome.AssertHostError(HostErrorCode.KeyLengthOverflow);
        Assert.Equal("key length overflow (size: 1048577, max: 1048576)", outcome.Error!.Message);

        var wildDescriptor = Valid(selector);
        wildDescriptor.Replace(argument, WildPointer);
        Run(wildDescriptor.Input(), services).AssertHostError(HostErrorCode.InvalidMemoryAccess);

        var wildData = Valid(selector);
        wildData.Replace(argument, wildData.Buf(65_530, 100));
        Run(wildData.Input(), services).AssertHostError(HostErrorCode.InvalidMemoryAccess);

        Assert.Equal(new[] { "kept" }, index.Entries.Keys.Select(k => Encoding.UTF8.GetString(k)));
    }

    [Theory]
    [InlineData(Set)]
    [InlineData(MetaSet)]
    public void Oversized_values_are_refused_before_anything_is_written(ulong selector)
    {
        var index = new InMemoryOrderedIndex();
        var services = new RuntimeServices { OrderedIndex = index };
        var call = new RawCall(selector);
        call.Args(call.Buf("k"u8.ToArray()), call.Buf(4096, (10 * 1024 * 1024) + 1));

        var outcome = Run(call.Input(), services);

        outcome.AssertHostError(HostErrorCode.ValueLengthOverflow);
        Assert.Empty(index.Entries);
        Assert.Null(index.GetMeta("k"u8));
    }

    [Fact]
    public void Index_writes_share_the_storage_write_budget()
    {
        using var engine = new WasmEngine(new VmLimits { MaxStorageWriteBytes = 3 });
        var index = new InMemoryOrderedIndex();
        var outcome = engine.Run(engine.Compile(Wasm), "raw", Pair(Set, "key", "value"), TestEngines.Context, new RecordingStorage(), new RuntimeServices { OrderedIndex = index });

        outcome.AssertHostError(HostErrorCode.StorageWriteBytesExceeded);
        Assert.Empty(index.Entries);
    }

    [Fact]
    public void A_scan_larger_than_a_register_is_refused()
    {
        using var engine = new WasmEngine(new VmLimits { MaxRegisterSize = 128, MaxRegistersCapacity = 4096 });
        var index = new InMemoryOrderedIndex();
        index.Set("a"u8, new byte[200]);

        var outcome = engine.Run(engine.Compile(Wasm), "raw", Range(Scan, "a", "z", 0, 0), TestEngines.Context, new RecordingStorage(), new RuntimeServices { OrderedIndex = index });

        outcome.AssertHostError(HostErrorCode.RegisterSizeOverflow);
    }

    // ---- js_std_d_print ----

    [Fact]
    public void Js_std_d_print_logs_a_raw_message_with_invalid_utf8_replaced()
    {
        var call = new RawCall(DebugPrint);
        var message = new byte[] { (byte)'h', (byte)'i', 0xFF, (byte)'!' };
        call.Args(0, call.Bytes(message), (ulong)message.Length);

        var outcome = Run(call.Input(), RuntimeServices.None);

        Assert.Equal(0UL, Result(outcome));
        Assert.Equal("hi\uFFFD!", Assert.Single(outcome.Logs));
    }

    [Fact]
    public void Hostile_debug_prints_have_their_own_errors()
    {
        var tooLong = Call(new RawCall(DebugPrint, 0, 4096, (16 * 1024) + 1));
        tooLong.AssertHostError(HostErrorCode.LogLengthOverflow);
        Assert.Equal("log size overflow (size: 16385, max: 16384)", tooLong.Error!.Message);
        Call(new RawCall(DebugPrint, 0, WildPointer, 16)).AssertHostError(HostErrorCode.InvalidMemoryAccess);
        Call(new RawCall(DebugPrint, 0, 65_530, 100)).AssertHostError(HostErrorCode.InvalidMemoryAccess);

        using var engine = new WasmEngine(new VmLimits { MaxLogs = 1 });
        var twice = engine.Run(engine.Compile(Wasm), "print_twice", [], TestEngines.Context, new RecordingStorage());
        twice.AssertHostError(HostErrorCode.LogsOverflow);
        Assert.Single(twice.Logs);
    }

    // ---- governance ----

    [Theory]
    [InlineData(SendProposal, "send_proposal")]
    [InlineData(ApproveProposal, "approve_proposal")]
    public void Governance_calls_link_but_are_not_supported(ulong selector, string name)
    {
        var storage = new MemoryStorage();
        storage.Committed["k"] = [1];

        var call = new RawCall(selector);
        call.Args(call.Buf("actions"u8.ToArray()), call.Buf(new byte[32]));
        var outcome = storage.Commit(Run(call.Input(), RuntimeServices.None, storage: storage));

        outcome.AssertHostError(HostErrorCode.NotSupported);
        Assert.StartsWith($"host function '{name}' is not supported", outcome.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(new byte[] { 1 }, storage.Committed["k"]);
        // Wild arguments change nothing: the call is refused before any argument is read.
        Call(new RawCall(selector, WildPointer, WildPointer)).AssertHostError(HostErrorCode.NotSupported);
    }

    // ---- helpers ----

    private static RawCall Valid(ulong selector)
    {
        var call = new RawCall(selector);
        var key = call.Buf("k"u8.ToArray());
        var other = call.Buf("v"u8.ToArray());
        call.Args(selector switch
        {
            Scan => [key, other, 0, 0, 1],
            Last => [key, other, 1],
            Set or MetaSet => [key, other],
            MetaGet => [key, 1],
            _ => [key],
        });
        return call;
    }

    private static byte[] Pair(ulong selector, string key, string value)
    {
        var call = new RawCall(selector);
        call.Args(call.Buf(Encoding.UTF8.GetBytes(key)), call.Buf(Encoding.UTF8.GetBytes(value)));
        return call.Input();
    }

    private static byte[] Key(ulong selector, string key, ulong register = 0)
    {
        var call = new RawCall(selector);
        call.Args(call.Buf(Encoding.UTF8.GetBytes(key)), register);
        return call.Input();
    }

    private static byte[] Range(ulong selector, string lo, string hi, ulong offset = 0, ulong limit = 0)
    {
        var call = new RawCall(selector);
        var loBuf = call.Buf(Encoding.UTF8.GetBytes(lo));
        var hiBuf = call.Buf(Encoding.UTF8.GetBytes(hi));
        call.Args(selector == Scan ? [loBuf, hiBuf, offset, limit, 1] : [loBuf, hiBuf, 1]);
        return call.Input();
    }

    private static Outcome Call(RawCall call, ExecutionContext? context = null) =>
        TestEngines.Default.Run(TestEngines.Default.Compile(Wasm), "raw", call.Input(), context ?? TestEngines.Context, new RecordingStorage());

    private static Outcome Run(byte[] input, RuntimeServices services, IRuntimeStorage? storage = null) =>
        TestEngines.Default.Run(TestEngines.Default.Compile(Wasm), "raw", input, TestEngines.Context, storage ?? new RecordingStorage(), services);

    private static ulong Result(Outcome outcome)
    {
        Assert.True(outcome.Success, outcome.Error?.ToString());
        return BinaryPrimitives.ReadUInt64LittleEndian(outcome.ReturnValue);
    }

    private static byte[] Register(Outcome outcome)
    {
        Assert.True(outcome.Success, outcome.Error?.ToString());
        return outcome.ReturnValue![8..];
    }

    /// <summary>Decodes the scan encoding: count u32, then key_len u32, key, value_len u32, value.</summary>
    private static List<(string Key, string Value)> Pairs(Outcome outcome)
    {
        Assert.Equal(1UL, Result(outcome));
        var bytes = Register(outcome).AsSpan();
        var count = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        bytes = bytes[4..];
        var pairs = new List<(string, string)>();
        for (var i = 0; i < count; i++)
        {
            var key = Take(ref bytes);
            pairs.Add((key, Take(ref bytes)));
        }

        Assert.True(bytes.IsEmpty);
        return pairs;
    }

    private static string Take(ref Span<byte> bytes)
    {
        var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        var text = Encoding.UTF8.GetString(bytes.Slice(4, length));
        bytes = bytes[(4 + length)..];
        return text;
    }

    /// <summary>
    /// The input of "raw": selector and five u64 arguments, then a payload for descriptors and
    /// data, all at known guest addresses because the guest copies its input to 4096.
    /// </summary>
    private sealed class RawCall
    {
        private const ulong Base = 4096;
        private const int Header = 6 * sizeof(ulong);
        private readonly ulong[] _args = new ulong[5];
        private readonly List<byte> _payload = [];
        private readonly ulong _selector;

        public RawCall(ulong selector, params ulong[] args)
        {
            _selector = selector;
            Args(args);
        }

        public void Args(params ulong[] args) => args.CopyTo(_args, 0);

        public void Replace(int index, ulong value) => _args[index] = value;

        /// <summary>Places raw data; returns its address.</summary>
        public ulong Bytes(byte[] data)
        {
            var at = Base + Header + (ulong)_payload.Count;
            _payload.AddRange(data);
            return at;
        }

        /// <summary>Places the data and a descriptor of it; returns the descriptor's address.</summary>
        public ulong Buf(byte[] data) => Buf(Bytes(data), (ulong)data.Length);

        /// <summary>Places a descriptor {ptr, len}; returns its address.</summary>
        public ulong Buf(ulong ptr, ulong len)
        {
            var at = Base + Header + (ulong)_payload.Count;
            var descriptor = new byte[16];
            BinaryPrimitives.WriteUInt64LittleEndian(descriptor, ptr);
            BinaryPrimitives.WriteUInt64LittleEndian(descriptor.AsSpan(8), len);
            _payload.AddRange(descriptor);
            return at;
        }

        public byte[] Input()
        {
            var bytes = new byte[Header + _payload.Count];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, _selector);
            for (var i = 0; i < _args.Length; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8 * (i + 1)), _args[i]);
            }

            _payload.CopyTo(bytes, Header);
            return bytes;
        }
    }
}
