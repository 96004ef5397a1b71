// Little-endian descriptors the host reads from guest memory (upstream
// `crates/sys/src/types/*.rs`, all `#[repr(C)]`):
//
//   Buffer      16 bytes  { u64 ptr, u64 len }
//   ValueReturn 24 bytes  { u64 tag (0 = Ok, 1 = Err), Buffer }
//   Event       32 bytes  { Buffer kind, Buffer data }
//   Location    24 bytes  { Buffer file, u32 line, u32 column }
//
// Descriptors live in static scratch areas. Host calls are synchronous and never
// call back into the guest, so an area only has to stay intact from the moment
// it is filled until the host call returns. The panic path has its own areas so
// that a panic raised while arguments for another call are being prepared
// cannot clobber anything it needs.

/** General scratch: up to four Buffers (64 bytes). */
export const SCRATCH: usize = memory.data(64, 16);
/** Panic scratch: message Buffer (16) + Location (24). */
export const PANIC_SCRATCH: usize = memory.data(48, 16);

export const BUFFER_SIZE: usize = 16;
export const VALUE_RETURN_SIZE: usize = 24;
export const EVENT_SIZE: usize = 32;
export const LOCATION_SIZE: usize = 24;

/** Writes a Buffer descriptor {ptr, len} at `at`. */
// @ts-ignore: decorator
@inline
export function writeBuffer(at: usize, ptr: usize, len: usize): void {
  store<u64>(at, <u64>ptr);
  store<u64>(at, <u64>len, 8);
}

/** Writes a Buffer descriptor for the bytes of `data` at `at`. */
// @ts-ignore: decorator
@inline
export function writeBytes(at: usize, data: Uint8Array): void {
  writeBuffer(at, data.dataStart, <usize>data.length);
}
