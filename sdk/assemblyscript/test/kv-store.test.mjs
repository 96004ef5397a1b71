// Runs the built apps/kv-store/build/kv-store.wasm against the JS host in
// host.mjs. `npm test` builds it first (pretest → scripts/build-apps.sh).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MockHost } from "./host.mjs";
import { checkModule, parseModule, ALLOWED_IMPORTS } from "../scripts/wasm-abi.mjs";

const WASM = fileURLToPath(new URL("../../../apps/kv-store/build/kv-store.wasm", import.meta.url));
const bytes = readFileSync(WASM);
const module = new WebAssembly.Module(bytes);
const enc = new TextEncoder();

// The host functions kv-store needs: every allowed one except the identity getters.
const KV_IMPORTS = ["emit", "input", "log_utf8", "panic_utf8", "read_register", "register_len",
  "storage_read", "storage_remove", "storage_write", "value_return"];
const METHODS = ["clear", "entries", "get", "get_or_insert", "get_result", "get_unchecked", "init", "len",
  "remove", "set", "update_if_exists"];

function fresh() {
  const host = new MockHost(module);
  const r = host.call("init", {});
  assert.equal(r.error, null, String(r.error));
  return host;
}

/** Calls and asserts success; returns the parsed JSON result. */
function ok(host, method, args = {}) {
  const r = host.call(method, args);
  assert.equal(r.error, null, `${method} failed: ${r.error}`);
  assert.ok(r.returned, `${method} did not call value_return`);
  assert.equal(r.returned.tag, 0);
  return r;
}

function panics(host, method, args, pattern) {
  const before = new Map(host.storage);
  const r = host.call(method, args);
  assert.ok(r.panic, `${method}(${typeof args === "string" ? args : JSON.stringify(args)}) did not panic (error: ${r.error})`);
  assert.match(r.panic.message, pattern);
  assert.deepEqual(host.storage, before, "a failed call must not change storage");
  return r.panic;
}

test("module ABI: exact imports with i64 params, memory exported, () -> () methods, no _start", () => {
  assert.deepEqual(checkModule(bytes), []);
  const imports = WebAssembly.Module.imports(module);
  assert.ok(imports.every((i) => i.module === "env" && i.kind === "function"));
  assert.deepEqual(imports.map((i) => i.name).sort(), KV_IMPORTS);
  for (const name of imports.map((i) => i.name)) assert.ok(Object.hasOwn(ALLOWED_IMPORTS, name), name);
  for (const banned of ["abort", "seed", "trace", "memory"]) assert.ok(!imports.some((i) => i.name === banned), banned);
  const exports = WebAssembly.Module.exports(module);
  assert.ok(exports.some((e) => e.name === "memory" && e.kind === "memory"));
  assert.ok(!exports.some((e) => e.name === "_start"));
  assert.deepEqual(exports.filter((e) => e.kind === "function").map((e) => e.name).sort(), METHODS);
  for (const e of parseModule(bytes).exports.filter((e) => e.kind === "function")) {
    assert.deepEqual(e.type, { params: [], results: [] }, e.name);
  }
});

test("init returns null and refuses to run twice", () => {
  const host = new MockHost(module);
  const r = ok(host, "init", {});
  assert.equal(r.text, "null");
  assert.ok(ok(new MockHost(module), "init", "").text === "null", "empty input is fine for init");
  panics(host, "init", {}, /^Cannot initialize over already existing state\.$/);
});

test("set then get returns the value; get of a missing key is null", () => {
  const host = fresh();
  assert.equal(ok(host, "set", { key: "greeting", value: "hello" }).text, "null");
  assert.equal(ok(host, "get", { key: "greeting" }).text, '"hello"');
  assert.equal(ok(host, "get", { key: "nope" }).text, "null");
  // overwrite
  ok(host, "set", { key: "greeting", value: "bye" });
  assert.equal(ok(host, "get", { key: "greeting" }).json, "bye");
});

test("set emits Inserted for a new key and Updated for an existing one, and logs", () => {
  const host = fresh();
  let r = ok(host, "set", { key: "a", value: "1" });
  assert.deepEqual(r.events.map((e) => [e.kind, e.text]), [["Inserted", '{"key":"a","value":"1"}']]);
  assert.deepEqual(r.logs, ['Setting key: "a" to value: "1"']);
  r = ok(host, "set", { key: "a", value: "2" });
  assert.deepEqual(r.events.map((e) => [e.kind, e.text]), [["Updated", '{"key":"a","value":"2"}']]);
  // reads emit nothing
  assert.deepEqual(ok(host, "get", { key: "a" }).events, []);
});

test("entries and len", () => {
  const host = fresh();
  assert.equal(ok(host, "len", {}).text, "0");
  assert.equal(ok(host, "entries", {}).text, "{}");
  for (const [k, v] of [["b", "2"], ["a", "1"], ["c", "3"]]) ok(host, "set", { key: k, value: v });
  assert.equal(ok(host, "len", {}).json, 3);
  assert.equal(ok(host, "len", "").json, 3, "zero-arg methods accept empty input");
  // sorted by key, like upstream's BTreeMap
  assert.equal(ok(host, "entries", {}).text, '{"a":"1","b":"2","c":"3"}');
});

test("remove returns the removed value, emits Removed, and keeps the index consistent", () => {
  const host = fresh();
  for (const k of ["k1", "k2", "k3", "k4"]) ok(host, "set", { key: k, value: `v-${k}` });
  let r = ok(host, "remove", { key: "k1" }); // first slot: exercises the swap-remove
  assert.equal(r.json, "v-k1");
  assert.deepEqual(r.events.map((e) => [e.kind, e.text]), [["Removed", '{"key":"k1"}']]);
  assert.equal(ok(host, "get", { key: "k1" }).json, null);
  assert.equal(ok(host, "len", {}).json, 3);
  assert.deepEqual(ok(host, "entries", {}).json, { k2: "v-k2", k3: "v-k3", k4: "v-k4" });
  // removing an absent key returns null and emits nothing (as upstream)
  r = ok(host, "remove", { key: "k1" });
  assert.equal(r.text, "null");
  assert.deepEqual(r.events, []);
  for (const k of ["k4", "k2", "k3"]) assert.equal(ok(host, "remove", { key: k }).json, `v-${k}`);
  assert.equal(ok(host, "len", {}).json, 0);
  // only the init marker and the zero length remain
  assert.deepEqual(host.storageEntries().map(([k]) => k.toString()).sort(), ["kv:meta:init", "kv:meta:len"]);
});

test("clear removes everything and emits Cleared only when there was something", () => {
  const host = fresh();
  let r = ok(host, "clear", {});
  assert.equal(r.text, "null");
  assert.deepEqual(r.events, []);
  for (let i = 0; i < 5; i++) ok(host, "set", { key: `k${i}`, value: `${i}` });
  r = ok(host, "clear", {});
  assert.deepEqual(r.events.map((e) => [e.kind, e.data.length]), [["Cleared", 0]]);
  assert.equal(ok(host, "len", {}).json, 0);
  assert.equal(ok(host, "entries", {}).text, "{}");
  assert.equal(ok(host, "get", { key: "k3" }).json, null);
  assert.equal(host.storage.size, 2);
});

test("update_if_exists, get_or_insert, get_unchecked and get_result behave as upstream", () => {
  const host = fresh();
  let r = ok(host, "update_if_exists", { key: "k", value: "v" });
  assert.equal(r.json, false);
  assert.deepEqual(r.events, []);
  r = ok(host, "get_or_insert", { key: "k", value: "first" });
  assert.equal(r.json, "first");
  assert.deepEqual(r.events.map((e) => e.kind), ["Inserted"]);
  r = ok(host, "get_or_insert", { key: "k", value: "second" });
  assert.equal(r.json, "first");
  assert.deepEqual(r.events, []);
  r = ok(host, "update_if_exists", { key: "k", value: "v" });
  assert.equal(r.json, true);
  assert.deepEqual(r.events.map((e) => [e.kind, e.text]), [["Updated", '{"key":"k","value":"v"}']]);
  assert.equal(ok(host, "get", { key: "k" }).json, "v");
  assert.equal(ok(host, "len", {}).json, 1);

  assert.equal(ok(host, "get_unchecked", { key: "k" }).json, "v");
  panics(host, "get_unchecked", { key: "missing" }, /^key not found$/);

  assert.equal(ok(host, "get_result", { key: "k" }).json, "v");
  r = host.call("get_result", { key: "missing" });
  assert.equal(r.error, null);
  assert.equal(r.returned.tag, 1, "value_return(Err)");
  assert.equal(r.text, '{"kind":"NotFound","data":"missing"}');
});

test("malformed JSON, wrong types, missing and unknown fields panic with clear messages", () => {
  const host = fresh();
  ok(host, "set", { key: "keep", value: "me" });
  panics(host, "set", '{"key": "a"', /^set: invalid args: malformed JSON: .* at byte \d+$/);
  panics(host, "set", '{"key": "a", "value": "b",}', /^set: invalid args: malformed JSON: expected a string key, found '}' at byte 26$/);
  panics(host, "set", "not json", /^set: invalid args: malformed JSON: invalid literal, expected 'null' at byte 0$/);
  panics(host, "set", "{key: 1}", /^set: invalid args: malformed JSON: expected a string key, found 'k' at byte 1$/);
  panics(host, "set", '{"key":"a","value":"b"} x', /malformed JSON: trailing characters/);
  panics(host, "set", "", /^set: missing arguments: expected a JSON object$/);
  panics(host, "set", "[1,2]", /^set: invalid args: expected a JSON object, got array$/);
  panics(host, "set", { key: "a" }, /^set: invalid args: missing field 'value' \(expected string\)$/);
  panics(host, "set", { value: "a" }, /^set: invalid args: missing field 'key' \(expected string\)$/);
  panics(host, "set", { key: 1, value: "x" }, /^set: invalid args: expected string field 'key', got number$/);
  panics(host, "set", { key: "a", value: null }, /^set: invalid args: expected string field 'value', got null$/);
  panics(host, "set", { key: "a", value: "b", extra: true }, /^set: invalid args: unknown field 'extra'$/);
  panics(host, "set", '{"key":"a","key":"b","value":"c"}', /malformed JSON: duplicate key 'key'/);
  panics(host, "get", {}, /^get: invalid args: missing field 'key'/);
  panics(host, "remove", { key: ["x"] }, /^remove: invalid args: expected string field 'key', got array$/);
  panics(host, "len", { x: 1 }, /^len: takes no arguments, but the call sent unknown field\(s\): x$/);
  panics(host, "entries", { a: 1, b: 2 }, /unknown field\(s\): a, b$/);
  panics(host, "set", '{"key":"\\ud800","value":"x"}', /lone leading surrogate/);
  panics(host, "set", '{"key":"a\tb","value":"x"}', /control character byte 0x09 in string/);
  panics(host, "set", new Uint8Array([...enc.encode('{"key":"'), 0xff, ...enc.encode('","value":"x"}')]), /invalid UTF-8 in string/);
  panics(host, "set", "[".repeat(200), /nesting deeper than 128 levels/);
  // nothing changed
  assert.deepEqual(ok(host, "entries", {}).json, { keep: "me" });
});

test("unicode, escapes and odd keys round-trip through storage, results and events", () => {
  const host = fresh();
  const cases = [
    ["", "empty key"],
    ["emoji 🎉", "value with \"quotes\", \\backslashes\\, \n newlines \u0001 and é, 中文, 𝄞"],
    ["kv:meta:len", "a user key that looks like a reserved one"],
    ["\u0000nul", "nul"],
    ["/slash", "</script>"],
  ];
  for (const [k, v] of cases) {
    const r = ok(host, "set", { key: k, value: v });
    assert.deepEqual(JSON.parse(r.events[0].text), { key: k, value: v });
  }
  for (const [k, v] of cases) assert.equal(ok(host, "get", { key: k }).json, v);
  const entries = ok(host, "entries", {});
  assert.deepEqual(entries.json, Object.fromEntries(cases));
  assert.match(entries.text, /\\u0001/, "control characters are escaped");
  assert.match(entries.text, /🎉/, "non-ASCII is written as UTF-8");
  // \u escapes in the input decode to the same key
  assert.equal(ok(host, "get", '{"key":"emoji \\ud83c\\udf89"}').json, cases[1][1]);
  assert.equal(ok(host, "get", '{"key":"\\u0065moji \\uD83C\\uDF89"}').json, cases[1][1]);
  assert.equal(ok(host, "len", {}).json, cases.length);
});

test("large values: storage works, the event stays under the host's 16 KiB limit", () => {
  const host = fresh();
  const big = "x".repeat(1 << 20);
  const r = ok(host, "set", { key: "big", value: big });
  assert.deepEqual(JSON.parse(r.events[0].text), { key: "big", truncated: true });
  assert.ok(r.logs[0].length < 1024, "log lines are shortened");
  assert.equal(ok(host, "get", { key: "big" }).json, big);
  assert.equal(ok(host, "remove", { key: "big" }).json.length, big.length);
  // a value near the host's 10 MiB limit fits comfortably in the 64 MiB memory cap
  const huge = "é".repeat(4_500_000); // 9 MB of UTF-8
  const set = ok(host, "set", { key: "huge", value: huge });
  const get = ok(host, "get", { key: "huge" });
  assert.equal(get.json, huge);
  for (const r of [set, get]) assert.ok(r.memoryBytes < 40 << 20, `memory grew to ${r.memoryBytes} bytes`);
  // an event that fits keeps the value
  const r2 = ok(host, "set", { key: "mid", value: "y".repeat(16 * 1024 - 30) });
  assert.equal(JSON.parse(r2.events[0].text).value.length, 16 * 1024 - 30);
  assert.ok(r2.events[0].data.length <= 16 * 1024);
});

test("many keys and random operations agree with a model", () => {
  const host = fresh();
  const model = new Map();
  let seed = 12345;
  const rand = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  for (let i = 0; i < 400; i++) {
    const key = `key-${rand(60)}`;
    const op = rand(10);
    if (op < 6) {
      const value = `v${i}`;
      const r = ok(host, "set", { key, value });
      assert.equal(r.events[0].kind, model.has(key) ? "Updated" : "Inserted");
      model.set(key, value);
    } else if (op < 9) {
      const r = ok(host, "remove", { key });
      assert.equal(r.json, model.get(key) ?? null);
      assert.equal(r.events.length, model.has(key) ? 1 : 0);
      model.delete(key);
    } else {
      assert.equal(ok(host, "get", { key }).json, model.get(key) ?? null);
    }
    if (i % 50 === 49) {
      assert.equal(ok(host, "len", {}).json, model.size);
      assert.deepEqual(ok(host, "entries", {}).json, Object.fromEntries([...model].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
    }
  }
  // storage holds exactly: 2 meta keys + one slot and one entry per key
  assert.equal(host.storage.size, 2 + 2 * model.size);
  for (let i = 0; i < 1500; i++) model.set(`bulk-${i}`, `${i}`), ok(host, "set", { key: `bulk-${i}`, value: `${i}` });
  assert.equal(Object.keys(ok(host, "entries", {}).json).length, model.size);
});
