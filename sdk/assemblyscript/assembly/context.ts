// Context membership (host `context_*`). Additions and removals are queued
// and applied by the node only after this call commits.

import * as sys from "./sys";
import { SCRATCH, writeBytes } from "./abi";
import { panic } from "./env";

function checkKey(publicKey: Uint8Array): void {
  if (publicKey.length != 32) panic("context: a public key is 32 bytes, got " + publicKey.length.toString());
}

export function addMember(publicKey: Uint8Array): void {
  checkKey(publicKey);
  writeBytes(SCRATCH, publicKey);
  sys.context_add_member(<u64>SCRATCH);
}

export function removeMember(publicKey: Uint8Array): void {
  checkKey(publicKey);
  writeBytes(SCRATCH, publicKey);
  sys.context_remove_member(<u64>SCRATCH);
}

export function isMember(publicKey: Uint8Array): bool {
  checkKey(publicKey);
  writeBytes(SCRATCH, publicKey);
  return sys.context_is_member(<u64>SCRATCH) != 0;
}
