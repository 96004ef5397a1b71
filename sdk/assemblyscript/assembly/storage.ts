// The context's key-value storage (host `storage_read/write/remove`). Keys and
// values are arbitrary bytes (host limits: key ≤ 1 MiB, value ≤ 10 MiB). Raw
// storage cannot be iterated: apps that need to enumerate keep their own index.

import * as sys from "./sys";
import { SCRATCH, writeBytes } from "./abi";
import { DATA_REGISTER, readRegister, panic } from "./env";
import { encode, tryDecode } from "./utf8";

function registerOrPanic(what: string): Uint8Array {
  const v = readRegister(DATA_REGISTER);
  if (v === null) return panic<Uint8Array>(what + ": host reported a value but left the register empty");
  return v;
}

/** The value stored under `key`, or null. */
export function read(key: Uint8Array): Uint8Array | null {
  writeBytes(SCRATCH, key);
  if (sys.storage_read(<u64>SCRATCH, DATA_REGISTER) == 0) return null;
  return registerOrPanic("storage_read");
}

/** True if `key` has a value. */
export function has(key: Uint8Array): bool {
  writeBytes(SCRATCH, key);
  return sys.storage_read(<u64>SCRATCH, DATA_REGISTER) != 0;
}

/** Stores `value` under `key`. Returns true if it replaced an existing value. */
export function write(key: Uint8Array, value: Uint8Array): bool {
  writeBytes(SCRATCH, key);
  writeBytes(SCRATCH + 16, value);
  return sys.storage_write(<u64>SCRATCH, <u64>(SCRATCH + 16), DATA_REGISTER) != 0;
}

/** Removes `key`. Returns the removed value, or null if there was none. */
export function remove(key: Uint8Array): Uint8Array | null {
  writeBytes(SCRATCH, key);
  if (sys.storage_remove(<u64>SCRATCH, DATA_REGISTER) == 0) return null;
  return registerOrPanic("storage_remove");
}

/** String convenience: UTF-8 key and value. Panics if the stored value is not UTF-8. */
export function readString(key: string): string | null {
  const v = read(encode(key));
  if (v === null) return null;
  const s = tryDecode(v);
  if (s === null) return panic<string | null>("storage: value under '" + key + "' is not valid UTF-8");
  return s;
}

/** String convenience for `write`. */
export function writeString(key: string, value: string): bool {
  return write(encode(key), encode(value));
}

/** String convenience for `remove`: true if a value was removed. */
export function removeString(key: string): bool {
  return remove(encode(key)) !== null;
}
