// Blobs (host `blob_*`): content-addressed byte streams stored by the node.
// A blob's id is the 32-byte SHA-256 of its content.

import * as sys from "./sys";
import { SCRATCH, writeBytes, writeBuffer } from "./abi";
import { panic } from "./env";

const CHUNK: i32 = 64 * 1024;

/** Stores `data` as a blob and returns its 32-byte id. */
export function store(data: Uint8Array): Uint8Array {
  const fd = sys.blob_create();
  for (let at = 0; at < data.length; at += CHUNK) {
    const end = min(at + CHUNK, data.length);
    writeBuffer(SCRATCH, data.dataStart + <usize>at, <usize>(end - at));
    sys.blob_write(fd, <u64>SCRATCH);
  }
  const id = new Uint8Array(32);
  writeBytes(SCRATCH, id);
  sys.blob_close(fd, <u64>SCRATCH);
  return id;
}

/** Reads the whole blob with id `id` (empty if this node does not have it). */
export function load(id: Uint8Array): Uint8Array {
  if (id.length != 32) return panic<Uint8Array>("blobs.load: a blob id is 32 bytes, got " + id.length.toString());
  writeBytes(SCRATCH, id);
  const fd = sys.blob_open(<u64>SCRATCH);
  let out = new Uint8Array(0);
  const chunk = new Uint8Array(CHUNK);
  while (true) {
    writeBytes(SCRATCH, chunk);
    const n = <i32>sys.blob_read(fd, <u64>SCRATCH);
    if (n == 0) break;
    const next = new Uint8Array(out.length + n);
    next.set(out, 0);
    next.set(chunk.subarray(0, n), out.length);
    out = next;
  }
  writeBytes(SCRATCH + 16, id);
  sys.blob_close(fd, <u64>(SCRATCH + 16));
  return out;
}
