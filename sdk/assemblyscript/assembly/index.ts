// Mero / Calimero guest SDK for AssemblyScript.
//
//   import { env, storage, json, utf8, Args, JsonWriter, JsonValue } from "<path>/sdk/assemblyscript/assembly";
//
// Build apps with `--use abort=sdk/assemblyscript/assembly/abort/__mero_abort`
// (scripts/build-apps.sh does) so runtime aborts become `panic_utf8` calls.

import * as env from "./env";
import * as storage from "./storage";
import * as json from "./json";
import * as utf8 from "./utf8";
import * as sys from "./sys";
import * as privateStorage from "./private";
import * as blobs from "./blobs";
import * as xcall from "./xcall";
import * as hex from "./hex";
import * as state from "./state";
import * as context from "./context";
import * as orderedIndex from "./ordered";

export { env, storage, json, utf8, sys, privateStorage, blobs, xcall, hex, state, context, orderedIndex };
export { IndexEntry } from "./ordered";
export { Args } from "./args";
export { JsonValue, JsonWriter, JsonKind } from "./json";
export { ByteBuf } from "./bytes";
export { __mero_abort } from "./abort";
export { UnorderedMap, UnorderedSet, Vector, LwwRegister, Counter, Text, SortedMap, SortedSet, CrdtKind } from "./crdt";
