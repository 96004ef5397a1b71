// Method arguments: the call input is a JSON object whose fields are the
// argument names (upstream `#[app::logic]` convention). `Args` reads typed
// fields and panics with a clear message naming the method and field:
//
//   const args = Args.parse("set");           // reads env.input()
//   const key = args.string("key");
//   const value = args.string("value");
//   args.done();                              // rejects unknown fields

import { input, panic } from "./env";
import { JsonValue, JsonKind, tryParse, kindName } from "./json";

export class Args {
  private used: Array<bool>;

  private constructor(private method: string, private obj: JsonValue) {
    this.used = new Array<bool>(obj.length);
    for (let i = 0; i < obj.length; i++) this.used[i] = false;
  }

  /** Parses the call input as the args object of `method`. */
  static parse(method: string): Args {
    return Args.fromBytes(method, input());
  }

  /** Parses `bytes` as the args object of `method`. */
  static fromBytes(method: string, bytes: Uint8Array): Args {
    if (isBlank(bytes)) {
      return panic<Args>(method + ": missing arguments: expected a JSON object");
    }
    const r = tryParse(bytes);
    if (!r.ok) {
      return panic<Args>(method + ": invalid args: malformed JSON: " + r.error! + " at byte " + r.offset.toString());
    }
    const v = r.value!;
    if (!v.isObject) {
      return panic<Args>(method + ": invalid args: expected a JSON object, got " + v.kindName);
    }
    return new Args(method, v);
  }

  /**
   * For methods without arguments. Like upstream, empty input, `{}` and
   * anything that is not a JSON object are accepted, while an object with
   * fields is rejected.
   */
  static none(method: string): void {
    Args.noneFromBytes(method, input());
  }

  static noneFromBytes(method: string, bytes: Uint8Array): void {
    if (isBlank(bytes)) return;
    const r = tryParse(bytes);
    if (!r.ok) return;
    const v = r.value!;
    if (v.isObject && v.length > 0) {
      panic(method + ": takes no arguments, but the call sent unknown field(s): " + v.keys().join(", "));
    }
  }

  /** The whole args object. */
  get value(): JsonValue {
    return this.obj;
  }

  private fail(msg: string): void {
    panic(this.method + ": invalid args: " + msg);
  }

  private lookup(name: string): JsonValue | null {
    const i = this.obj.indexOf(name);
    if (i < 0) return null;
    this.used[i] = true;
    return this.obj.at(i);
  }

  private required(name: string, kind: JsonKind): JsonValue {
    const v = this.lookup(name);
    if (v === null) {
      this.fail("missing field '" + name + "' (expected " + kindName(kind) + ")");
      return unreachable();
    }
    if (v.kind != kind) {
      this.fail("expected " + kindName(kind) + " field '" + name + "', got " + v.kindName);
    }
    return v;
  }

  private optional(name: string, kind: JsonKind): JsonValue | null {
    const v = this.lookup(name);
    if (v === null || v.isNull) return null;
    if (v.kind != kind) {
      this.fail("expected " + kindName(kind) + " or null field '" + name + "', got " + v.kindName);
    }
    return v;
  }

  /** True if the field is present (even if null). */
  has(name: string): bool {
    return this.obj.has(name);
  }

  string(name: string): string {
    return this.required(name, JsonKind.String).asString();
  }

  /**
   * A string field's UTF-8 bytes, without decoding to a UTF-16 string: use for
   * large values headed for storage. A read-only view into the input.
   */
  stringBytes(name: string): Uint8Array {
    return this.required(name, JsonKind.String).asUtf8();
  }

  /** Missing or null → null. */
  optionalString(name: string): string | null {
    const v = this.optional(name, JsonKind.String);
    return v === null ? null : v.asString();
  }

  bool(name: string): bool {
    return this.required(name, JsonKind.Bool).asBool();
  }

  f64(name: string): f64 {
    return this.required(name, JsonKind.Number).asF64();
  }

  i64(name: string): i64 {
    const v = this.required(name, JsonKind.Number);
    if (!v.isI64) this.fail("expected integer field '" + name + "' (i64), got " + v.asNumberText());
    return v.asI64();
  }

  u64(name: string): u64 {
    const v = this.required(name, JsonKind.Number);
    if (!v.isU64) this.fail("expected non-negative integer field '" + name + "' (u64), got " + v.asNumberText());
    return v.asU64();
  }

  i32(name: string): i32 {
    const n = this.i64(name);
    if (n < <i64>i32.MIN_VALUE || n > <i64>i32.MAX_VALUE) {
      this.fail("field '" + name + "' is out of i32 range: " + n.toString());
    }
    return <i32>n;
  }

  object(name: string): JsonValue {
    return this.required(name, JsonKind.Object);
  }

  array(name: string): JsonValue {
    return this.required(name, JsonKind.Array);
  }

  /** Any JSON value (required; null is allowed). */
  any(name: string): JsonValue {
    const v = this.lookup(name);
    if (v === null) {
      this.fail("missing field '" + name + "'");
      return unreachable();
    }
    return v;
  }

  /** Rejects fields that no getter asked for (upstream: deny_unknown_fields). */
  done(): void {
    for (let i = 0; i < this.used.length; i++) {
      if (!this.used[i]) this.fail("unknown field '" + this.obj.keyAt(i) + "'");
    }
  }
}

function isBlank(bytes: Uint8Array): bool {
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c != 0x20 && c != 0x0A && c != 0x0D && c != 0x09) return false;
  }
  return true;
}
