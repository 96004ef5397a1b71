// Typed app state as JSON documents in synchronized storage: an app keeps its
// state (or each part of it) as a JsonValue under a key, loads it at the start
// of a method and saves it at the end.

import { JsonValue, parse } from "./json";
import * as storage from "./storage";
import { encode } from "./utf8";

/** The JSON document under `key`, or `fallback` if there is none. */
export function load(key: string, fallback: JsonValue): JsonValue {
  const bytes = storage.read(encode(key));
  return bytes === null ? fallback : parse(bytes, "state '" + key + "'");
}

/** Saves `value` as the JSON document under `key`. */
export function save(key: string, value: JsonValue): void {
  storage.write(encode(key), value.toBytes());
}
