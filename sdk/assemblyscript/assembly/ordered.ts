// The node-local ordered index (host `storage_index_*`, upstream's SortedIndex):
// byte keys in lexicographic order, for range queries that raw storage cannot
// answer. It is never replicated and may be absent: writes return false when
// the node did not persist them, and then the app should rebuild its index
// from replicated state instead of trusting it.

import * as sys from "./sys";
import { SCRATCH, writeBytes } from "./abi";
import { DATA_REGISTER, readRegister, panic } from "./env";

/** One index entry. */
export class IndexEntry {
  constructor(public key: Uint8Array, public value: Uint8Array) {}
}

/** Sets `key` → `value`; true if the node persisted it. */
export function set(key: Uint8Array, value: Uint8Array): bool {
  writeBytes(SCRATCH, key);
  writeBytes(SCRATCH + 16, value);
  return sys.storage_index_set(<u64>SCRATCH, <u64>(SCRATCH + 16)) != 0;
}

/** Removes `key`; true if the node persisted the removal. */
export function remove(key: Uint8Array): bool {
  writeBytes(SCRATCH, key);
  return sys.storage_index_remove(<u64>SCRATCH) != 0;
}

/** Removes every key that starts with `prefix`; true if persisted. */
export function removePrefix(prefix: Uint8Array): bool {
  writeBytes(SCRATCH, prefix);
  return sys.storage_index_remove_prefix(<u64>SCRATCH) != 0;
}

/**
 * Entries with lo ≤ key < hi in ascending order, skipping `offset`, at most
 * `limit` (negative: as many as the host allows, 100 000 by default).
 */
export function scan(lo: Uint8Array, hi: Uint8Array, offset: u64 = 0, limit: i64 = -1): IndexEntry[] {
  writeBytes(SCRATCH, lo);
  writeBytes(SCRATCH + 16, hi);
  const encodedLimit: u64 = limit < 0 ? 0 : <u64>limit + 1;
  sys.storage_index_scan(<u64>SCRATCH, <u64>(SCRATCH + 16), offset, encodedLimit, DATA_REGISTER);
  return decode(readRegister(DATA_REGISTER));
}

/** The entry with the largest key in [lo, hi), or null. */
export function last(lo: Uint8Array, hi: Uint8Array): IndexEntry | null {
  writeBytes(SCRATCH, lo);
  writeBytes(SCRATCH + 16, hi);
  sys.storage_index_last(<u64>SCRATCH, <u64>(SCRATCH + 16), DATA_REGISTER);
  const entries = decode(readRegister(DATA_REGISTER));
  return entries.length == 0 ? null : entries[0];
}

/** Sets a validity marker (a separate key space from the entries); true if persisted. */
export function metaSet(key: Uint8Array, value: Uint8Array): bool {
  writeBytes(SCRATCH, key);
  writeBytes(SCRATCH + 16, value);
  return sys.storage_index_meta_set(<u64>SCRATCH, <u64>(SCRATCH + 16)) != 0;
}

/** The validity marker under `key`, or null. */
export function metaGet(key: Uint8Array): Uint8Array | null {
  writeBytes(SCRATCH, key);
  if (sys.storage_index_meta_get(<u64>SCRATCH, DATA_REGISTER) == 0) return null;
  return readRegister(DATA_REGISTER);
}

/** Clears the validity marker under `key`; true if persisted. */
export function metaClear(key: Uint8Array): bool {
  writeBytes(SCRATCH, key);
  return sys.storage_index_meta_clear(<u64>SCRATCH) != 0;
}

function readU32(bytes: Uint8Array, at: i32): u32 {
  if (at + 4 > bytes.length) return panic<u32>("storage_index: truncated entry list from host");
  return load<u32>(bytes.dataStart + <usize>at);
}

function take(bytes: Uint8Array, at: i32): Uint8Array {
  const len = <i32>readU32(bytes, at);
  if (len < 0 || at + 4 + len > bytes.length) return panic<Uint8Array>("storage_index: truncated entry from host");
  return bytes.slice(at + 4, at + 4 + len);
}

/** u32 count, then per entry u32 key_len, key, u32 value_len, value. */
function decode(bytes: Uint8Array | null): IndexEntry[] {
  if (bytes === null) return panic<IndexEntry[]>("storage_index: host left the register empty");
  const count = <i32>readU32(bytes, 0);
  const out = new Array<IndexEntry>();
  let at = 4;
  for (let i = 0; i < count; i++) {
    const key = take(bytes, at);
    at += 4 + key.length;
    const value = take(bytes, at);
    at += 4 + value.length;
    out.push(new IndexEntry(key, value));
  }
  return out;
}
