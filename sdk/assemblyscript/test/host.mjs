// A JavaScript implementation of the host side of the guest ABI (upstream
// Calimero runtime semantics, the subset the SDK imports), for testing built
// modules under node before the C# host exists.
//
// Each call gets a fresh instance (as upstream does); storage persists across
// calls on the same MockHost and is rolled back if the call fails.

const U64_MAX = (1n << 64n) - 1n;
const fatalUtf8 = new TextDecoder("utf-8", { fatal: true });
const enc = new TextEncoder();

/** The ordered-index scan encoding: u32 count, then u32 key_len, key, u32 value_len, value (LE). */
function encodePairs(pairs) {
  const parts = [];
  const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
  parts.push(u32(pairs.length));
  for (const [k, v] of pairs) {
    const kb = Buffer.from(k, "hex");
    parts.push(u32(kb.length), kb, u32(v.length), Buffer.from(v));
  }
  return Buffer.concat(parts);
}

/** A guest panic reported through panic_utf8. */
export class GuestPanic extends Error {
  constructor(message, file, line, column) {
    super(`guest panicked: ${message} at ${file}:${line}:${column}`);
    this.panicMessage = message;
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

/** A host-side error (upstream HostError): the guest broke an ABI rule. */
export class HostError extends Error {}

export class MockHost {
  constructor(module, { contextId, executorId, accountId, orderedIndex = true, limits } = {}) {
    this.module = module;
    this.storage = new Map(); // hex(key) -> Uint8Array
    this.contextId = contextId ?? new Uint8Array(32).fill(0xc1);
    this.executorId = executorId ?? new Uint8Array(32).fill(0xe1);
    this.accountId = accountId ?? this.executorId;
    // Ordered index and its markers: hex(key) -> bytes (lowercase hex sorts like the bytes).
    // Without one (orderedIndex: false) writes are not persisted and reads find nothing.
    this.index = orderedIndex ? new Map() : null;
    this.indexMeta = orderedIndex ? new Map() : null;
    this.limits = { maxLogs: 1024, maxLogSize: 16 * 1024, maxEvents: 100, maxEventKind: 100, maxEventData: 16 * 1024,
      maxRegisters: 100, maxStorageKey: 1 << 20, maxStorageValue: 10 << 20, maxReturn: 16 << 20, ...limits };
    this.hostCalls = new Map(); // name -> count, over the host's lifetime
  }

  /** Raw storage as [key bytes, value bytes] pairs. */
  storageEntries() {
    return [...this.storage].map(([k, v]) => [Buffer.from(k, "hex"), v]);
  }

  /**
   * Runs `method` with `input` (an object → JSON, a string, or raw bytes).
   * Returns { ok, returned: {tag, bytes} | null, json, text, logs, events, panic, error }.
   */
  call(method, input = new Uint8Array(0)) {
    const inputBytes = input instanceof Uint8Array ? input
      : enc.encode(typeof input === "string" ? input : JSON.stringify(input));
    const snapshot = new Map(this.storage);
    const st = { registers: new Map(), logs: [], events: [], returned: null, panic: null, memory: null, witness: null };
    const imports = { env: this.#imports(st, inputBytes) };
    let error = null;
    try {
      const instance = new WebAssembly.Instance(this.module, imports);
      st.memory = instance.exports.memory;
      const fn = instance.exports[method];
      if (typeof fn !== "function") throw new HostError(`method not found: ${method}`);
      if (fn.length !== 0) throw new HostError(`method ${method} has parameters`);
      const r = fn();
      if (r !== undefined) throw new HostError(`method ${method} returned a value`);
    } catch (e) {
      error = e;
    }
    if (error || (st.returned && st.returned.tag === 1)) {
      // upstream commits the state overlay only on success
      if (error) this.storage = snapshot;
    }
    const out = { ok: error === null && !(st.returned && st.returned.tag === 1), error, panic: st.panic,
      logs: st.logs, events: st.events, returned: st.returned, text: null, json: undefined, witness: st.witness,
      memoryBytes: st.memory ? st.memory.buffer.byteLength : 0 };
    if (st.returned) {
      out.text = fatalUtf8.decode(st.returned.bytes);
      try { out.json = JSON.parse(out.text); } catch { out.json = undefined; }
    }
    return out;
  }

  #count(name) {
    this.hostCalls.set(name, (this.hostCalls.get(name) ?? 0) + 1);
  }

  #imports(st, inputBytes) {
    const host = this;
    const lim = this.limits;
    const mem = () => {
      if (!st.memory) throw new HostError("memory not attached");
      return new Uint8Array(st.memory.buffer);
    };
    const dv = () => new DataView(st.memory.buffer);
    const u64 = (ptr) => {
      const p = Number(ptr);
      if (p + 8 > st.memory.buffer.byteLength) throw new HostError("InvalidMemoryAccess");
      return dv().getBigUint64(p, true);
    };
    const u32 = (ptr) => dv().getUint32(Number(ptr), true);
    // reads a Buffer descriptor {u64 ptr, u64 len} → [ptr, len]
    const desc = (ptr) => {
      const p = u64(ptr), l = u64(BigInt.asUintN(64, ptr) + 8n);
      if (p + l > BigInt(st.memory.buffer.byteLength)) throw new HostError("InvalidMemoryAccess");
      return [Number(p), Number(l)];
    };
    const slice = (ptr) => {
      const [p, l] = desc(ptr);
      return mem().slice(p, p + l);
    };
    const utf8 = (bytes) => {
      try { return fatalUtf8.decode(bytes); } catch { throw new HostError("BadUTF8"); }
    };
    const setRegister = (id, bytes) => {
      const key = BigInt.asUintN(64, id);
      if (!st.registers.has(key) && st.registers.size >= lim.maxRegisters) throw new HostError("too many registers");
      st.registers.set(key, Uint8Array.from(bytes));
    };
    const key = (bytes) => {
      if (bytes.length > lim.maxStorageKey) throw new HostError("KeyLengthOverflow");
      return Buffer.from(bytes).toString("hex");
    };
    // Index entries with lo <= key < hi, ascending (hex keys sort like the bytes).
    const range = (lop, hip) => {
      const lo = key(slice(lop)), hi = key(slice(hip));
      return host.index ? [...host.index].filter(([k]) => k >= lo && k < hi).sort(([a], [b]) => (a < b ? -1 : 1)) : [];
    };
    const wrap = (name, f) => (...args) => { host.#count(name); return f(...args); };
    return Object.fromEntries(Object.entries({
      input(r) { setRegister(r, inputBytes); },
      register_len(r) {
        const v = st.registers.get(BigInt.asUintN(64, r));
        return v === undefined ? BigInt.asIntN(64, U64_MAX) : BigInt(v.length);
      },
      read_register(r, bufPtr) {
        const v = st.registers.get(BigInt.asUintN(64, r));
        if (v === undefined) throw new HostError("InvalidRegisterId");
        const [p, l] = desc(bufPtr);
        if (l !== v.length) return 0;
        mem().set(v, p);
        return 1;
      },
      value_return(ptr) {
        const tag = u64(ptr);
        if (tag !== 0n && tag !== 1n) throw new HostError("DeserializationError: bad ValueReturn tag");
        const bytes = slice(BigInt.asUintN(64, ptr) + 8n);
        if (bytes.length > lim.maxReturn) throw new HostError("ReturnValueTooLarge");
        st.returned = { tag: Number(tag), bytes };
      },
      storage_read(kp, r) {
        const v = host.storage.get(key(slice(kp)));
        if (v === undefined) return 0;
        setRegister(r, v);
        return 1;
      },
      storage_write(kp, vp, r) {
        const k = key(slice(kp));
        const v = slice(vp);
        if (v.length > lim.maxStorageValue) throw new HostError("ValueLengthOverflow");
        const old = host.storage.get(k);
        host.storage.set(k, v);
        if (old === undefined) return 0;
        setRegister(r, old);
        return 1;
      },
      storage_remove(kp, r) {
        const k = key(slice(kp));
        const old = host.storage.get(k);
        if (old === undefined) return 0;
        host.storage.delete(k);
        setRegister(r, old);
        return 1;
      },
      log_utf8(ptr) {
        const bytes = slice(ptr);
        if (st.logs.length >= lim.maxLogs) throw new HostError("LogsOverflow");
        if (bytes.length > lim.maxLogSize) throw new HostError("LogLengthOverflow");
        st.logs.push(utf8(bytes));
      },
      panic_utf8(msgPtr, locPtr) {
        const message = utf8(slice(msgPtr));
        const file = utf8(slice(locPtr));
        const line = u32(BigInt.asUintN(64, locPtr) + 16n);
        const column = u32(BigInt.asUintN(64, locPtr) + 20n);
        st.panic = { message, file, line, column };
        throw new GuestPanic(message, file, line, column);
      },
      emit(ptr) {
        const kind = utf8(slice(ptr));
        const data = slice(BigInt.asUintN(64, ptr) + 16n);
        if (Buffer.byteLength(kind) > lim.maxEventKind) throw new HostError("EventKindSizeOverflow");
        if (data.length > lim.maxEventData) throw new HostError("EventDataSizeOverflow");
        if (st.events.length >= lim.maxEvents) throw new HostError("EventsOverflow");
        st.events.push({ kind, data, text: Buffer.from(data).toString("utf8") });
      },
      context_id(r) { setRegister(r, host.contextId); },
      executor_id(r) { setRegister(r, host.accountId); },
      account_id(r) { setRegister(r, host.accountId); },
      device_id(r) { setRegister(r, host.executorId); },
      emit_migration_witness(ptr) {
        const bytes = slice(ptr);
        if (bytes.length > lim.maxStorageValue) throw new HostError("ValueLengthOverflow");
        st.witness = bytes;
      },
      storage_index_set(kp, vp) {
        const k = key(slice(kp)), v = slice(vp);
        if (v.length > lim.maxStorageValue) throw new HostError("ValueLengthOverflow");
        if (!host.index) return 0;
        host.index.set(k, v);
        return 1;
      },
      storage_index_remove(kp) {
        const k = key(slice(kp));
        if (!host.index) return 0;
        host.index.delete(k);
        return 1;
      },
      storage_index_remove_prefix(pp) {
        const p = key(slice(pp));
        if (!host.index) return 0;
        for (const k of [...host.index.keys()]) if (k.startsWith(p)) host.index.delete(k);
        return 1;
      },
      storage_index_scan(lop, hip, offset, limit, r) {
        const cap = limit === 0n ? Infinity : Number(BigInt.asUintN(64, limit) - 1n);
        setRegister(r, encodePairs(range(lop, hip).slice(Number(offset)).slice(0, cap)));
        return 1;
      },
      storage_index_last(lop, hip, r) {
        setRegister(r, encodePairs(range(lop, hip).slice(-1)));
        return 1;
      },
      storage_index_meta_set(kp, vp) {
        const k = key(slice(kp)), v = slice(vp);
        if (!host.indexMeta) return 0;
        host.indexMeta.set(k, v);
        return 1;
      },
      storage_index_meta_get(kp, r) {
        const v = host.indexMeta?.get(key(slice(kp)));
        if (v === undefined) return 0;
        setRegister(r, v);
        return 1;
      },
      storage_index_meta_clear(kp) {
        const k = key(slice(kp));
        if (!host.indexMeta) return 0;
        host.indexMeta.delete(k);
        return 1;
      },
    }).map(([name, f]) => [name, wrap(name, f)]));
  }
}
