// A small JSON module: a strict parser (RFC 8259, UTF-8 input validated, depth
// limited, duplicate object keys rejected) producing `JsonValue` trees, and a
// streaming `JsonWriter` that escapes strings the way serde_json does.

import { ByteBuf, combineSurrogates } from "./bytes";
import { sequenceLength, decodeRaw, encode } from "./utf8";
import { panic } from "./env";

/** Maximum nesting of arrays/objects accepted by the parser (serde_json's limit). */
export const MAX_DEPTH: i32 = 128;

export const enum JsonKind {
  Null = 0,
  Bool = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
}

/** Name of a kind as used in error messages. */
export function kindName(kind: JsonKind): string {
  switch (kind) {
    case JsonKind.Null: return "null";
    case JsonKind.Bool: return "boolean";
    case JsonKind.Number: return "number";
    case JsonKind.String: return "string";
    case JsonKind.Array: return "array";
    default: return "object";
  }
}

/** A parsed (or built) JSON value. Objects keep insertion order. */
export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  private flag: bool = false;
  /** Decoded string value, or the source text of a number. */
  private text: string | null = null;
  /** UTF-8 of a string value (parsed strings keep only this until asked). */
  private utf8: Uint8Array | null = null;
  private items: Array<JsonValue> | null = null;
  private objKeys: Array<string> | null = null;
  private index: Map<string, i32> | null = null;

  static null(): JsonValue {
    return new JsonValue();
  }

  static bool(b: bool): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Bool;
    v.flag = b;
    return v;
  }

  static string(s: string): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.String;
    v.text = s;
    return v;
  }

  /**
   * A string from its UTF-8 bytes, which must be valid UTF-8 (not copied).
   * Parsed strings are stored this way and decoded only if asked, so a large
   * value can go from the input to storage without a UTF-16 copy.
   */
  static stringUtf8(bytes: Uint8Array): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.String;
    v.utf8 = bytes;
    return v;
  }

  /** A number from its JSON text (not validated here; the parser validates). */
  static numberText(raw: string): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    v.text = raw;
    return v;
  }

  static i64(n: i64): JsonValue {
    return JsonValue.numberText(n.toString());
  }

  static u64(n: u64): JsonValue {
    return JsonValue.numberText(n.toString());
  }

  static f64(n: f64): JsonValue {
    return isFinite(n) ? JsonValue.numberText(n.toString()) : JsonValue.null();
  }

  static array(): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Array;
    v.items = new Array<JsonValue>();
    return v;
  }

  static object(): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Object;
    v.items = new Array<JsonValue>();
    v.objKeys = new Array<string>();
    v.index = new Map<string, i32>();
    return v;
  }

  get isNull(): bool { return this.kind == JsonKind.Null; }
  get isBool(): bool { return this.kind == JsonKind.Bool; }
  get isNumber(): bool { return this.kind == JsonKind.Number; }
  get isString(): bool { return this.kind == JsonKind.String; }
  get isArray(): bool { return this.kind == JsonKind.Array; }
  get isObject(): bool { return this.kind == JsonKind.Object; }
  get kindName(): string { return kindName(this.kind); }

  private expect(kind: JsonKind): void {
    if (this.kind != kind) panic("JSON: expected " + kindName(kind) + ", got " + kindName(this.kind));
  }

  asBool(): bool {
    this.expect(JsonKind.Bool);
    return this.flag;
  }

  asString(): string {
    this.expect(JsonKind.String);
    let t = this.text;
    if (t === null) {
      const b = this.utf8!;
      t = decodeRaw(b.dataStart, <usize>b.length);
      this.text = t;
    }
    return t;
  }

  /** The string's UTF-8 bytes (a view into the parsed input where possible; do not modify). */
  asUtf8(): Uint8Array {
    this.expect(JsonKind.String);
    let b = this.utf8;
    if (b === null) {
      b = encode(this.text!);
      this.utf8 = b;
    }
    return b;
  }

  /** The number's JSON text, exactly as parsed. */
  asNumberText(): string {
    this.expect(JsonKind.Number);
    return this.text!;
  }

  asF64(): f64 {
    return parseFloat(this.asNumberText());
  }

  /** True if the number is an integer that fits i64 (no fraction/exponent). */
  get isI64(): bool {
    return this.kind == JsonKind.Number && parseInteger(this.text!, true) !== null;
  }

  get isU64(): bool {
    return this.kind == JsonKind.Number && parseInteger(this.text!, false) !== null;
  }

  asI64(): i64 {
    const t = this.asNumberText();
    const r = parseInteger(t, true);
    if (r === null) return panic<i64>("JSON: expected an integer in i64 range, got " + t);
    return <i64>r.value;
  }

  asU64(): u64 {
    const t = this.asNumberText();
    const r = parseInteger(t, false);
    if (r === null) return panic<u64>("JSON: expected a non-negative integer in u64 range, got " + t);
    return r.value;
  }

  /** Number of elements (array) or fields (object); 0 otherwise. */
  get length(): i32 {
    const items = this.items;
    return items === null ? 0 : items.length;
  }

  /** Array element (or object value) at `i`. */
  at(i: i32): JsonValue {
    const items = this.items;
    if (items === null || i < 0 || i >= items.length) {
      return panic<JsonValue>("JSON: index " + i.toString() + " out of range");
    }
    return items[i];
  }

  /** Object key at position `i`. */
  keyAt(i: i32): string {
    this.expect(JsonKind.Object);
    return this.objKeys![i];
  }

  /** Object keys in order. */
  keys(): Array<string> {
    this.expect(JsonKind.Object);
    return this.objKeys!.slice(0);
  }

  /** Position of `key` in the object, or -1. */
  indexOf(key: string): i32 {
    const index = this.index;
    if (index === null || !index.has(key)) return -1;
    return index.get(key);
  }

  /** Object field, or null if absent (a JSON null is returned as a Null value). */
  get(key: string): JsonValue | null {
    const i = this.indexOf(key);
    return i < 0 ? null : this.items![i];
  }

  has(key: string): bool {
    return this.indexOf(key) >= 0;
  }

  /** Appends to an array. */
  push(v: JsonValue): JsonValue {
    this.expect(JsonKind.Array);
    this.items!.push(v);
    return this;
  }

  /** Sets an object field (replacing an existing one in place). */
  set(key: string, v: JsonValue): JsonValue {
    this.expect(JsonKind.Object);
    const i = this.indexOf(key);
    if (i >= 0) {
      this.items![i] = v;
    } else {
      this.index!.set(key, this.items!.length);
      this.items!.push(v);
      this.objKeys!.push(key);
    }
    return this;
  }

  writeTo(w: JsonWriter): void {
    switch (this.kind) {
      case JsonKind.Null: w.null(); break;
      case JsonKind.Bool: w.bool(this.flag); break;
      case JsonKind.Number: w.rawValue(this.text!); break;
      case JsonKind.String: {
        const b = this.utf8;
        if (b !== null) w.stringUtf8(b);
        else w.string(this.text!);
        break;
      }
      case JsonKind.Array: {
        w.beginArray();
        const items = this.items!;
        for (let i = 0; i < items.length; i++) items[i].writeTo(w);
        w.endArray();
        break;
      }
      default: {
        w.beginObject();
        const items = this.items!;
        const keys = this.objKeys!;
        for (let i = 0; i < items.length; i++) {
          w.key(keys[i]);
          items[i].writeTo(w);
        }
        w.endObject();
      }
    }
  }

  /** Serialises to JSON text. */
  toString(): string {
    const w = new JsonWriter();
    this.writeTo(w);
    return w.toString();
  }

  /** Serialises to UTF-8 JSON bytes. */
  toBytes(): Uint8Array {
    const w = new JsonWriter();
    this.writeTo(w);
    return w.toBytes();
  }
}

class IntResult {
  constructor(public value: u64) {}
}

/** Exact integer parse of JSON number text; null if fractional, exponent or out of range. */
function parseInteger(text: string, signed: bool): IntResult | null {
  const n = text.length;
  let i = 0;
  let neg = false;
  if (n > 0 && text.charCodeAt(0) == 0x2D) {
    neg = true;
    i = 1;
  }
  if (i >= n) return null;
  let mag: u64 = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return null;
    const d = <u64>(c - 0x30);
    if (mag > (u64.MAX_VALUE - d) / 10) return null;
    mag = mag * 10 + d;
  }
  if (!signed) {
    if (neg && mag != 0) return null;
    return new IntResult(mag);
  }
  if (neg) {
    if (mag > <u64>0x8000000000000000) return null;
    return new IntResult(<u64>(-(<i64>mag)));
  }
  if (mag > <u64>i64.MAX_VALUE) return null;
  return new IntResult(mag);
}

/** Outcome of `tryParse`: a value, or an error message and byte offset. */
export class ParseResult {
  constructor(public value: JsonValue | null, public error: string | null, public offset: i32) {}
  get ok(): bool { return this.error === null; }
}

class Parser {
  private pos: usize = 0;
  private ptr: usize;
  private len: usize;
  error: string | null = null;
  errorAt: usize = 0;

  constructor(private src: Uint8Array) {
    this.ptr = src.dataStart;
    this.len = <usize>src.length;
  }

  get offset(): usize { return this.pos; }

  private fail(msg: string): JsonValue {
    if (this.error === null) {
      this.error = msg;
      this.errorAt = this.pos;
    }
    return JsonValue.null();
  }

  private peek(): u32 {
    return this.pos < this.len ? <u32>load<u8>(this.ptr + this.pos) : 0xFFFFFFFF;
  }

  private describe(c: u32): string {
    if (c == 0xFFFFFFFF) return "end of input";
    if (c >= 0x20 && c < 0x7F) return "'" + String.fromCharCode(c) + "'";
    return "byte 0x" + (c < 16 ? "0" : "") + c.toString(16);
  }

  skipWs(): void {
    while (this.pos < this.len) {
      const c = load<u8>(this.ptr + this.pos);
      if (c != 0x20 && c != 0x0A && c != 0x0D && c != 0x09) break;
      this.pos++;
    }
  }

  parseDocument(): JsonValue {
    this.skipWs();
    const v = this.parseValue(0);
    if (this.error !== null) return v;
    this.skipWs();
    if (this.pos < this.len) return this.fail("trailing characters after JSON value");
    return v;
  }

  parseValue(depth: i32): JsonValue {
    this.skipWs();
    const c = this.peek();
    if (c == 0x7B) return this.parseObject(depth);
    if (c == 0x5B) return this.parseArray(depth);
    if (c == 0x22) {
      const b = this.parseStringBytes();
      return this.error !== null ? JsonValue.null() : JsonValue.stringUtf8(b);
    }
    if (c == 0x74) return this.literal("true", JsonValue.bool(true));
    if (c == 0x66) return this.literal("false", JsonValue.bool(false));
    if (c == 0x6E) return this.literal("null", JsonValue.null());
    if (c == 0x2D || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
    return this.fail("expected a value, found " + this.describe(c));
  }

  private literal(word: string, v: JsonValue): JsonValue {
    const n = <usize>word.length;
    if (this.pos + n > this.len) return this.fail("invalid literal, expected '" + word + "'");
    for (let i: usize = 0; i < n; i++) {
      if (<u32>load<u8>(this.ptr + this.pos + i) != <u32>word.charCodeAt(<i32>i)) {
        return this.fail("invalid literal, expected '" + word + "'");
      }
    }
    this.pos += n;
    return v;
  }

  private digits(): usize {
    const start = this.pos;
    while (this.pos < this.len) {
      const c = load<u8>(this.ptr + this.pos);
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
    }
    return this.pos - start;
  }

  private parseNumber(): JsonValue {
    const start = this.pos;
    if (this.peek() == 0x2D) this.pos++;
    const first = this.peek();
    if (first == 0x30) {
      this.pos++;
      const next = this.peek();
      if (next >= 0x30 && next <= 0x39) return this.fail("invalid number: leading zero");
    } else if (first >= 0x31 && first <= 0x39) {
      this.digits();
    } else {
      return this.fail("invalid number: expected a digit, found " + this.describe(first));
    }
    if (this.peek() == 0x2E) {
      this.pos++;
      if (this.digits() == 0) return this.fail("invalid number: expected a digit after '.'");
    }
    const e = this.peek();
    if (e == 0x65 || e == 0x45) {
      this.pos++;
      const s = this.peek();
      if (s == 0x2B || s == 0x2D) this.pos++;
      if (this.digits() == 0) return this.fail("invalid number: expected a digit in exponent");
    }
    return JsonValue.numberText(decodeRaw(this.ptr + start, this.pos - start));
  }

  private hex4(): i32 {
    if (this.pos + 4 > this.len) return -1;
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const c = <i32>load<u8>(this.ptr + this.pos + <usize>i);
      let d: i32;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      else return -1;
      v = (v << 4) | d;
    }
    this.pos += 4;
    return v;
  }

  /** Parses a string starting at the opening quote. */
  parseString(): string {
    const b = this.parseStringBytes();
    return decodeRaw(b.dataStart, <usize>b.length);
  }

  /**
   * Parses a string starting at the opening quote and returns its (validated)
   * UTF-8: a view into the input if it has no escapes, else a new buffer.
   */
  parseStringBytes(): Uint8Array {
    this.pos++; // opening quote
    let start = this.pos;
    let buf: ByteBuf | null = null;
    while (true) {
      if (this.pos >= this.len) {
        this.fail("unterminated string");
        return new Uint8Array(0);
      }
      const c = <u32>load<u8>(this.ptr + this.pos);
      if (c == 0x22) break;
      if (c == 0x5C) {
        if (buf === null) buf = new ByteBuf(<i32>(this.pos - start) + 16);
        buf.pushRaw(this.ptr + start, <i32>(this.pos - start));
        this.pos++;
        if (!this.escape(buf)) return new Uint8Array(0);
        start = this.pos;
        continue;
      }
      if (c < 0x20) {
        this.fail("control character " + this.describe(c) + " in string (must be escaped)");
        return new Uint8Array(0);
      }
      if (c < 0x80) {
        this.pos++;
        continue;
      }
      const n = sequenceLength(this.ptr + this.pos, this.len - this.pos);
      if (n == 0) {
        this.fail("invalid UTF-8 in string");
        return new Uint8Array(0);
      }
      this.pos += <usize>n;
    }
    const end = this.pos;
    this.pos++; // closing quote
    if (buf === null) return this.src.subarray(<i32>start, <i32>end);
    buf.pushRaw(this.ptr + start, <i32>(end - start));
    return buf.view();
  }

  private escape(buf: ByteBuf): bool {
    const c = this.peek();
    this.pos++;
    switch (c) {
      case 0x22: buf.pushByte(0x22); return true;
      case 0x5C: buf.pushByte(0x5C); return true;
      case 0x2F: buf.pushByte(0x2F); return true;
      case 0x62: buf.pushByte(0x08); return true;
      case 0x66: buf.pushByte(0x0C); return true;
      case 0x6E: buf.pushByte(0x0A); return true;
      case 0x72: buf.pushByte(0x0D); return true;
      case 0x74: buf.pushByte(0x09); return true;
      case 0x75: {
        const hi = this.hex4();
        if (hi < 0) { this.fail("invalid \\u escape"); return false; }
        if (hi >= 0xDC00 && hi <= 0xDFFF) { this.fail("lone trailing surrogate in \\u escape"); return false; }
        if (hi >= 0xD800 && hi <= 0xDBFF) {
          if (this.peek() != 0x5C) { this.fail("lone leading surrogate in \\u escape"); return false; }
          this.pos++;
          if (this.peek() != 0x75) { this.fail("lone leading surrogate in \\u escape"); return false; }
          this.pos++;
          const lo = this.hex4();
          if (lo < 0) { this.fail("invalid \\u escape"); return false; }
          if (lo < 0xDC00 || lo > 0xDFFF) { this.fail("lone leading surrogate in \\u escape"); return false; }
          buf.pushScalar(0x10000 + ((<u32>hi - 0xD800) << 10) + (<u32>lo - 0xDC00));
          return true;
        }
        buf.pushScalar(<u32>hi);
        return true;
      }
      default:
        this.pos--;
        this.fail("invalid escape " + this.describe(c));
        return false;
    }
  }

  private parseArray(depth: i32): JsonValue {
    if (depth >= MAX_DEPTH) return this.fail("nesting deeper than " + MAX_DEPTH.toString() + " levels");
    this.pos++; // [
    const arr = JsonValue.array();
    this.skipWs();
    if (this.peek() == 0x5D) {
      this.pos++;
      return arr;
    }
    while (true) {
      const v = this.parseValue(depth + 1);
      if (this.error !== null) return v;
      arr.push(v);
      this.skipWs();
      const c = this.peek();
      if (c == 0x2C) { this.pos++; continue; }
      if (c == 0x5D) { this.pos++; return arr; }
      return this.fail("expected ',' or ']', found " + this.describe(c));
    }
  }

  private parseObject(depth: i32): JsonValue {
    if (depth >= MAX_DEPTH) return this.fail("nesting deeper than " + MAX_DEPTH.toString() + " levels");
    this.pos++; // {
    const obj = JsonValue.object();
    this.skipWs();
    if (this.peek() == 0x7D) {
      this.pos++;
      return obj;
    }
    while (true) {
      this.skipWs();
      const q = this.peek();
      if (q != 0x22) return this.fail("expected a string key, found " + this.describe(q));
      const keyAt = this.pos;
      const key = this.parseString();
      if (this.error !== null) return obj;
      this.skipWs();
      const colon = this.peek();
      if (colon != 0x3A) return this.fail("expected ':', found " + this.describe(colon));
      this.pos++;
      const v = this.parseValue(depth + 1);
      if (this.error !== null) return v;
      if (obj.has(key)) {
        this.pos = keyAt;
        return this.fail("duplicate key '" + key + "'");
      }
      obj.set(key, v);
      this.skipWs();
      const c = this.peek();
      if (c == 0x2C) { this.pos++; continue; }
      if (c == 0x7D) { this.pos++; return obj; }
      return this.fail("expected ',' or '}', found " + this.describe(c));
    }
  }
}

/** Parses JSON bytes without panicking. */
export function tryParse(bytes: Uint8Array): ParseResult {
  const p = new Parser(bytes);
  const v = p.parseDocument();
  const err = p.error;
  if (err !== null) return new ParseResult(null, err, <i32>p.errorAt);
  return new ParseResult(v, null, 0);
}

/**
 * Parses JSON bytes; on malformed input panics with
 * "<context>: malformed JSON: <reason> at byte <n>".
 */
export function parse(bytes: Uint8Array, context: string = "JSON"): JsonValue {
  const r = tryParse(bytes);
  if (!r.ok) {
    return panic<JsonValue>(context + ": malformed JSON: " + r.error! + " at byte " + r.offset.toString());
  }
  return r.value!;
}

/** Parses a JSON string (see `parse`). */
export function parseString(text: string, context: string = "JSON"): JsonValue {
  return parse(encode(text), context);
}

/**
 * Streaming JSON writer producing UTF-8. Commas and colons are inserted
 * automatically:
 *
 *   const w = new JsonWriter();
 *   w.beginObject().key("key").string(k).key("n").i64(3).endObject();
 *   env.valueReturn(w.toBytes());
 */
export class JsonWriter {
  private buf: ByteBuf;
  private needComma: bool = false;
  private afterKey: bool = false;

  constructor(capacity: i32 = 64) {
    this.buf = new ByteBuf(capacity);
  }

  private sep(): void {
    if (this.afterKey) {
      this.afterKey = false;
    } else if (this.needComma) {
      this.buf.pushByte(0x2C);
    }
  }

  beginObject(): JsonWriter {
    this.sep();
    this.buf.pushByte(0x7B);
    this.needComma = false;
    return this;
  }

  endObject(): JsonWriter {
    this.buf.pushByte(0x7D);
    this.needComma = true;
    this.afterKey = false;
    return this;
  }

  beginArray(): JsonWriter {
    this.sep();
    this.buf.pushByte(0x5B);
    this.needComma = false;
    return this;
  }

  endArray(): JsonWriter {
    this.buf.pushByte(0x5D);
    this.needComma = true;
    this.afterKey = false;
    return this;
  }

  /** Writes an object key; the next value call writes its value. */
  key(k: string): JsonWriter {
    if (this.needComma) this.buf.pushByte(0x2C);
    writeQuoted(this.buf, k);
    this.buf.pushByte(0x3A);
    this.afterKey = true;
    this.needComma = false;
    return this;
  }

  private done(): JsonWriter {
    this.needComma = true;
    return this;
  }

  string(s: string): JsonWriter {
    this.sep();
    writeQuoted(this.buf, s);
    return this.done();
  }

  /** A string given as UTF-8 bytes (invalid sequences are written as U+FFFD). */
  stringUtf8(b: Uint8Array): JsonWriter {
    this.sep();
    writeQuotedUtf8(this.buf, b);
    return this.done();
  }

  /** An object key given as UTF-8 bytes. */
  keyUtf8(k: Uint8Array): JsonWriter {
    if (this.needComma) this.buf.pushByte(0x2C);
    writeQuotedUtf8(this.buf, k);
    this.buf.pushByte(0x3A);
    this.afterKey = true;
    this.needComma = false;
    return this;
  }

  /** A string, or null. */
  stringOrNull(s: string | null): JsonWriter {
    if (s === null) return this.null();
    return this.string(s);
  }

  bool(b: bool): JsonWriter {
    return this.rawValue(b ? "true" : "false");
  }

  null(): JsonWriter {
    return this.rawValue("null");
  }

  i64(v: i64): JsonWriter {
    return this.rawValue(v.toString());
  }

  u64(v: u64): JsonWriter {
    return this.rawValue(v.toString());
  }

  /** Non-finite values are written as null (as serde_json does). */
  f64(v: f64): JsonWriter {
    return this.rawValue(isFinite(v) ? v.toString() : "null");
  }

  value(v: JsonValue): JsonWriter {
    v.writeTo(this);
    return this;
  }

  /** Writes pre-serialised JSON text as one value (not validated). */
  rawValue(json: string): JsonWriter {
    this.sep();
    this.buf.pushString(json);
    return this.done();
  }

  /** A view of the UTF-8 output so far. */
  toBytes(): Uint8Array {
    return this.buf.view();
  }

  toString(): string {
    return decodeRaw(this.buf.dataStart, <usize>this.buf.length);
  }
}

const HEX = "0123456789abcdef";

function writeEscape(buf: ByteBuf, c: u32): void {
  buf.pushByte(0x5C);
  if (c == 0x22 || c == 0x5C) buf.pushByte(<u8>c);
  else if (c == 0x08) buf.pushByte(0x62);
  else if (c == 0x0C) buf.pushByte(0x66);
  else if (c == 0x0A) buf.pushByte(0x6E);
  else if (c == 0x0D) buf.pushByte(0x72);
  else if (c == 0x09) buf.pushByte(0x74);
  else {
    buf.pushByte(0x75);
    buf.pushByte(0x30);
    buf.pushByte(0x30);
    buf.pushByte(<u8>HEX.charCodeAt(<i32>(c >> 4)));
    buf.pushByte(<u8>HEX.charCodeAt(<i32>(c & 15)));
  }
}

/** Appends UTF-8 bytes as a quoted, escaped JSON string; invalid UTF-8 becomes U+FFFD. */
export function writeQuotedUtf8(buf: ByteBuf, b: Uint8Array): void {
  const ptr = b.dataStart;
  const len = <usize>b.length;
  buf.reserve(<i32>len + 2);
  buf.pushByte(0x22);
  let run: usize = 0; // start of the pending run of bytes copied verbatim
  let i: usize = 0;
  while (i < len) {
    const c = <u32>load<u8>(ptr + i);
    if (c >= 0x20 && c != 0x22 && c != 0x5C && c < 0x80) { i++; continue; }
    if (c >= 0x80) {
      const n = sequenceLength(ptr + i, len - i);
      if (n > 0) { i += <usize>n; continue; }
      buf.pushRaw(ptr + run, <i32>(i - run));
      buf.pushScalar(0xFFFD);
      i++;
      run = i;
      continue;
    }
    buf.pushRaw(ptr + run, <i32>(i - run));
    writeEscape(buf, c);
    i++;
    run = i;
  }
  buf.pushRaw(ptr + run, <i32>(i - run));
  buf.pushByte(0x22);
}

/** Appends `s` as a quoted, escaped JSON string (serde_json's escaping). */
export function writeQuoted(buf: ByteBuf, s: string): void {
  const n = s.length;
  const src = changetype<usize>(s);
  buf.reserve(n + 2);
  buf.pushByte(0x22);
  for (let i = 0; i < n; i++) {
    let c = <u32>load<u16>(src + (<usize>i << 1));
    if (c < 0x80) {
      if (c == 0x22 || c == 0x5C || c < 0x20) writeEscape(buf, c);
      else buf.pushByte(<u8>c);
      continue;
    }
    if (c >= 0xD800 && c <= 0xDFFF) {
      c = combineSurrogates(src, i, n);
      if (c >= 0x10000) i++;
    }
    buf.pushScalar(c);
  }
  buf.pushByte(0x22);
}

/** `s` as a JSON string literal, e.g. quote("a\"b") == "\"a\\\"b\"". */
export function quote(s: string): string {
  const b = new ByteBuf(s.length + 2);
  writeQuoted(b, s);
  return decodeRaw(b.dataStart, <usize>b.length);
}

/** UTF-8 bytes of `s` as a JSON string literal. */
export function quoteBytes(s: string): Uint8Array {
  const b = new ByteBuf(s.length + 2);
  writeQuoted(b, s);
  return b.view();
}
