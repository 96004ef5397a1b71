// UTF-8 helpers. AssemblyScript strings are UTF-16; the host wants valid UTF-8
// (it traps with BadUTF8 otherwise), so encoding replaces unpaired surrogates
// with U+FFFD and decoding validates strictly.

/** Encodes a string as UTF-8 (unpaired surrogates become U+FFFD). */
export function encode(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s, false, String.UTF8.ErrorMode.REPLACE));
}

/**
 * Length of the valid UTF-8 sequence at `ptr` (1..4), given `avail` readable
 * bytes, or 0 if the bytes there are not a valid, shortest-form scalar value.
 */
export function sequenceLength(ptr: usize, avail: usize): i32 {
  if (avail == 0) return 0;
  const b0 = <u32>load<u8>(ptr);
  if (b0 < 0x80) return 1;
  if (b0 < 0xC2) return 0; // continuation byte or overlong 2-byte lead
  if (b0 < 0xE0) {
    if (avail < 2) return 0;
    return isCont(load<u8>(ptr, 1)) ? 2 : 0;
  }
  if (b0 < 0xF0) {
    if (avail < 3) return 0;
    const b1 = <u32>load<u8>(ptr, 1);
    if (b0 == 0xE0) { if (b1 < 0xA0 || b1 > 0xBF) return 0; } // overlong
    else if (b0 == 0xED) { if (b1 < 0x80 || b1 > 0x9F) return 0; } // surrogates
    else if (!isCont(<u8>b1)) return 0;
    return isCont(load<u8>(ptr, 2)) ? 3 : 0;
  }
  if (b0 < 0xF5) {
    if (avail < 4) return 0;
    const b1 = <u32>load<u8>(ptr, 1);
    if (b0 == 0xF0) { if (b1 < 0x90 || b1 > 0xBF) return 0; } // overlong
    else if (b0 == 0xF4) { if (b1 < 0x80 || b1 > 0x8F) return 0; } // > U+10FFFF
    else if (!isCont(<u8>b1)) return 0;
    return isCont(load<u8>(ptr, 2)) && isCont(load<u8>(ptr, 3)) ? 4 : 0;
  }
  return 0;
}

// @ts-ignore: decorator
@inline
function isCont(b: u8): bool {
  return (b & 0xC0) == 0x80;
}

/** Byte offset of the first invalid UTF-8 sequence in [ptr, ptr+len), or -1 if valid. */
export function invalidOffset(ptr: usize, len: usize): isize {
  let off: usize = 0;
  while (off < len) {
    if (load<u8>(ptr + off) < 0x80) { off++; continue; }
    const n = sequenceLength(ptr + off, len - off);
    if (n == 0) return <isize>off;
    off += <usize>n;
  }
  return -1;
}

/** True if `bytes` is valid UTF-8. */
export function isValid(bytes: Uint8Array): bool {
  return invalidOffset(bytes.dataStart, <usize>bytes.length) < 0;
}

/** Decodes UTF-8 that the caller already knows to be valid. */
export function decodeRaw(ptr: usize, len: usize): string {
  return String.UTF8.decodeUnsafe(ptr, len, false);
}

/** Decodes UTF-8, or returns null if `bytes` is not valid UTF-8. */
export function tryDecode(bytes: Uint8Array): string | null {
  if (!isValid(bytes)) return null;
  return decodeRaw(bytes.dataStart, <usize>bytes.length);
}

/** Decodes UTF-8; invalid input is replaced sequence-by-sequence with U+FFFD. */
export function decodeLossy(bytes: Uint8Array): string {
  const ptr = bytes.dataStart;
  const len = <usize>bytes.length;
  if (invalidOffset(ptr, len) < 0) return decodeRaw(ptr, len);
  let out = "";
  let start: usize = 0;
  let off: usize = 0;
  while (off < len) {
    const n = sequenceLength(ptr + off, len - off);
    if (n == 0) {
      out += decodeRaw(ptr + start, off - start) + "\uFFFD";
      off++;
      start = off;
    } else {
      off += <usize>n;
    }
  }
  return out + decodeRaw(ptr + start, off - start);
}

/**
 * Writes `s` as UTF-8 into [dst, dst+cap) without allocating, stopping before
 * the first character that does not fit. Unpaired surrogates become U+FFFD.
 * Returns the number of bytes written. Used by the panic path, which must work
 * even when the allocator cannot.
 */
export function encodeInto(s: string, dst: usize, cap: usize): usize {
  const n = s.length;
  const src = changetype<usize>(s);
  let w: usize = 0;
  for (let i = 0; i < n; i++) {
    let c = <u32>load<u16>(src + (<usize>i << 1));
    if (c >= 0xD800 && c <= 0xDFFF) {
      if (c <= 0xDBFF && i + 1 < n) {
        const d = <u32>load<u16>(src + (<usize>(i + 1) << 1));
        if (d >= 0xDC00 && d <= 0xDFFF) {
          c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
          i++;
        } else {
          c = 0xFFFD;
        }
      } else {
        c = 0xFFFD;
      }
    }
    const need: usize = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (w + need > cap) break;
    writeScalar(dst + w, c);
    w += need;
  }
  return w;
}

/** Writes one Unicode scalar value as UTF-8 at `dst`; returns the byte count. */
export function writeScalar(dst: usize, c: u32): usize {
  if (c < 0x80) {
    store<u8>(dst, <u8>c);
    return 1;
  }
  if (c < 0x800) {
    store<u8>(dst, <u8>(0xC0 | (c >> 6)));
    store<u8>(dst, <u8>(0x80 | (c & 0x3F)), 1);
    return 2;
  }
  if (c < 0x10000) {
    store<u8>(dst, <u8>(0xE0 | (c >> 12)));
    store<u8>(dst, <u8>(0x80 | ((c >> 6) & 0x3F)), 1);
    store<u8>(dst, <u8>(0x80 | (c & 0x3F)), 2);
    return 3;
  }
  store<u8>(dst, <u8>(0xF0 | (c >> 18)));
  store<u8>(dst, <u8>(0x80 | ((c >> 12) & 0x3F)), 1);
  store<u8>(dst, <u8>(0x80 | ((c >> 6) & 0x3F)), 2);
  store<u8>(dst, <u8>(0x80 | (c & 0x3F)), 3);
  return 4;
}

/** Byte-wise comparison (the order of Rust's `String`/`Vec<u8>` and of UTF-8 text). */
export function compareBytes(a: Uint8Array, b: Uint8Array): i32 {
  const la = a.length;
  const lb = b.length;
  const n = la < lb ? la : lb;
  const r = memory.compare(a.dataStart, b.dataStart, <usize>n);
  if (r != 0) return r;
  return la < lb ? -1 : la > lb ? 1 : 0;
}

/** True if two byte arrays are equal. */
export function equalBytes(a: Uint8Array, b: Uint8Array): bool {
  return a.length == b.length && memory.compare(a.dataStart, b.dataStart, <usize>a.length) == 0;
}

/** Concatenates two byte arrays. */
export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  memory.copy(out.dataStart, a.dataStart, <usize>a.length);
  memory.copy(out.dataStart + <usize>a.length, b.dataStart, <usize>b.length);
  return out;
}
