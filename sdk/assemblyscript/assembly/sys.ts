// Raw host imports (module "env"). Signatures follow upstream Calimero's
// `crates/sys/src/lib.rs`: every parameter is a u64 (i64 in WASM), pointers are
// guest addresses widened to u64, and `*_ptr` arguments point at little-endian
// descriptors (see `abi.ts`). Bool results are u32 0/1.
//
// Only functions that a program actually calls end up in the module's import
// section, so an app imports a subset of this list and nothing else.

/** Writes the call's input (JSON args) into register `register_id`. */
@external("env", "input")
export declare function input(register_id: u64): void;

/** Length of a register, or u64::MAX when the register is absent. */
@external("env", "register_len")
export declare function register_len(register_id: u64): u64;

/** Copies register `register_id` into the Buffer at `buf_ptr`; 1 if copied, 0 on length mismatch. */
@external("env", "read_register")
export declare function read_register(register_id: u64, buf_ptr: u64): u32;

/** Sets the call's return value from a 24-byte ValueReturn descriptor. */
@external("env", "value_return")
export declare function value_return(value_ptr: u64): void;

/** 1 and the value in the register if the key exists, else 0. */
@external("env", "storage_read")
export declare function storage_read(key_ptr: u64, register_id: u64): u32;

/** Upsert. 1 and the evicted value in the register if the key existed, else 0. */
@external("env", "storage_write")
export declare function storage_write(key_ptr: u64, value_ptr: u64, register_id: u64): u32;

/** 1 and the removed value in the register if the key existed, else 0. */
@external("env", "storage_remove")
export declare function storage_remove(key_ptr: u64, register_id: u64): u32;

/** Appends a UTF-8 log line (Buffer descriptor). */
@external("env", "log_utf8")
export declare function log_utf8(buf_ptr: u64): void;

/** Traps with a guest panic: UTF-8 message Buffer plus a 24-byte Location. Never returns. */
@external("env", "panic_utf8")
export declare function panic_utf8(msg_ptr: u64, location_ptr: u64): void;

/** Emits an event from a 32-byte Event descriptor {Buffer kind, Buffer data}. */
@external("env", "emit")
export declare function emit(event_ptr: u64): void;

/** Writes the 32-byte context id into the register. */
@external("env", "context_id")
export declare function context_id(register_id: u64): void;

/** Writes the 32-byte executor (account) id into the register. */
@external("env", "executor_id")
export declare function executor_id(register_id: u64): void;
