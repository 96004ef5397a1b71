// Private storage: node-local key-value data (host `private_storage_*`). It is
// never replicated to other members and not part of the state root, so it
// suits secrets and per-node caches. Same key/value limits as `storage`.

import * as sys from "./sys";
import { SCRATCH, writeBytes } from "./abi";
import { DATA_REGISTER, readRegister, panic } from "./env";
import { encode, tryDecode } from "./utf8";

/** The value under `key`, or null. */
export function read(key: Uint8Array): Uint8Array | null {
  writeBytes(SCRATCH, key);
  if (sys.private_storage_read(<u64>SCRATCH, DATA_REGISTER) == 0) return null;
  return readRegister(DATA_REGISTER);
}

/** Stores `value` under `key`; false if this node offers no private storage. */
export function write(key: Uint8Array, value: Uint8Array): bool {
  writeBytes(SCRATCH, key);
  writeBytes(SCRATCH + 16, value);
  return sys.private_storage_write(<u64>SCRATCH, <u64>(SCRATCH + 16)) != 0;
}

/** Removes `key`; returns the removed value or null. */
export function remove(key: Uint8Array): Uint8Array | null {
  writeBytes(SCRATCH, key);
  if (sys.private_storage_remove(<u64>SCRATCH, DATA_REGISTER) == 0) return null;
  return readRegister(DATA_REGISTER);
}

export function readString(key: string): string | null {
  const v = read(encode(key));
  if (v === null) return null;
  const s = tryDecode(v);
  if (s === null) return panic<string | null>("private storage: value under '" + key + "' is not valid UTF-8");
  return s;
}

export function writeString(key: string, value: string): bool {
  return write(encode(key), encode(value));
}
