// A growable byte buffer (amortised O(1) appends), used by the JSON writer and
// available to apps that build binary values.

import { writeScalar } from "./utf8";

export class ByteBuf {
  private data: Uint8Array;
  private len: i32 = 0;

  constructor(capacity: i32 = 64) {
    this.data = new Uint8Array(capacity > 0 ? capacity : 16);
  }

  get length(): i32 {
    return this.len;
  }

  /** Address of the first byte (valid until the next append). */
  get dataStart(): usize {
    return this.data.dataStart;
  }

  /** Makes room for `extra` more bytes. */
  reserve(extra: i32): void {
    const need = this.len + extra;
    if (need < this.len) throw new Error("ByteBuf: length overflow");
    let cap = this.data.length;
    if (need <= cap) return;
    // double, but jump straight to the need (plus slack for closing bytes) for big appends
    const doubled = cap <= 0x20000000 ? cap << 1 : need;
    cap = doubled > need + 64 ? doubled : (need <= i32.MAX_VALUE - 64 ? need + 64 : need);
    const next = new Uint8Array(cap);
    memory.copy(next.dataStart, this.data.dataStart, <usize>this.len);
    this.data = next;
  }

  pushByte(b: u8): void {
    if (this.len == this.data.length) this.reserve(1);
    store<u8>(this.data.dataStart + <usize>this.len, b);
    this.len++;
  }

  pushRaw(ptr: usize, n: i32): void {
    if (n <= 0) return;
    this.reserve(n);
    memory.copy(this.data.dataStart + <usize>this.len, ptr, <usize>n);
    this.len += n;
  }

  pushBytes(b: Uint8Array): void {
    this.pushRaw(b.dataStart, b.length);
  }

  /** Appends a Unicode scalar value as UTF-8. */
  pushScalar(c: u32): void {
    this.reserve(4);
    this.len += <i32>writeScalar(this.data.dataStart + <usize>this.len, c);
  }

  /** Appends a u32, little-endian. */
  pushU32LE(v: u32): void {
    this.reserve(4);
    store<u32>(this.data.dataStart + <usize>this.len, v);
    this.len += 4;
  }

  /** Appends a u64, little-endian. */
  pushU64LE(v: u64): void {
    this.reserve(8);
    store<u64>(this.data.dataStart + <usize>this.len, v);
    this.len += 8;
  }

  /** Appends `s` as UTF-8 (unpaired surrogates become U+FFFD). */
  pushString(s: string): void {
    const n = s.length;
    const src = changetype<usize>(s);
    this.reserve(n * 3);
    for (let i = 0; i < n; i++) {
      let c = <u32>load<u16>(src + (<usize>i << 1));
      if (c >= 0xD800 && c <= 0xDFFF) {
        c = combineSurrogates(src, i, n);
        if (c >= 0x10000) i++;
      }
      this.pushScalar(c);
    }
  }

  clear(): void {
    this.len = 0;
  }

  /** A view of the written bytes (shares memory until the next append). */
  view(): Uint8Array {
    return this.data.subarray(0, this.len);
  }

  /** A copy of the written bytes. */
  toBytes(): Uint8Array {
    return this.data.slice(0, this.len);
  }
}

/**
 * At index `i` of the UTF-16 string at `src` (length `n`) there is a surrogate:
 * returns the combined scalar value for a valid pair (>= 0x10000), or U+FFFD.
 */
export function combineSurrogates(src: usize, i: i32, n: i32): u32 {
  const c = <u32>load<u16>(src + (<usize>i << 1));
  if (c <= 0xDBFF && i + 1 < n) {
    const d = <u32>load<u16>(src + (<usize>(i + 1) << 1));
    if (d >= 0xDC00 && d <= 0xDFFF) return 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
  }
  return 0xFFFD;
}
