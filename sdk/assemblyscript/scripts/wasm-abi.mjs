// Checks a built guest module against the host ABI: exact import names and
// signatures (module "env", all params i64), `memory` exported, no `_start`,
// every exported function is an app method `() -> ()` with a valid name.
// Pure JS: parses the type/import/function/export sections itself, because
// WebAssembly.Module.imports/exports do not report signatures.

/** The host functions the SDK may import: name → [param count, result]. */
export const ALLOWED_IMPORTS = {
  input: [1, null],
  register_len: [1, "i64"],
  read_register: [2, "i32"],
  value_return: [1, null],
  storage_read: [2, "i32"],
  storage_write: [3, "i32"],
  storage_remove: [2, "i32"],
  log_utf8: [1, null],
  panic_utf8: [2, null],
  emit: [1, null],
  context_id: [1, null],
  executor_id: [1, null],
  emit_with_handler: [2, null],
  private_storage_read: [2, "i32"],
  private_storage_write: [2, "i32"],
  private_storage_remove: [2, "i32"],
  xcall: [1, null],
  xcall_origin: [1, "i32"],
  blob_create: [0, "i64"],
  blob_write: [2, "i64"],
  blob_close: [2, "i32"],
  blob_open: [1, "i64"],
  blob_read: [2, "i64"],
  random_bytes: [1, null],
  time_now: [1, null],
  context_add_member: [1, null],
  context_remove_member: [1, null],
  context_is_member: [1, "i32"],
  account_id: [1, null],
  device_id: [1, null],
  emit_migration_witness: [1, null],
  storage_index_set: [2, "i32"], storage_index_remove: [1, "i32"], storage_index_remove_prefix: [1, "i32"],
  storage_index_scan: [5, "i32"], storage_index_last: [3, "i32"],
  storage_index_meta_set: [2, "i32"], storage_index_meta_get: [2, "i32"], storage_index_meta_clear: [1, "i32"],
  // CRDT collections (docs/crdt.md); a third element lists non-i64 params.
  js_crdt_child: [4, "i32"],
  js_crdt_map_new: [1, "i32"], js_crdt_map_get: [3, "i32"], js_crdt_map_insert: [4, "i32"],
  js_crdt_map_remove: [3, "i32"], js_crdt_map_contains: [2, "i32"], js_crdt_map_iter: [2, "i32"], js_crdt_map_len: [2, "i32"],
  js_crdt_vector_new: [1, "i32"], js_crdt_vector_len: [2, "i32"], js_crdt_vector_push: [2, "i32"],
  js_crdt_vector_get: [3, "i32"], js_crdt_vector_update: [4, "i32"], js_crdt_vector_pop: [2, "i32"],
  js_crdt_set_new: [1, "i32"], js_crdt_set_insert: [2, "i32"], js_crdt_set_contains: [2, "i32"], js_crdt_set_remove: [2, "i32"],
  js_crdt_set_len: [2, "i32"], js_crdt_set_iter: [2, "i32"], js_crdt_set_clear: [1, "i32"],
  js_crdt_lww_new: [1, "i32"], js_crdt_lww_set: [3, "i32", ["i64", "i64", "i32"]], js_crdt_lww_get: [2, "i32"], js_crdt_lww_timestamp: [2, "i32"],
  js_crdt_counter_new: [1, "i32"], js_crdt_counter_increment: [1, "i32"], js_crdt_counter_value: [2, "i32"],
  js_crdt_counter_get_executor_count: [4, "i32", ["i64", "i64", "i32", "i64"]],
  js_crdt_text_new: [1, "i32"], js_crdt_text_insert: [3, "i32"], js_crdt_text_delete: [3, "i32"],
  js_crdt_text_get: [2, "i32"], js_crdt_text_len: [2, "i32"],
  // Upstream's names for text and the PN counter.
  js_crdt_rga_new: [1, "i32"], js_crdt_rga_insert: [3, "i32"], js_crdt_rga_delete: [2, "i32"],
  js_crdt_rga_get_text: [2, "i32"], js_crdt_rga_len: [2, "i32"],
  js_crdt_pncounter_new: [1, "i32"], js_crdt_pncounter_increment: [1, "i32"], js_crdt_pncounter_decrement: [1, "i32"],
  js_crdt_pncounter_value: [2, "i32"], js_crdt_pncounter_get_executor_count: [4, "i32", ["i64", "i64", "i32", "i64"]],
  // Upstream's *_new_with_id constructors and sorted map / sorted set.
  js_crdt_map_new_with_id: [2, "i32"], js_crdt_vector_new_with_id: [2, "i32"], js_crdt_set_new_with_id: [2, "i32"],
  js_crdt_lww_new_with_id: [2, "i32"], js_crdt_counter_new_with_id: [2, "i32"], js_crdt_pncounter_new_with_id: [2, "i32"],
  js_crdt_rga_new_with_id: [2, "i32"], js_crdt_text_new_with_id: [2, "i32"],
  js_crdt_sortedmap_new: [1, "i32"], js_crdt_sortedmap_new_with_id: [2, "i32"], js_crdt_sortedmap_get: [3, "i32"],
  js_crdt_sortedmap_insert: [4, "i32"], js_crdt_sortedmap_remove: [3, "i32"], js_crdt_sortedmap_contains: [2, "i32"],
  js_crdt_sortedmap_iter: [2, "i32"],
  js_crdt_sortedset_new: [1, "i32"], js_crdt_sortedset_new_with_id: [2, "i32"], js_crdt_sortedset_insert: [2, "i32"],
  js_crdt_sortedset_contains: [2, "i32"], js_crdt_sortedset_remove: [2, "i32"], js_crdt_sortedset_len: [2, "i32"],
  js_crdt_sortedset_iter: [2, "i32"], js_crdt_sortedset_clear: [1, "i32"],
};

const VALTYPES = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128", 0x70: "funcref", 0x6f: "externref" };

class Reader {
  constructor(bytes, pos = 0, end = bytes.length) {
    this.b = bytes;
    this.pos = pos;
    this.end = end;
  }
  byte() {
    if (this.pos >= this.end) throw new Error("unexpected end of section");
    return this.b[this.pos++];
  }
  u32() {
    let result = 0, shift = 0, byte;
    do {
      byte = this.byte();
      result |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    return result >>> 0;
  }
  name() {
    const n = this.u32();
    const s = new TextDecoder().decode(this.b.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  valtype() {
    const t = this.byte();
    return VALTYPES[t] ?? `0x${t.toString(16)}`;
  }
  limits() {
    const flags = this.byte();
    this.u32();
    if (flags & 1) this.u32();
  }
}

/** Parses the sections needed for the ABI check. */
export function parseModule(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (b.length < 8 || b[0] !== 0 || b[1] !== 0x61 || b[2] !== 0x73 || b[3] !== 0x6d) throw new Error("not a wasm module");
  const types = [], imports = [], funcTypes = [], exports = [];
  const r = new Reader(b, 8);
  while (r.pos < b.length) {
    const id = r.byte();
    const size = r.u32();
    const s = new Reader(b, r.pos, r.pos + size);
    r.pos += size;
    if (id === 1) {
      for (let n = s.u32(); n > 0; n--) {
        const form = s.byte();
        if (form !== 0x60) throw new Error(`unsupported type form 0x${form.toString(16)}`);
        const params = [];
        for (let p = s.u32(); p > 0; p--) params.push(s.valtype());
        const results = [];
        for (let q = s.u32(); q > 0; q--) results.push(s.valtype());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = s.u32(); n > 0; n--) {
        const module = s.name(), name = s.name(), kind = s.byte();
        const imp = { module, name, kind: ["function", "table", "memory", "global", "tag"][kind] ?? String(kind) };
        if (kind === 0) imp.type = types[s.u32()];
        else if (kind === 1) { s.byte(); s.limits(); }
        else if (kind === 2) s.limits();
        else if (kind === 3) { s.valtype(); s.byte(); }
        else if (kind === 4) { s.byte(); s.u32(); }
        imports.push(imp);
      }
    } else if (id === 3) {
      for (let n = s.u32(); n > 0; n--) funcTypes.push(types[s.u32()]);
    } else if (id === 7) {
      for (let n = s.u32(); n > 0; n--) {
        const name = s.name(), kind = s.byte(), index = s.u32();
        exports.push({ name, kind: ["function", "table", "memory", "global", "tag"][kind] ?? String(kind), index });
      }
    }
  }
  const importedFuncs = imports.filter((i) => i.kind === "function");
  for (const e of exports) {
    if (e.kind === "function") {
      e.type = e.index < importedFuncs.length ? importedFuncs[e.index].type : funcTypes[e.index - importedFuncs.length];
    }
  }
  return { types, imports, exports };
}

const sig = (t) => `(${t.params.join(", ")}) -> (${t.results.join(", ")})`;

/** Returns a list of ABI violations (empty if the module is fine). */
export function checkModule(bytes) {
  const problems = [];
  const { imports, exports } = parseModule(bytes);
  for (const imp of imports) {
    const where = `import ${imp.module}.${imp.name}`;
    if (imp.module !== "env") { problems.push(`${where}: module must be "env"`); continue; }
    if (imp.kind !== "function") { problems.push(`${where}: only function imports are allowed (got ${imp.kind})`); continue; }
    const want = Object.hasOwn(ALLOWED_IMPORTS, imp.name) ? ALLOWED_IMPORTS[imp.name] : undefined;
    if (!want) { problems.push(`${where}: not an allowed host function`); continue; }
    const [nparams, result, explicit] = want;
    const params = explicit ?? Array(nparams).fill("i64");
    const ok = imp.type.params.length === nparams && imp.type.params.every((p, i) => p === params[i]) &&
      (result === null ? imp.type.results.length === 0 : imp.type.results.length === 1 && imp.type.results[0] === result);
    if (!ok) problems.push(`${where}: signature ${sig(imp.type)}, expected (${params.join(", ")}) -> (${result ?? ""})`);
  }
  if (!exports.some((e) => e.name === "memory" && e.kind === "memory")) problems.push("memory is not exported");
  for (const e of exports) {
    if (e.name === "memory" && e.kind === "memory") continue;
    if (e.name === "_start") { problems.push("exports _start"); continue; }
    if (e.kind !== "function") { problems.push(`export ${e.name}: only functions and memory may be exported (got ${e.kind})`); continue; }
    if (!/^[A-Za-z0-9_]{1,256}$/.test(e.name)) problems.push(`export ${e.name}: not a valid method name ([A-Za-z0-9_], ≤ 256 bytes)`);
    if (e.type.params.length !== 0 || e.type.results.length !== 0) problems.push(`export ${e.name}: signature ${sig(e.type)}, expected () -> ()`);
  }
  return problems;
}
