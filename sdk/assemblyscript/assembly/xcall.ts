// Cross-context calls (host `xcall`). The call is queued and runs on the
// target context after this call commits, as the node's member identity; it
// has no return value and its failure does not undo this call.

import * as sys from "./sys";
import { SCRATCH, writeBytes } from "./abi";
import { panic } from "./env";
import { encode } from "./utf8";

/** Queues `method(paramsJson)` on context `contextId` (32 bytes). */
export function call(contextId: Uint8Array, method: string, paramsJson: string): void {
  if (contextId.length != 32) panic("xcall: a context id is 32 bytes, got " + contextId.length.toString());
  writeBytes(SCRATCH, contextId);
  writeBytes(SCRATCH + 16, encode(method));
  writeBytes(SCRATCH + 32, encode(paramsJson));
  sys.xcall(<u64>SCRATCH);
}
