#!/usr/bin/env node
// Usage: node check-wasm.mjs <module.wasm>...
// Fails (exit 1) if a module violates the guest ABI (see wasm-abi.mjs).
import { readFileSync } from "node:fs";
import { checkModule, parseModule } from "./wasm-abi.mjs";

let failed = false;
for (const file of process.argv.slice(2)) {
  const bytes = readFileSync(file);
  new WebAssembly.Module(bytes); // validates the whole module
  const problems = checkModule(bytes);
  const { imports, exports } = parseModule(bytes);
  if (problems.length) {
    failed = true;
    console.error(`check-wasm: ${file}: FAILED`);
    for (const p of problems) console.error(`  - ${p}`);
  } else {
    const methods = exports.filter((e) => e.kind === "function").map((e) => e.name);
    console.log(`check-wasm: ${file}: ok (${bytes.length} bytes; imports: ${imports.map((i) => i.name).join(" ")}; methods: ${methods.join(" ")})`);
  }
}
process.exit(failed ? 1 : 0);
