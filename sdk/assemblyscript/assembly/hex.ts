// Lowercase hex encoding for ids in JSON.

import { panic } from "./env";

const DIGITS = "0123456789abcdef";

export function encode(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) {
    s += DIGITS.charAt(bytes[i] >> 4) + DIGITS.charAt(bytes[i] & 15);
  }
  return s;
}

function nibble(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Decodes hex; panics with `what` on bad input. */
export function decode(s: string, what: string = "hex"): Uint8Array {
  if (s.length % 2 != 0) return panic<Uint8Array>(what + ": odd-length hex");
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(s.charCodeAt(2 * i));
    const lo = nibble(s.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return panic<Uint8Array>(what + ": invalid hex digit");
    out[i] = <u8>((hi << 4) | lo);
  }
  return out;
}
