// Compiles test/fixtures/selftest.ts with the same options as the apps and
// checks the SDK against the JS host in host.mjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MockHost } from "./host.mjs";
import { checkModule, ALLOWED_IMPORTS } from "../scripts/wasm-abi.mjs";

const SDK = fileURLToPath(new URL("..", import.meta.url));
const ROOT = join(SDK, "..", "..");
const ascOptions = readFileSync(join(SDK, "asc-options.txt"), "utf8").split("\n")
  .map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));

function build(fixture = "selftest") {
  const dir = mkdtempSync(join(tmpdir(), "mero-sdk-test-"));
  try {
    const out = join(dir, `${fixture}.wasm`);
    const r = spawnSync(process.execPath, [join(SDK, "node_modules/assemblyscript/bin/asc.js"),
      `sdk/assemblyscript/test/fixtures/${fixture}.ts`, "-o", out, ...ascOptions], { cwd: ROOT, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`asc failed:\n${r.stdout}\n${r.stderr}`);
    const wasm = readFileSync(out);
    // Kept for tests/Mero.Runtime.Tests/SdkSelfTestTests.cs, which runs it on the real host.
    mkdirSync(join(SDK, "build"), { recursive: true });
    writeFileSync(join(SDK, "build", "selftest.wasm"), wasm);
    return wasm;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const bytes = build();
const module = new WebAssembly.Module(bytes);
const host = () => new MockHost(module, {
  contextId: Uint8Array.from({ length: 32 }, (_, i) => i),
  executorId: Uint8Array.from({ length: 32 }, (_, i) => 255 - i),
});

function ok(h, method, input = {}) {
  const r = h.call(method, input);
  assert.equal(r.error, null, `${method}: ${r.error}`);
  return r;
}

function panicOf(method, input = new Uint8Array(0)) {
  const r = host().call(method, input);
  assert.ok(r.panic, `${method} did not panic: ${r.error}`);
  return r.panic;
}

test("the SDK imports exactly the allowed host functions, with upstream signatures", () => {
  assert.deepEqual(checkModule(bytes), []);
  const names = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`).sort();
  // The self-test uses the core ABI; private storage, blobs, xcall, random and time are
  // exercised by the example apps on a real node (tests/Mero.Integration.Tests).
  const core = ["input", "register_len", "read_register", "value_return", "storage_read", "storage_write",
    "storage_remove", "log_utf8", "panic_utf8", "emit", "context_id", "executor_id",
    "account_id", "device_id", "emit_migration_witness", "storage_index_set", "storage_index_remove",
    "storage_index_remove_prefix", "storage_index_scan", "storage_index_last", "storage_index_meta_set",
    "storage_index_meta_get", "storage_index_meta_clear"];
  assert.deepEqual(names, core.map((n) => `env.${n}`).sort());
  for (const name of core) assert.ok(Object.hasOwn(ALLOWED_IMPORTS, name), name);
  assert.ok(WebAssembly.Module.exports(module).some((e) => e.name === "memory" && e.kind === "memory"));
});

test("contextId / executorId read 32-byte ids through the data register", () => {
  const r = ok(host(), "ids");
  assert.deepEqual(r.json, {
    context: Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString("hex"),
    executor: Buffer.from(Array.from({ length: 32 }, (_, i) => 255 - i)).toString("hex"),
  });
});

test("accountId / deviceId: the account and the signing key, which differ only where accounts exist", () => {
  const account = new Uint8Array(32).fill(0xa1);
  const r = ok(new MockHost(module, { executorId: new Uint8Array(32).fill(0xe1), accountId: account }), "identity");
  assert.deepEqual(r.json, { account: "a1".repeat(32), device: "e1".repeat(32) });
  const same = ok(new MockHost(module, { executorId: new Uint8Array(32).fill(0xe1) }), "identity");
  assert.deepEqual(same.json, { account: "e1".repeat(32), device: "e1".repeat(32) });
});

test("emitMigrationWitness hands the last witness to the host and stores nothing", () => {
  const h = host();
  const r = ok(h, "witness", { first: "w1", last: "w2" });
  assert.equal(Buffer.from(r.witness).toString(), "w2");
  assert.deepEqual(h.storageEntries(), []);
});

test("orderedIndex: set, scan pages, last, prefix removal and markers", () => {
  const r = ok(host(), "ordered", {});
  assert.deepEqual(r.json, {
    persisted: true, all: "a=1,b=2,ba=3,c=4", page: "b=2,ba=3", last: "ba", marked: true, marker: "ok",
    after: "c=4", cleared: true,
  });
});

test("orderedIndex without an index: nothing persisted, scans empty", () => {
  const r = ok(new MockHost(module, { orderedIndex: false }), "ordered", {});
  assert.deepEqual(r.json, {
    persisted: false, all: "", page: "", last: "none", marked: false, marker: "none", after: "", cleared: true,
  });
});

test("JSON parser + writer round-trip", () => {
  const docs = [
    "null", "true", "false", "0", "-0", "12345678901234567890123", "-1.5e-7", "1E+2", '""',
    '"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\u001f\\u00e9\\ud834\\udd1e"',
    "[]", "{}", '[1,[2,[3,{"a":[]}]]]', '{"a":{"b":{"c":null}},"d":[true,false],"e":"é𝄞"}',
    ' \n\t{ "spaced" : [ 1 , 2 ] } \r\n',
  ];
  for (const d of docs) {
    const r = ok(host(), "echo", d);
    assert.deepEqual(r.json, JSON.parse(d), d);
  }
  // number text is preserved exactly; key order is kept; "/" is not escaped
  assert.equal(ok(host(), "echo", '{"z":1.50,"a":12345678901234567890123,"s":"/"}').text, '{"z":1.50,"a":12345678901234567890123,"s":"/"}');
  assert.equal(ok(host(), "echo", '"\\u0001\\u007f"').text, '"\\u0001\u007f"');
  const deep = "[".repeat(128) + "]".repeat(128);
  assert.deepEqual(ok(host(), "echo", deep).text, deep);
});

test("JSON parser rejects malformed input with a position", () => {
  const bad = [
    ["", /^echo: malformed JSON: expected a value, found end of input at byte 0$/],
    ["[1,]", /expected a value, found '\]' at byte 3$/],
    ["01", /leading zero/], ["1.", /digit after '\.'/], ["1e", /digit in exponent/], ["-", /expected a digit/],
    ["+1", /expected a value, found '\+'/], ["tru", /expected 'true'/], ['"abc', /unterminated string/],
    ['"\\x"', /invalid escape 'x'/], ['"\\u12"', /invalid \\u escape/], ['"\\udc00"', /lone trailing surrogate/],
    ['{"a" 1}', /expected ':', found '1'/], ['{"a":1 "b":2}', /expected ',' or '}', found '"'/],
    ["[1 2]", /expected ',' or '\]'/], ["{} {}", /trailing characters/], ["[".repeat(129) + "]".repeat(129), /nesting deeper than 128/],
    ["NaN", /expected a value, found 'N'/], ["'a'", /found '''/],
  ];
  for (const [input, re] of bad) assert.match(panicOf("echo", input).message, re, input);
  const overlong = new Uint8Array([0x22, 0xc0, 0xaf, 0x22]);
  assert.match(panicOf("echo", overlong).message, /invalid UTF-8 in string/);
  const surrogate = new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22]);
  assert.match(panicOf("echo", surrogate).message, /invalid UTF-8 in string/);
});

test("Args: typed getters, optional fields, range checks", () => {
  const good = { i: -9223372036854775808n, u: 18446744073709551615n, f: 0.25, b: true, n: -7, s: null, o: { x: 1, y: 2 }, arr: ["z"] };
  const text = JSON.stringify(good, (_, v) => (typeof v === "bigint" ? `@${v}@` : v)).replace(/"@(-?\d+)@"/g, "$1");
  const r = ok(host(), "typed", text);
  assert.equal(r.text, '{"i":-9223372036854775808,"u":18446744073709551615,"f":0.25,"b":true,"n":-7,"s":null,"o_keys":["x","y"],"arr_len":1,"arr0":"z"}');
  const base = { i: 1, u: 2, f: 3, b: false, n: 4, o: {}, arr: [] };
  assert.equal(ok(host(), "typed", base).json.s, null, "a missing optional field is null");
  assert.equal(ok(host(), "typed", { ...base, s: "x" }).json.s, "x");
  const cases = [
    [{ ...base, i: 1.5 }, /^typed: invalid args: expected integer field 'i' \(i64\), got 1\.5$/],
    [{ ...base, u: -1 }, /expected non-negative integer field 'u' \(u64\), got -1$/],
    ['{"i":9223372036854775808,"u":1,"f":1,"b":true,"n":1,"o":{},"arr":[]}', /expected integer field 'i' \(i64\), got 9223372036854775808/],
    [{ ...base, n: 2 ** 31 }, /field 'n' is out of i32 range: 2147483648$/],
    [{ ...base, b: "yes" }, /expected boolean field 'b', got string$/],
    [{ ...base, s: 5 }, /expected string or null field 's', got number$/],
    [{ ...base, o: [] }, /expected object field 'o', got array$/],
    [{ ...base, arr: {} }, /expected array field 'arr', got object$/],
  ];
  for (const [input, re] of cases) assert.match(panicOf("typed", typeof input === "string" ? input : JSON.stringify(input)).message, re);
});

test("JsonWriter and JsonValue builders", () => {
  const r = ok(host(), "writer", {});
  assert.equal(r.text,
    '[{"n":null,"t":false,"i":-42,"u":18446744073709551615,"f":1.5,"nan":null,"s":"q\\"b\\\\c\\u0007😀\uFFFD","a":[1,{},[]]},"\\"x\\"",null,{}]');
});

test("storage helpers follow the host's return conventions", () => {
  const h = host();
  const r = ok(h, "storage_ops", {});
  assert.deepEqual(r.json, { write_new: false, write_again: true, read: "v2", has: true, removed: "v2",
    remove_again: false, read_missing: null, empty_write: false, empty_len: 0 });
  assert.deepEqual(h.storageEntries().map(([k, v]) => [k.toString(), v.length]), [["e", 0]]);
});

test("value_return(Err) sets tag 1", () => {
  const r = host().call("fail_err");
  assert.equal(r.error, null);
  assert.equal(r.returned.tag, 1);
  assert.equal(r.text, '"oops"');
});

test("AssemblyScript aborts become panic_utf8 with message and location", () => {
  let p = panicOf("abort_throw");
  assert.equal(p.message, "boom from throw");
  assert.equal(p.file, "sdk/assemblyscript/test/fixtures/selftest.ts");
  assert.ok(p.line > 0 && p.column > 0, JSON.stringify(p));
  p = panicOf("abort_assert");
  assert.equal(p.message, "assertion message");
  assert.equal(p.file, "sdk/assemblyscript/test/fixtures/selftest.ts");
  p = panicOf("abort_index");
  assert.match(p.message, /out of range/i);
  assert.match(p.file, /^~lib\//);
  p = panicOf("plain_panic");
  assert.deepEqual({ ...p }, { message: "plain panic ✓", file: "", line: 0, column: 0 });
});

test("logs are truncated to the host limit on a character boundary", () => {
  const r = ok(host(), "long_log");
  assert.equal(r.logs.length, 2);
  assert.ok(Buffer.byteLength(r.logs[0]) <= 16 * 1024);
  assert.ok(r.logs[0].endsWith("é…"));
  assert.equal(r.logs[1], "");
});

test("events: unit and data payloads; limits checked by the SDK", () => {
  const r = ok(host(), "emit_events");
  assert.deepEqual(r.events.map((e) => [e.kind, e.text]), [["Unit", ""], ["Data", '{"x":1}']]);
  assert.match(panicOf("emit_too_big").message, /^emit: data of event 'Big' is 16385 bytes, the limit is 16384$/);
  assert.match(panicOf("emit_kind_too_long").message, /^emit: event kind 'K+' is longer than 100 bytes$/);
});

test("utf8 helpers", () => {
  assert.deepEqual(ok(host(), "utf8_ops", {}).json, {
    valid_bad: false, valid_surrogate: false, valid_good: true, lossy: "a\uFFFDé", encode_lone: 3, order: -1, eq: true,
    bytebuf_len: 2004,
  });
});

test("the incremental GC keeps memory bounded under churn", () => {
  const h = host();
  const r = ok(h, "churn", {});
  assert.equal(r.json, 256);
  assert.ok(r.memoryBytes < 16 << 20, `memory grew to ${r.memoryBytes} bytes`);
});

test("remaining JsonValue / Args / ByteBuf surface", () => {
  const r = ok(host(), "misc", {});
  assert.match(r.text, /"bigU64":18446744073709551615,/);
  assert.deepEqual(r.json, {
    x: [1, { y: null }], hasN: true, nIsNull: true, args: { x: [1, { y: null }], n: null }, keys: 3, hasK: true,
    missing: true, k: "v", kUtf8: 1, bigU64: 18446744073709551615, bigIsI64: false, negI64: -5, negIsU64: false,
    kindOfX: "array", firstKey: "k", copyLen: 11, bufLen: 0, tryDecodeBad: true, readRegisterAbsent: true,
    parseFail: "expected a value, found end of input",
  });
});

test("the CRDT classes (withId constructors, sorted map and set) import only allowed host functions", () => {
  const crdt = build("crdt");
  assert.deepEqual(checkModule(crdt), []);
  const names = WebAssembly.Module.imports(new WebAssembly.Module(crdt)).map((i) => i.name);
  for (const name of ["js_crdt_map_new_with_id", "js_crdt_text_new_with_id", "js_crdt_sortedmap_iter", "js_crdt_sortedset_len"]) {
    assert.ok(names.includes(name), name);
  }
});
