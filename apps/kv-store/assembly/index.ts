// kv-store: a string → string map, the AssemblyScript port of upstream
// Calimero's apps/kv-store. Every exported function is an app method with
// signature () -> (): it reads its JSON args from the call input and passes its
// JSON result to value_return. Storage layout: see ../README.md.

import { env, storage, utf8, json, Args, JsonWriter } from "../../../sdk/assemblyscript/assembly";

// ---- storage layout -------------------------------------------------------

const INIT_KEY = utf8.encode("kv:meta:init");
const LEN_KEY = utf8.encode("kv:meta:len");
const SLOT_PREFIX = utf8.encode("kv:slot:");
const ENTRY_PREFIX = utf8.encode("kv:entry:");

/** "kv:entry:" ‖ UTF-8(key) */
function entryKey(key: Uint8Array): Uint8Array {
  return utf8.concat(ENTRY_PREFIX, key);
}

/** "kv:slot:" ‖ u32 LE slot */
function slotKey(slot: u32): Uint8Array {
  const out = new Uint8Array(SLOT_PREFIX.length + 4);
  memory.copy(out.dataStart, SLOT_PREFIX.dataStart, <usize>SLOT_PREFIX.length);
  store<u32>(out.dataStart + <usize>SLOT_PREFIX.length, slot);
  return out;
}

function corrupt(what: string): void {
  env.panic("kv-store: corrupt state: " + what);
}

function readLen(): u32 {
  const v = storage.read(LEN_KEY);
  if (v === null) return 0;
  if (v.length != 4) corrupt("length record is not 4 bytes");
  return load<u32>(v.dataStart);
}

function writeLen(n: u32): void {
  const v = new Uint8Array(4);
  store<u32>(v.dataStart, n);
  storage.write(LEN_KEY, v);
}

/** Entry record: u32 LE slot ‖ UTF-8(value). */
function encodeRecord(slot: u32, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + value.length);
  store<u32>(out.dataStart, slot);
  memory.copy(out.dataStart + 4, value.dataStart, <usize>value.length);
  return out;
}

function recordSlot(rec: Uint8Array): u32 {
  if (rec.length < 4) corrupt("entry record shorter than 4 bytes");
  return load<u32>(rec.dataStart);
}

/** The value bytes of an entry record (a view; valid UTF-8 by construction). */
function recordValue(rec: Uint8Array): Uint8Array {
  if (rec.length < 4) corrupt("entry record shorter than 4 bytes");
  return rec.subarray(4);
}

/** Inserts or updates; returns true if the key already existed. */
function put(keyBytes: Uint8Array, valueBytes: Uint8Array): bool {
  const ek = entryKey(keyBytes);
  const existing = storage.read(ek);
  if (existing !== null) {
    storage.write(ek, encodeRecord(recordSlot(existing), valueBytes));
    return true;
  }
  const n = readLen();
  if (n == u32.MAX_VALUE) corrupt("length overflow");
  storage.write(slotKey(n), keyBytes);
  storage.write(ek, encodeRecord(n, valueBytes));
  writeLen(n + 1);
  return false;
}

/** Removes a key; returns its value bytes or null. Keeps slots dense (swap-remove). */
function take(keyBytes: Uint8Array): Uint8Array | null {
  const rec = storage.remove(entryKey(keyBytes));
  if (rec === null) return null;
  const slot = recordSlot(rec);
  const n = readLen();
  if (n == 0 || slot >= n) corrupt("entry slot out of range");
  const last = n - 1;
  if (slot != last) {
    // move the last slot's key into the freed slot
    const lastKey = storage.read(slotKey(last));
    if (lastKey === null) { corrupt("missing slot " + last.toString()); return null; }
    storage.write(slotKey(slot), lastKey);
    const lastEk = entryKey(lastKey);
    const lastRec = storage.read(lastEk);
    if (lastRec === null) { corrupt("missing entry for slot " + last.toString()); return null; }
    store<u32>(lastRec.dataStart, slot);
    storage.write(lastEk, lastRec);
  }
  storage.remove(slotKey(last));
  writeLen(last);
  return recordValue(rec);
}

/** The value bytes stored under a key, or null. */
function lookup(keyBytes: Uint8Array): Uint8Array | null {
  const rec = storage.read(entryKey(keyBytes));
  return rec === null ? null : recordValue(rec);
}

// ---- events -----------------------------------------------------------------

/** Smallest JSON for {"key": k, "value": v}: 21 bytes of punctuation + the raw bytes. */
const KEY_VALUE_OVERHEAD: i32 = 21;

/**
 * Emits `kind` with data {"key", "value"?}. The host caps event data at
 * 16 KiB: past that the value (then the key) is dropped and
 * "truncated": true is set instead, so the write itself still succeeds.
 */
function emitKeyEvent(kind: string, key: Uint8Array, value: Uint8Array | null): void {
  const limit = env.MAX_EVENT_DATA_LEN;
  let data: Uint8Array | null = null;
  // escaping only adds bytes, so a raw size over the limit never fits
  if (key.length + (value === null ? 0 : value.length) + KEY_VALUE_OVERHEAD <= limit) {
    const w = new JsonWriter();
    w.beginObject().key("key").stringUtf8(key);
    if (value !== null) w.key("value").stringUtf8(value);
    data = w.endObject().toBytes();
    if (data.length > limit) data = null;
  }
  if (data === null && key.length + KEY_VALUE_OVERHEAD <= limit) {
    data = new JsonWriter().beginObject().key("key").stringUtf8(key).key("truncated").bool(true).endObject().toBytes();
    if (data.length > limit) data = null;
  }
  if (data === null) data = utf8.encode("{\"truncated\":true}");
  env.emit(kind, data);
}

// ---- results ----------------------------------------------------------------

function returnNull(): void {
  env.valueReturnString("null");
}

/** Returns a JSON string from UTF-8 bytes, or null. */
function returnStringOrNull(b: Uint8Array | null): void {
  const w = new JsonWriter(b === null ? 8 : b.length + 8);
  if (b === null) w.null();
  else w.stringUtf8(b);
  env.valueReturn(w.toBytes());
}

/** A quoted, shortened form of a value for log lines. */
function preview(b: Uint8Array): string {
  const max = 256;
  if (b.length <= max) return json.quote(utf8.decodeRaw(b.dataStart, <usize>b.length));
  let cut = max;
  while (cut > 0 && (b[cut] & 0xC0) == 0x80) cut--; // stay on a character boundary
  return json.quote(utf8.decodeRaw(b.dataStart, <usize>cut)) + "…";
}

// ---- methods ----------------------------------------------------------------

/** init {} → null. Panics if the context was already initialised. */
export function init(): void {
  Args.none("init");
  if (storage.has(INIT_KEY)) env.panic("Cannot initialize over already existing state.");
  const marker = new Uint8Array(1);
  marker[0] = 1;
  storage.write(INIT_KEY, marker);
  writeLen(0);
  returnNull();
}

/** set {key, value} → null. Emits Inserted {key, value} or Updated {key, value}. */
export function set(): void {
  const args = Args.parse("set");
  const key = args.stringBytes("key");
  const value = args.stringBytes("value");
  args.done();
  env.log("Setting key: " + preview(key) + " to value: " + preview(value));
  const existed = put(key, value);
  emitKeyEvent(existed ? "Updated" : "Inserted", key, value);
  returnNull();
}

/** update_if_exists {key, value} → bool. Emits Updated when it updates. */
export function update_if_exists(): void {
  const args = Args.parse("update_if_exists");
  const key = args.stringBytes("key");
  const value = args.stringBytes("value");
  args.done();
  env.log("Updating if exists: " + preview(key) + " -> " + preview(value));
  const ek = entryKey(key);
  const existing = storage.read(ek);
  if (existing === null) {
    env.valueReturnString("false");
    return;
  }
  storage.write(ek, encodeRecord(recordSlot(existing), value));
  emitKeyEvent("Updated", key, value);
  env.valueReturnString("true");
}

/** get_or_insert {key, value} → string: the existing value, or `value` after inserting it (emits Inserted). */
export function get_or_insert(): void {
  const args = Args.parse("get_or_insert");
  const key = args.stringBytes("key");
  const value = args.stringBytes("value");
  args.done();
  env.log("Get or insert: " + preview(key) + " -> " + preview(value));
  const current = lookup(key);
  if (current !== null) {
    returnStringOrNull(current);
    return;
  }
  put(key, value);
  emitKeyEvent("Inserted", key, value);
  returnStringOrNull(value);
}

/** get {key} → string | null */
export function get(): void {
  const args = Args.parse("get");
  const key = args.stringBytes("key");
  args.done();
  env.log("Getting key: " + preview(key));
  returnStringOrNull(lookup(key));
}

/** get_unchecked {key} → string; panics "key not found" if absent. */
export function get_unchecked(): void {
  const args = Args.parse("get_unchecked");
  const key = args.stringBytes("key");
  args.done();
  env.log("Getting key without checking: " + preview(key));
  const v = lookup(key);
  if (v === null) env.panic("key not found");
  returnStringOrNull(v);
}

/** get_result {key} → Ok(string), or Err({"kind":"NotFound","data":key}). */
export function get_result(): void {
  const args = Args.parse("get_result");
  const key = args.stringBytes("key");
  args.done();
  env.log("Getting key, possibly failing: " + preview(key));
  const v = lookup(key);
  if (v === null) {
    const w = new JsonWriter();
    w.beginObject().key("kind").string("NotFound").key("data").stringUtf8(key).endObject();
    env.valueReturnErr(w.toBytes());
    return;
  }
  returnStringOrNull(v);
}

/** remove {key} → string | null (the removed value). Emits Removed {key} if it removed something. */
export function remove(): void {
  const args = Args.parse("remove");
  const key = args.stringBytes("key");
  args.done();
  env.log("Removing key: " + preview(key));
  const removed = take(key);
  if (removed !== null) emitKeyEvent("Removed", key, null);
  returnStringOrNull(removed);
}

class Pair {
  constructor(public key: Uint8Array, public value: Uint8Array) {}
}

/** entries {} → {key: value, ...} sorted by key (UTF-8 byte order, like a BTreeMap). */
export function entries(): void {
  Args.none("entries");
  env.log("Getting all entries");
  const n = readLen();
  const pairs = new Array<Pair>();
  for (let i: u32 = 0; i < n; i++) {
    const k = storage.read(slotKey(i));
    if (k === null) { corrupt("missing slot " + i.toString()); return; }
    const rec = storage.read(entryKey(k));
    if (rec === null) { corrupt("missing entry for slot " + i.toString()); return; }
    pairs.push(new Pair(k, recordValue(rec)));
  }
  pairs.sort((a: Pair, b: Pair): i32 => utf8.compareBytes(a.key, b.key));
  // size the output once (exact unless strings need escapes) to avoid regrowth
  let size: i64 = 2;
  for (let i = 0; i < pairs.length; i++) size += <i64>(pairs[i].key.length + pairs[i].value.length + 6);
  const w = new JsonWriter(size < <i64>i32.MAX_VALUE ? <i32>size : i32.MAX_VALUE);
  w.beginObject();
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i];
    w.keyUtf8(p.key).stringUtf8(p.value);
  }
  w.endObject();
  env.valueReturn(w.toBytes());
}

/** len {} → number */
export function len(): void {
  Args.none("len");
  env.log("Getting the number of entries");
  env.valueReturnString(readLen().toString());
}

/** clear {} → null. Emits Cleared (empty data) if the store was non-empty. */
export function clear(): void {
  Args.none("clear");
  env.log("Clearing all entries");
  const n = readLen();
  for (let i: u32 = 0; i < n; i++) {
    const k = storage.remove(slotKey(i));
    if (k !== null) storage.remove(entryKey(k));
  }
  writeLen(0);
  if (n > 0) env.emit("Cleared", new Uint8Array(0));
  returnNull();
}
