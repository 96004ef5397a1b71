// Abort handler. AssemblyScript calls `abort(message, file, line, column)` for
// `throw`, failed `assert`s, bounds checks and runtime errors; by default that
// would import `env.abort`. The build passes
//   --use abort=sdk/assemblyscript/assembly/abort/__mero_abort
// so every abort becomes a `panic_utf8` carrying the message and location.

import { panicAt } from "./env";

export function __mero_abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  panicAt(message !== null ? message : "abort", fileName !== null ? fileName : "", line, column);
  unreachable();
}
