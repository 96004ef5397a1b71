// Host-side CRDT collections (the js_crdt_* host functions). The host keeps the
// merge rules (docs/crdt.md); these classes are thin handles holding a 32-byte
// collection id. Get one by name (`Text.named("doc")`: every replica opening
// the same name gets the same collection) or fresh (`Text.create()`, upstream's
// *_new: store its `id` yourself). Nested: `map.childVector("alice")`.
// A host-reported misuse (-1) panics with the host's message.

import { SCRATCH, writeBytes } from "./abi";
import { DATA_REGISTER, readRegister, panic } from "./env";
import { encode, tryDecode } from "./utf8";

// @ts-ignore: decorator
@external("env", "js_crdt_child") declare function js_crdt_child(parent: u64, name: u64, kind: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_map_new") declare function js_crdt_map_new(dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_map_get") declare function js_crdt_map_get(id: u64, key: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_map_insert") declare function js_crdt_map_insert(id: u64, key: u64, value: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_map_remove") declare function js_crdt_map_remove(id: u64, key: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_map_contains") declare function js_crdt_map_contains(id: u64, key: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_map_len") declare function js_crdt_map_len(id: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_vector_new") declare function js_crdt_vector_new(dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_vector_len") declare function js_crdt_vector_len(id: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_vector_push") declare function js_crdt_vector_push(id: u64, value: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_vector_get") declare function js_crdt_vector_get(id: u64, index: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_vector_pop") declare function js_crdt_vector_pop(id: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_set_new") declare function js_crdt_set_new(dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_set_insert") declare function js_crdt_set_insert(id: u64, value: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_set_contains") declare function js_crdt_set_contains(id: u64, value: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_set_remove") declare function js_crdt_set_remove(id: u64, value: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_set_len") declare function js_crdt_set_len(id: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_lww_new") declare function js_crdt_lww_new(dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_lww_set") declare function js_crdt_lww_set(id: u64, value: u64, has_value: u32): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_lww_get") declare function js_crdt_lww_get(id: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_counter_new") declare function js_crdt_counter_new(dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_counter_increment") declare function js_crdt_counter_increment(id: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_counter_value") declare function js_crdt_counter_value(id: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_text_new") declare function js_crdt_text_new(dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_text_insert") declare function js_crdt_text_insert(id: u64, index: u64, text: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_text_delete") declare function js_crdt_text_delete(id: u64, index: u64, count: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_text_get") declare function js_crdt_text_get(id: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_text_len") declare function js_crdt_text_len(id: u64, dest: u64): i32;

// @ts-ignore: decorator
@external("env", "js_crdt_map_new_with_id") declare function js_crdt_map_new_with_id(id: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_vector_new_with_id") declare function js_crdt_vector_new_with_id(id: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_set_new_with_id") declare function js_crdt_set_new_with_id(id: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_lww_new_with_id") declare function js_crdt_lww_new_with_id(id: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_counter_new_with_id") declare function js_crdt_counter_new_with_id(id: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_text_new_with_id") declare function js_crdt_text_new_with_id(id: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_sortedmap_new_with_id") declare function js_crdt_sortedmap_new_with_id(id: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_sortedset_new_with_id") declare function js_crdt_sortedset_new_with_id(id: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_sortedmap_new") declare function js_crdt_sortedmap_new(dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_sortedmap_get") declare function js_crdt_sortedmap_get(id: u64, key: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_sortedmap_insert") declare function js_crdt_sortedmap_insert(id: u64, key: u64, value: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_sortedmap_remove") declare function js_crdt_sortedmap_remove(id: u64, key: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_sortedmap_contains") declare function js_crdt_sortedmap_contains(id: u64, key: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_sortedmap_iter") declare function js_crdt_sortedmap_iter(id: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_sortedset_new") declare function js_crdt_sortedset_new(dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_sortedset_insert") declare function js_crdt_sortedset_insert(id: u64, value: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_sortedset_contains") declare function js_crdt_sortedset_contains(id: u64, value: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_sortedset_remove") declare function js_crdt_sortedset_remove(id: u64, value: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_sortedset_len") declare function js_crdt_sortedset_len(id: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_sortedset_iter") declare function js_crdt_sortedset_iter(id: u64, dest: u64): i32;
// @ts-ignore: decorator
@external("env", "js_crdt_sortedset_clear") declare function js_crdt_sortedset_clear(id: u64): i32;

/** Collection kinds as the host numbers them (Mero.State.Crdt.CrdtKind). */
export const enum CrdtKind { Map = 1, Set = 2, Vector = 3, Counter = 4, Register = 5, Text = 6 }

// Descriptor slots in SCRATCH: id, then up to two byte arguments.
const ID_AT: usize = SCRATCH;
const A_AT: usize = SCRATCH + 16;
const B_AT: usize = SCRATCH + 32;

/** Panics with the host's message when a call returned -1; returns the code otherwise. */
function check(code: i32, what: string, errorRegister: u64 = DATA_REGISTER): i32 {
  if (code >= 0) return code;
  const msg = readRegister(errorRegister);
  let text = "host error";
  if (msg !== null) {
    const decoded = tryDecode(msg);
    if (decoded !== null) text = decoded;
  }
  return panic<i32>(what + ": " + text);
}

function register(what: string): Uint8Array {
  const v = readRegister(DATA_REGISTER);
  if (v === null) return panic<Uint8Array>(what + ": host left the register empty");
  return v;
}

function registerU64(what: string): u64 {
  const v = register(what);
  if (v.length != 8) return panic<u64>(what + ": expected 8 bytes");
  return load<u64>(v.dataStart);
}

/** The value in the data register if `found` is 1, else null. */
function foundOrNull(found: i32, what: string): Uint8Array | null {
  return check(found, what) == 1 ? register(what) : null;
}

function childId(parent: Uint8Array, name: string, kind: CrdtKind): Uint8Array {
  writeBytes(ID_AT, parent);
  writeBytes(A_AT, encode(name));
  check(js_crdt_child(<u64>ID_AT, <u64>A_AT, <u64>kind, DATA_REGISTER), "js_crdt_child");
  return register("js_crdt_child");
}

function fresh(code: i32, what: string): Uint8Array {
  check(code, what);
  return register(what);
}

const ROOT = new Uint8Array(0);

/** The id argument of upstream's *_new_with_id (the collection at exactly this 32-byte id, shared by every replica using it). */
function idArg(id: Uint8Array, what: string): u64 {
  if (id.length != 32) return panic<u64>(what + ": id must be 32 bytes");
  writeBytes(ID_AT, id);
  return <u64>ID_AT;
}

/** Splits a host iteration buffer: u32 LE count, then (u32 LE length, bytes) items. */
function items(buffer: Uint8Array): Array<Uint8Array> {
  const count = load<u32>(buffer.dataStart);
  const out = new Array<Uint8Array>();
  let at: i32 = 4;
  for (let i: u32 = 0; i < count; i++) {
    const len = <i32>load<u32>(buffer.dataStart + at);
    out.push(buffer.slice(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out;
}

/** A collection handle: its kind and 32-byte id. */
export class Collection {
  constructor(public readonly id: Uint8Array) {}

  protected at(): u64 {
    writeBytes(ID_AT, this.id);
    return <u64>ID_AT;
  }
}

/** Key → value, last writer wins per key. */
export class UnorderedMap extends Collection {
  static named(name: string): UnorderedMap { return new UnorderedMap(childId(ROOT, name, CrdtKind.Map)); }
  static create(): UnorderedMap { return new UnorderedMap(fresh(js_crdt_map_new(DATA_REGISTER), "js_crdt_map_new")); }
  static withId(id: Uint8Array): UnorderedMap { return new UnorderedMap(fresh(js_crdt_map_new_with_id(idArg(id, "js_crdt_map_new_with_id"), DATA_REGISTER), "js_crdt_map_new_with_id")); }

  get(key: Uint8Array): Uint8Array | null {
    const id = this.at();
    writeBytes(A_AT, key);
    return foundOrNull(js_crdt_map_get(id, <u64>A_AT, DATA_REGISTER), "js_crdt_map_get");
  }

  /** Inserts or replaces; returns the previous value. */
  insert(key: Uint8Array, value: Uint8Array): Uint8Array | null {
    const id = this.at();
    writeBytes(A_AT, key);
    writeBytes(B_AT, value);
    return foundOrNull(js_crdt_map_insert(id, <u64>A_AT, <u64>B_AT, DATA_REGISTER), "js_crdt_map_insert");
  }

  remove(key: Uint8Array): Uint8Array | null {
    const id = this.at();
    writeBytes(A_AT, key);
    return foundOrNull(js_crdt_map_remove(id, <u64>A_AT, DATA_REGISTER), "js_crdt_map_remove");
  }

  contains(key: Uint8Array): bool {
    const id = this.at();
    writeBytes(A_AT, key);
    return check(js_crdt_map_contains(id, <u64>A_AT), "js_crdt_map_contains", 0) == 1;
  }

  get length(): u64 {
    check(js_crdt_map_len(this.at(), DATA_REGISTER), "js_crdt_map_len");
    return registerU64("js_crdt_map_len");
  }

  childMap(key: string): UnorderedMap { return new UnorderedMap(childId(this.id, key, CrdtKind.Map)); }
  childVector(key: string): Vector { return new Vector(childId(this.id, key, CrdtKind.Vector)); }
  childSet(key: string): UnorderedSet { return new UnorderedSet(childId(this.id, key, CrdtKind.Set)); }
  childText(key: string): Text { return new Text(childId(this.id, key, CrdtKind.Text)); }
  childCounter(key: string): Counter { return new Counter(childId(this.id, key, CrdtKind.Counter)); }
}

/** Elements ordered by push; update/remove last writer wins. */
export class Vector extends Collection {
  static named(name: string): Vector { return new Vector(childId(ROOT, name, CrdtKind.Vector)); }
  static create(): Vector { return new Vector(fresh(js_crdt_vector_new(DATA_REGISTER), "js_crdt_vector_new")); }
  static withId(id: Uint8Array): Vector { return new Vector(fresh(js_crdt_vector_new_with_id(idArg(id, "js_crdt_vector_new_with_id"), DATA_REGISTER), "js_crdt_vector_new_with_id")); }

  push(value: Uint8Array): void {
    const id = this.at();
    writeBytes(A_AT, value);
    check(js_crdt_vector_push(id, <u64>A_AT), "js_crdt_vector_push", 0);
  }

  get(index: u64): Uint8Array | null {
    return foundOrNull(js_crdt_vector_get(this.at(), index, DATA_REGISTER), "js_crdt_vector_get");
  }

  pop(): Uint8Array | null {
    return foundOrNull(js_crdt_vector_pop(this.at(), DATA_REGISTER), "js_crdt_vector_pop");
  }

  get length(): u64 {
    check(js_crdt_vector_len(this.at(), DATA_REGISTER), "js_crdt_vector_len");
    return registerU64("js_crdt_vector_len");
  }
}

/** Present/absent elements, last writer wins per element. */
export class UnorderedSet extends Collection {
  static named(name: string): UnorderedSet { return new UnorderedSet(childId(ROOT, name, CrdtKind.Set)); }
  static create(): UnorderedSet { return new UnorderedSet(fresh(js_crdt_set_new(DATA_REGISTER), "js_crdt_set_new")); }
  static withId(id: Uint8Array): UnorderedSet { return new UnorderedSet(fresh(js_crdt_set_new_with_id(idArg(id, "js_crdt_set_new_with_id"), DATA_REGISTER), "js_crdt_set_new_with_id")); }

  insert(value: Uint8Array): bool {
    const id = this.at();
    writeBytes(A_AT, value);
    return check(js_crdt_set_insert(id, <u64>A_AT), "js_crdt_set_insert", 0) == 1;
  }

  contains(value: Uint8Array): bool {
    const id = this.at();
    writeBytes(A_AT, value);
    return check(js_crdt_set_contains(id, <u64>A_AT), "js_crdt_set_contains", 0) == 1;
  }

  remove(value: Uint8Array): bool {
    const id = this.at();
    writeBytes(A_AT, value);
    return check(js_crdt_set_remove(id, <u64>A_AT), "js_crdt_set_remove", 0) == 1;
  }

  get length(): u64 {
    check(js_crdt_set_len(this.at(), DATA_REGISTER), "js_crdt_set_len");
    return registerU64("js_crdt_set_len");
  }
}

/** One value, last writer wins. */
export class LwwRegister extends Collection {
  static named(name: string): LwwRegister { return new LwwRegister(childId(ROOT, name, CrdtKind.Register)); }
  static create(): LwwRegister { return new LwwRegister(fresh(js_crdt_lww_new(DATA_REGISTER), "js_crdt_lww_new")); }
  static withId(id: Uint8Array): LwwRegister { return new LwwRegister(fresh(js_crdt_lww_new_with_id(idArg(id, "js_crdt_lww_new_with_id"), DATA_REGISTER), "js_crdt_lww_new_with_id")); }

  set(value: Uint8Array | null): void {
    const id = this.at();
    if (value !== null) writeBytes(A_AT, value);
    check(js_crdt_lww_set(id, <u64>A_AT, value === null ? 0 : 1), "js_crdt_lww_set", 0);
  }

  get(): Uint8Array | null {
    return foundOrNull(js_crdt_lww_get(this.at(), DATA_REGISTER), "js_crdt_lww_get");
  }
}

/** Grow-only per executor; value is the sum of every executor's count. */
export class Counter extends Collection {
  static named(name: string): Counter { return new Counter(childId(ROOT, name, CrdtKind.Counter)); }
  static create(): Counter { return new Counter(fresh(js_crdt_counter_new(DATA_REGISTER), "js_crdt_counter_new")); }
  static withId(id: Uint8Array): Counter { return new Counter(fresh(js_crdt_counter_new_with_id(idArg(id, "js_crdt_counter_new_with_id"), DATA_REGISTER), "js_crdt_counter_new_with_id")); }

  increment(): void {
    check(js_crdt_counter_increment(this.at()), "js_crdt_counter_increment", 0);
  }

  get value(): i64 {
    check(js_crdt_counter_value(this.at(), DATA_REGISTER), "js_crdt_counter_value");
    return <i64>registerU64("js_crdt_counter_value");
  }
}

/** Collaborative text (RGA). Indexes and lengths count Unicode code points. */
export class Text extends Collection {
  static named(name: string): Text { return new Text(childId(ROOT, name, CrdtKind.Text)); }
  static create(): Text { return new Text(fresh(js_crdt_text_new(DATA_REGISTER), "js_crdt_text_new")); }
  static withId(id: Uint8Array): Text { return new Text(fresh(js_crdt_text_new_with_id(idArg(id, "js_crdt_text_new_with_id"), DATA_REGISTER), "js_crdt_text_new_with_id")); }

  insert(index: u64, text: string): void {
    const id = this.at();
    writeBytes(A_AT, encode(text));
    check(js_crdt_text_insert(id, index, <u64>A_AT), "js_crdt_text_insert", 0);
  }

  delete(index: u64, count: u64): void {
    check(js_crdt_text_delete(this.at(), index, count), "js_crdt_text_delete", 0);
  }

  get length(): u64 {
    check(js_crdt_text_len(this.at(), DATA_REGISTER), "js_crdt_text_len");
    return registerU64("js_crdt_text_len");
  }

  /** The visible text as UTF-8 bytes. */
  getBytes(): Uint8Array {
    check(js_crdt_text_get(this.at(), DATA_REGISTER), "js_crdt_text_get");
    return register("js_crdt_text_get");
  }

  toString(): string {
    const s = tryDecode(this.getBytes());
    return s === null ? panic<string>("js_crdt_text_get: not UTF-8") : s;
  }
}

/** Key → value in key byte order (upstream's sorted map; the host's maps iterate sorted). */
export class SortedMap extends Collection {
  static create(): SortedMap { return new SortedMap(fresh(js_crdt_sortedmap_new(DATA_REGISTER), "js_crdt_sortedmap_new")); }
  static withId(id: Uint8Array): SortedMap { return new SortedMap(fresh(js_crdt_sortedmap_new_with_id(idArg(id, "js_crdt_sortedmap_new_with_id"), DATA_REGISTER), "js_crdt_sortedmap_new_with_id")); }

  get(key: Uint8Array): Uint8Array | null {
    const id = this.at();
    writeBytes(A_AT, key);
    return foundOrNull(js_crdt_sortedmap_get(id, <u64>A_AT, DATA_REGISTER), "js_crdt_sortedmap_get");
  }

  insert(key: Uint8Array, value: Uint8Array): Uint8Array | null {
    const id = this.at();
    writeBytes(A_AT, key);
    writeBytes(B_AT, value);
    return foundOrNull(js_crdt_sortedmap_insert(id, <u64>A_AT, <u64>B_AT, DATA_REGISTER), "js_crdt_sortedmap_insert");
  }

  remove(key: Uint8Array): Uint8Array | null {
    const id = this.at();
    writeBytes(A_AT, key);
    return foundOrNull(js_crdt_sortedmap_remove(id, <u64>A_AT, DATA_REGISTER), "js_crdt_sortedmap_remove");
  }

  contains(key: Uint8Array): bool {
    const id = this.at();
    writeBytes(A_AT, key);
    return check(js_crdt_sortedmap_contains(id, <u64>A_AT), "js_crdt_sortedmap_contains", 0) == 1;
  }

  /** Keys and values alternating, in key order. */
  entries(): Array<Uint8Array> {
    check(js_crdt_sortedmap_iter(this.at(), DATA_REGISTER), "js_crdt_sortedmap_iter");
    return items(register("js_crdt_sortedmap_iter"));
  }
}

/** Present/absent elements in byte order (upstream's sorted set). */
export class SortedSet extends Collection {
  static create(): SortedSet { return new SortedSet(fresh(js_crdt_sortedset_new(DATA_REGISTER), "js_crdt_sortedset_new")); }
  static withId(id: Uint8Array): SortedSet { return new SortedSet(fresh(js_crdt_sortedset_new_with_id(idArg(id, "js_crdt_sortedset_new_with_id"), DATA_REGISTER), "js_crdt_sortedset_new_with_id")); }

  insert(value: Uint8Array): bool {
    const id = this.at();
    writeBytes(A_AT, value);
    return check(js_crdt_sortedset_insert(id, <u64>A_AT), "js_crdt_sortedset_insert", 0) == 1;
  }

  contains(value: Uint8Array): bool {
    const id = this.at();
    writeBytes(A_AT, value);
    return check(js_crdt_sortedset_contains(id, <u64>A_AT), "js_crdt_sortedset_contains", 0) == 1;
  }

  remove(value: Uint8Array): bool {
    const id = this.at();
    writeBytes(A_AT, value);
    return check(js_crdt_sortedset_remove(id, <u64>A_AT), "js_crdt_sortedset_remove", 0) == 1;
  }

  clear(): void {
    check(js_crdt_sortedset_clear(this.at()), "js_crdt_sortedset_clear", 0);
  }

  get length(): u64 {
    check(js_crdt_sortedset_len(this.at(), DATA_REGISTER), "js_crdt_sortedset_len");
    return registerU64("js_crdt_sortedset_len");
  }

  values(): Array<Uint8Array> {
    check(js_crdt_sortedset_iter(this.at(), DATA_REGISTER), "js_crdt_sortedset_iter");
    return items(register("js_crdt_sortedset_iter"));
  }
}
