// Friendly wrappers over the host ABI: input, return values, logs, events,
// panics and identity. See README.md for the ABI these rely on.

import * as sys from "./sys";
import { SCRATCH, PANIC_SCRATCH, writeBuffer, writeBytes } from "./abi";
import { encode, encodeInto } from "./utf8";

/**
 * The one register the SDK uses for host → guest data. Upstream's Rust SDK
 * declares `DATA_REGISTER = u64::MAX - 1`; the host accepts any id.
 */
export const DATA_REGISTER: u64 = u64.MAX_VALUE - 1;

/** Host limits (upstream VMLimits defaults) that the SDK checks up front. */
export const MAX_EVENT_KIND_LEN: i32 = 100;
export const MAX_EVENT_DATA_LEN: i32 = 16 * 1024;
/** Log lines longer than this are truncated (the host traps above 16 KiB). */
export const MAX_LOG_LEN: i32 = 16 * 1024;

const PANIC_MSG_CAP: usize = 4096;
const PANIC_FILE_CAP: usize = 512;
// Static buffers for the panic path: panicking must not allocate, so it works
// even when the failure being reported is an allocation failure.
const PANIC_MSG_BUF: usize = memory.data(<i32>PANIC_MSG_CAP);
const PANIC_FILE_BUF: usize = memory.data(<i32>PANIC_FILE_CAP);

let panicking = false;

/**
 * Aborts the call: traps through `panic_utf8` with `message` and a source
 * location. Never returns; the generic return type lets it stand in any
 * expression position, e.g. `return env.panic<string>("...")`.
 */
export function panic<T = void>(message: string): T {
  panicAt(message, "", 0, 0);
  return unreachable();
}

/** `panic` with an explicit source location (used by the abort handler). */
export function panicAt(message: string, file: string, line: u32, column: u32): void {
  if (panicking) unreachable(); // a panic while panicking: plain trap
  panicking = true;
  const msgLen = encodeInto(message, PANIC_MSG_BUF, PANIC_MSG_CAP);
  const fileLen = encodeInto(file, PANIC_FILE_BUF, PANIC_FILE_CAP);
  // message Buffer at +0, Location { file Buffer, line, column } at +16
  writeBuffer(PANIC_SCRATCH, PANIC_MSG_BUF, msgLen);
  writeBuffer(PANIC_SCRATCH + 16, PANIC_FILE_BUF, fileLen);
  store<u32>(PANIC_SCRATCH + 16, line, 16);
  store<u32>(PANIC_SCRATCH + 16, column, 20);
  sys.panic_utf8(<u64>PANIC_SCRATCH, <u64>(PANIC_SCRATCH + 16));
  unreachable();
}

/** Reads register `id`: its bytes, or null if the register is absent. */
export function readRegister(id: u64): Uint8Array | null {
  const len = sys.register_len(id);
  if (len == u64.MAX_VALUE) return null;
  if (len > <u64>i32.MAX_VALUE) return panic<Uint8Array | null>("register too large for guest memory");
  const out = new Uint8Array(<i32>len);
  writeBytes(SCRATCH, out);
  if (sys.read_register(id, <u64>SCRATCH) != 1) {
    return panic<Uint8Array | null>("read_register: register length changed");
  }
  return out;
}

/** Reads the data register, panicking with `what` if the host left it empty. */
function readDataRegister(what: string): Uint8Array {
  const out = readRegister(DATA_REGISTER);
  if (out === null) return panic<Uint8Array>(what + ": host did not fill the register");
  return out;
}

/** The call's input bytes (the JSON args object); empty if there is none. */
export function input(): Uint8Array {
  sys.input(DATA_REGISTER);
  const out = readRegister(DATA_REGISTER);
  return out === null ? new Uint8Array(0) : out;
}

function valueReturnTagged(tag: u64, bytes: Uint8Array): void {
  store<u64>(SCRATCH, tag);
  writeBytes(SCRATCH + 8, bytes);
  sys.value_return(<u64>SCRATCH);
}

/** Sets the call's result to Ok(bytes). The last call wins. */
export function valueReturn(bytes: Uint8Array): void {
  valueReturnTagged(0, bytes);
}

/** Sets the call's result to Err(bytes) (an ExecutionError carrying bytes). */
export function valueReturnErr(bytes: Uint8Array): void {
  valueReturnTagged(1, bytes);
}

/** Sets Ok(UTF-8 of `json`). */
export function valueReturnString(json: string): void {
  valueReturn(encode(json));
}

/** Appends a log line (truncated to MAX_LOG_LEN bytes of UTF-8). */
export function log(message: string): void {
  let bytes = encode(message);
  if (bytes.length > MAX_LOG_LEN) {
    // back off to a character boundary, then mark the cut
    let cut = MAX_LOG_LEN - 3;
    while (cut > 0 && (bytes[cut] & 0xC0) == 0x80) cut--;
    const t = new Uint8Array(cut + 3);
    memory.copy(t.dataStart, bytes.dataStart, <usize>cut);
    t[cut] = 0xE2; t[cut + 1] = 0x80; t[cut + 2] = 0xA6; // "…"
    bytes = t;
  }
  writeBytes(SCRATCH, bytes);
  sys.log_utf8(<u64>SCRATCH);
}

/**
 * Emits an event. `kind` is the event name (≤ 100 bytes of UTF-8), `data` its
 * payload (≤ 16 KiB; by convention the JSON of the event's fields, empty for
 * a unit event). Exceeding a limit panics with a clear message.
 */
export function emit(kind: string, data: Uint8Array): void {
  const k = encode(kind);
  if (k.length > MAX_EVENT_KIND_LEN) {
    panic("emit: event kind '" + kind + "' is longer than " + MAX_EVENT_KIND_LEN.toString() + " bytes");
  }
  if (data.length > MAX_EVENT_DATA_LEN) {
    panic("emit: data of event '" + kind + "' is " + data.length.toString() +
      " bytes, the limit is " + MAX_EVENT_DATA_LEN.toString());
  }
  writeBytes(SCRATCH, k);
  writeBytes(SCRATCH + 16, data);
  sys.emit(<u64>SCRATCH);
}

/** The 32-byte id of the context this call runs in. */
export function contextId(): Uint8Array {
  sys.context_id(DATA_REGISTER);
  return readDataRegister("context_id");
}

/**
 * The 32-byte account this call is authorized as: the id to key per-person
 * state by. On Mero it is the executor's member key (there are no accounts
 * spanning several keys yet).
 */
export function accountId(): Uint8Array {
  sys.account_id(DATA_REGISTER);
  return readDataRegister("account_id");
}

/** The 32-byte key that signs and stamps this replica's writes (the executor's member key). */
export function deviceId(): Uint8Array {
  sys.device_id(DATA_REGISTER);
  return readDataRegister("device_id");
}

/**
 * Hands a migration witness to the host (≤ 10 MiB; the last call wins). It
 * rides on the call's outcome and is never stored.
 */
export function emitMigrationWitness(blob: Uint8Array): void {
  writeBytes(SCRATCH, blob);
  sys.emit_migration_witness(<u64>SCRATCH);
}

/** The 32-byte id of the identity executing this call (upstream's pre-split name; reports the account). */
export function executorId(): Uint8Array {
  sys.executor_id(DATA_REGISTER);
  return readDataRegister("executor_id");
}

/**
 * Emits an event that names a handler: nodes that receive the event run
 * method `handler` with the event data as input.
 */
export function emitWithHandler(kind: string, data: Uint8Array, handler: string): void {
  const k = encode(kind);
  const h = encode(handler);
  if (k.length > MAX_EVENT_KIND_LEN) panic("emit: event kind '" + kind + "' is too long");
  if (data.length > MAX_EVENT_DATA_LEN) panic("emit: data of event '" + kind + "' is too large");
  writeBytes(SCRATCH, k);
  writeBytes(SCRATCH + 16, data);
  writeBytes(SCRATCH + 32, h);
  sys.emit_with_handler(<u64>SCRATCH, <u64>(SCRATCH + 32));
}

/** `n` random bytes from the host. */
export function randomBytes(n: i32): Uint8Array {
  const out = new Uint8Array(n);
  writeBytes(SCRATCH, out);
  sys.random_bytes(<u64>SCRATCH);
  return out;
}

/** The host's wall clock in nanoseconds since the Unix epoch. */
export function timeNow(): u64 {
  const out = new Uint8Array(8);
  writeBytes(SCRATCH, out);
  sys.time_now(<u64>SCRATCH);
  return load<u64>(out.dataStart);
}

/** The calling context's 32-byte id if this call was started by an xcall, else null. */
export function xcallOrigin(): Uint8Array | null {
  if (sys.xcall_origin(DATA_REGISTER) == 0) return null;
  return readDataRegister("xcall_origin");
}
