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

/** Emits an event with a handler method name (Buffer) that receivers run; 0 means none. */
@external("env", "emit_with_handler")
export declare function emit_with_handler(event_ptr: u64, handler_ptr: u64): void;

/** Node-local storage, never replicated: 1 + value → register, or 0. */
@external("env", "private_storage_read")
export declare function private_storage_read(key_ptr: u64, register_id: u64): u32;

/** 1 if written, 0 if this node has no private storage. */
@external("env", "private_storage_write")
export declare function private_storage_write(key_ptr: u64, value_ptr: u64): u32;

/** 1 + removed value → register, or 0. */
@external("env", "private_storage_remove")
export declare function private_storage_remove(key_ptr: u64, register_id: u64): u32;

/** Queues a call on another context from a 48-byte XCall {Buffer context_id, Buffer function, Buffer params}. */
@external("env", "xcall")
export declare function xcall(xcall_ptr: u64): void;

/** 1 + calling context id → register if this call was started by an xcall, else 0. */
@external("env", "xcall_origin")
export declare function xcall_origin(register_id: u64): u32;

/** Opens a blob for writing; returns its descriptor. */
@external("env", "blob_create")
export declare function blob_create(): u64;

/** Appends a chunk (Buffer); returns bytes written. */
@external("env", "blob_write")
export declare function blob_write(fd: u64, data_ptr: u64): u64;

/** Closes a descriptor and writes the 32-byte blob id into the Buffer at id_ptr. */
@external("env", "blob_close")
export declare function blob_close(fd: u64, id_ptr: u64): u32;

/** Opens the blob with the 32-byte id (Buffer) for reading. */
@external("env", "blob_open")
export declare function blob_open(id_ptr: u64): u64;

/** Reads up to the Buffer's length; returns bytes read, 0 at the end. */
@external("env", "blob_read")
export declare function blob_read(fd: u64, buf_ptr: u64): u64;

/** Fills the Buffer with random bytes. */
@external("env", "random_bytes")
export declare function random_bytes(buf_ptr: u64): void;

/** Writes the wall clock (u64 ns since the Unix epoch, LE) into an 8-byte Buffer. */
@external("env", "time_now")
export declare function time_now(buf_ptr: u64): void;

/** Queues adding the 32-byte public key (Buffer) as a member of this context (applied after commit). */
@external("env", "context_add_member")
export declare function context_add_member(public_key_ptr: u64): void;

/** Queues removing the 32-byte public key (Buffer) from this context's members (applied after commit). */
@external("env", "context_remove_member")
export declare function context_remove_member(public_key_ptr: u64): void;

/** 1 if the 32-byte public key (Buffer) is a member of this context, else 0. */
@external("env", "context_is_member")
export declare function context_is_member(public_key_ptr: u64): u32;

/** Writes the 32-byte account the call is authorized as into the register (on Mero: the executor key). */
@external("env", "account_id")
export declare function account_id(register_id: u64): void;

/** Writes the 32-byte key that signs this replica's writes into the register (the executor key). */
@external("env", "device_id")
export declare function device_id(register_id: u64): void;

/** Hands a migration's witness (Buffer, ≤ 10 MiB) to the host; transient, never stored. */
@external("env", "emit_migration_witness")
export declare function emit_migration_witness(blob_ptr: u64): void;

// Node-local ordered index (upstream SortedIndex): never replicated. Writes
// return 1 if persisted, 0 if not (the node may have no index; rebuild then).

/** Sets key (Buffer) → value (Buffer); 1 if persisted. */
@external("env", "storage_index_set")
export declare function storage_index_set(key_ptr: u64, value_ptr: u64): u32;

/** Removes one key; 1 if persisted. */
@external("env", "storage_index_remove")
export declare function storage_index_remove(key_ptr: u64): u32;

/** Removes every key starting with the prefix; 1 if persisted. */
@external("env", "storage_index_remove_prefix")
export declare function storage_index_remove_prefix(prefix_ptr: u64): u32;

/**
 * Entries with lo ≤ key < hi, ascending, skipping `offset`; `limit` is n+1
 * (0 = as many as the host allows). Register: u32 count, then per entry
 * u32 key_len, key, u32 value_len, value (LE). Returns 1.
 */
@external("env", "storage_index_scan")
export declare function storage_index_scan(lo_ptr: u64, hi_ptr: u64, offset: u64, limit: u64, register_id: u64): u32;

/** The largest entry in [lo, hi) in the scan encoding (count 0 or 1). Returns 1. */
@external("env", "storage_index_last")
export declare function storage_index_last(lo_ptr: u64, hi_ptr: u64, register_id: u64): u32;

/** Sets an index validity marker (kept apart from entries); 1 if persisted. */
@external("env", "storage_index_meta_set")
export declare function storage_index_meta_set(key_ptr: u64, value_ptr: u64): u32;

/** 1 + marker → register, or 0. */
@external("env", "storage_index_meta_get")
export declare function storage_index_meta_get(key_ptr: u64, register_id: u64): u32;

/** Clears a marker; 1 if persisted. */
@external("env", "storage_index_meta_clear")
export declare function storage_index_meta_clear(key_ptr: u64): u32;
