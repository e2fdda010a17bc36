// Byte-level JSON string encoding of terminal data: whole UTF-8 characters out of a chunked stream, escaped without a JS string in between.
//
// Format contract (asciicast is JSON text, so it can only hold valid Unicode): the data of an event is the
// stream decoded as a WHATWG TextDecoder (fatal: false) decodes it. Each invalid byte sequence becomes one
// U+FFFD (the "maximal subpart" rule), valid characters pass through unchanged, and the result is escaped as
// JSON.stringify escapes it. The original bytes of invalid sequences are not kept: a player could not show
// them anyway, and the recording stays readable by every asciicast tool.

import { isUtf8 } from 'node:buffer';

const EMPTY = Buffer.alloc(0);
const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Two-character escapes; other control bytes become \u00XX. */
const SHORT = new Uint8Array(256);
for (const [byte, ch] of [[8, 'b'], [9, 't'], [10, 'n'], [12, 'f'], [13, 'r'], [34, '"'], [92, '\\']] as const) {
  SHORT[byte] = ch.charCodeAt(0);
}
/**
 * What a byte starts, for the decoding loop: 0 a byte copied as is, 1 an ASCII byte JSON escapes,
 * 2..8 a lead byte (2: C2-DF, 3: E0, 4: E1-EC and EE-EF, 5: ED, 6: F0, 7: F1-F3, 8: F4), 9 never valid here.
 */
const CLASS = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  CLASS[b] =
    b < 0x20 || b === 0x22 || b === 0x5c ? 1
    : b < 0x80 ? 0
    : b < 0xc2 ? 9
    : b < 0xe0 ? 2
    : b === 0xe0 ? 3
    : b === 0xed ? 5
    : b < 0xf0 ? 4
    : b === 0xf0 ? 6
    : b < 0xf4 ? 7
    : b === 0xf4 ? 8
    : 9;
}

/** 0xff for a byte copied as is (CLASS 0), else 0: `(run + 1) & PLAIN[c]` counts a run of such bytes. */
const PLAIN = CLASS.map((k) => (k === 0 ? 0xff : 0));

/** Most bytes one input byte can become in {@link escapeJsonBytes} output (`\u0000`). */
export const MAX_ESCAPE_EXPANSION = 6;

/**
 * Writes `src` (any bytes) into `dst` at `at` as the inside of a JSON string: what JSON.stringify would make of
 * `new TextDecoder().decode(src)`, without the quotes. `dst` must have `src.length * 6` bytes free. Returns the
 * new end offset. A sequence cut by the end of `src` becomes one U+FFFD (end of stream); cut a stream with
 * {@link Utf8Chunker} first so that this happens only at its real end.
 *
 * Valid UTF-8 (checked natively, ~10 GB/s) takes the fast path, four bytes at a time; other input takes one
 * pass that decodes, replaces and escapes together. No native call does that pass: V8's own UTF-8 decoder runs
 * at ~60 MB/s on random bytes before any escaping. Against the previous encoder (JSON.stringify of the bytes
 * as latin1 for text; decoding to a JS string and back for invalid input), measured in CPU time on Node 20:
 * ~2x for text, ~1.4x for NULs, ~5x for random binary (bench/recording-writer.ts).
 */
export function escapeJsonBytes(src: Uint8Array, dst: Uint8Array, at: number): number {
  return isUtf8(src) ? escapeValid(src, dst, at) : decodeAndEscape(src, dst, at);
}

/**
 * What each byte becomes, as up to six bytes written at once (a little-endian 32-bit and 16-bit word), and how
 * many of them count: itself, a JSON escape, or (decoding table only) U+FFFD. Writing six bytes whatever the
 * length keeps the per-byte path free of branches that random data would mispredict; it stays inside the
 * caller's room because every input byte has six bytes reserved and no byte ever takes more.
 */
interface ByteTable {
  lo: Uint32Array;
  hi: Uint16Array;
  /** 0 (decoding table only): a lead byte, decoded with the bytes after it. */
  len: Uint8Array;
}

/** A table of `size` entries; entry `i` is for byte `i & 0xff`, and `highByte` says what a byte from 0x80 up becomes. */
function byteTable(size: number, highByte: (b: number, i: number) => number[]): ByteTable {
  const t: ByteTable = { lo: new Uint32Array(size), hi: new Uint16Array(size), len: new Uint8Array(size) };
  for (let i = 0; i < size; i++) {
    const b = i & 0xff;
    const out = b >= 0x80 ? highByte(b, i) : CLASS[b] === 0 ? [b] : SHORT[b] !== 0 ? [0x5c, SHORT[b]] : [0x5c, 0x75, 0x30, 0x30, HEX[b >> 4], HEX[b & 15]];
    const six = [...out, 0, 0, 0, 0, 0, 0];
    t.lo[i] = (six[0] | (six[1] << 8) | (six[2] << 16) | (six[3] << 24)) >>> 0;
    t.hi[i] = six[4] | (six[5] << 8);
    t.len[i] = out.length;
  }
  return t;
}
const FFFD = [0xef, 0xbf, 0xbd];
/** For valid UTF-8: bytes from 0x80 up are copied. */
const VALID = byteTable(256, (b) => [b]);
/**
 * For any input, indexed by the byte plus 256 when the next byte is a continuation byte (80-BF): a lead byte
 * (C2-F4) followed by one is marked 0 (decoded with what follows); any other byte from 0x80 up is invalid on
 * its own (U+FFFD). Only the 0 entries leave the branch-free path: about 5% of random bytes.
 */
const DECODE = byteTable(512, (b, i) => (CLASS[b] !== 9 && i >= 256 ? [] : FFFD));

/** A 32-bit word has a byte below 0x20, `"` or `\` (exact as a yes/no: borrows only add false hits above a true one). */
function hasEscape(w: number): boolean {
  const q = w ^ 0x22222222;
  const s = w ^ 0x5c5c5c5c;
  return ((((w - 0x20202020) & ~w) | ((q - 0x01010101) & ~q) | ((s - 0x01010101) & ~s)) & 0x80808080) !== 0;
}

/** Bounds-checked views of exactly `src` and `dst`: a bad offset throws rather than writes over a neighbour. */
function views(src: Uint8Array, dst: Uint8Array, at: number): [DataView, DataView] {
  if (!(at >= 0 && dst.length - at >= src.length * MAX_ESCAPE_EXPANSION)) throw new RangeError('escapeJsonBytes: dst has too little room');
  return [new DataView(src.buffer, src.byteOffset, src.length), new DataView(dst.buffer, dst.byteOffset, dst.length)];
}

/** {@link escapeJsonBytes} for valid UTF-8: every byte but ASCII controls, `"` and `\` is copied. */
function escapeValid(src: Uint8Array, dst: Uint8Array, at: number): number {
  const [sv, dv] = views(src, dst, at);
  const { lo, hi, len } = VALID;
  const n = src.length;
  let i = 0;
  let j = at;
  while (i < n) {
    if (i + 4 <= n) {
      const w = sv.getUint32(i, true);
      if (!hasEscape(w)) {
        dv.setUint32(j, w, true);
        i += 4;
        j += 4;
        continue;
      }
    }
    // A word that needs an escape, or the last bytes: byte by byte.
    for (const stop = Math.min(i + 4, n); i < stop; i++) {
      const c = src[i];
      dv.setUint32(j, lo[c], true);
      dv.setUint16(j + 4, hi[c], true);
      j += len[c];
    }
  }
  return j;
}

/** {@link escapeJsonBytes} for input with invalid sequences: decodes as the WHATWG UTF-8 decoder does. */
function decodeAndEscape(src: Uint8Array, dst: Uint8Array, at: number): number {
  const [sv, dv] = views(src, dst, at);
  const { lo, hi, len } = DECODE;
  const n = src.length;
  let i = 0;
  let j = at;
  while (i < n) {
    if (i + 4 <= n) {
      const w = sv.getUint32(i, true);
      if ((w & 0x80808080) === 0 && !hasEscape(w)) {
        dv.setUint32(j, w, true);
        i += 4;
        j += 4;
        continue;
      }
    }
    // Byte by byte until four plain ASCII bytes in a row make words worth trying again (rarely, in random data).
    for (let plain = 0; plain < 4 && i < n; ) {
      // Arithmetic rather than conditions where random data would make branches unpredictable.
      const c = src[i];
      const next = i + 1 < n ? src[i + 1] : 0;
      const e = c | (((((next & 0xc0) ^ 0x80) - 1) >>> 31) << 8);
      const l = len[e];
      if (l !== 0) {
        dv.setUint32(j, lo[e], true);
        dv.setUint16(j + 4, hi[e], true);
        j += l;
        i++;
        plain = (plain + 1) & PLAIN[c];
        continue;
      }
      plain = 0;
      // A lead byte: its continuation bytes, the first of them in a narrower range after E0, ED, F0 and F4.
      const k = CLASS[c];
      const need = k === 2 ? 1 : k <= 5 ? 2 : 3;
      const b1 = i + 1 < n ? src[i + 1] : 0;
      if (b1 < (k === 3 ? 0xa0 : k === 6 ? 0x90 : 0x80) || b1 > (k === 5 ? 0x9f : k === 8 ? 0x8f : 0xbf)) {
        // Its first continuation is wrong (or missing): one U+FFFD for this byte alone.
        j = replacement(dst, j);
        i++;
        continue;
      }
      let m = 2;
      while (m <= need && i + m < n && (src[i + m] & 0xc0) === 0x80) m++;
      if (m <= need) {
        // The longest valid prefix (cut by a wrong byte or the end) is one U+FFFD; the wrong byte is read again.
        j = replacement(dst, j);
        i += m;
        continue;
      }
      for (const e = i + need; i <= e; i++) dst[j++] = src[i];
    }
  }
  return j;
}

/** U+FFFD in UTF-8. */
function replacement(dst: Uint8Array, j: number): number {
  dst[j] = 0xef;
  dst[j + 1] = 0xbf;
  dst[j + 2] = 0xbd;
  return j + 3;
}

/**
 * Cuts a byte stream where no character is split: an unfinished multibyte sequence at the end of a chunk is
 * held back for the next one. The bytes are not validated here; {@link escapeJsonBytes} replaces invalid ones.
 */
export class Utf8Chunker {
  private carry: Buffer | null = null;

  /** `chunk` (after what was held back) up to its last whole character. May return `chunk` itself; never keeps it. */
  take(chunk: Buffer): Buffer {
    let b = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = null;
    const cut = unfinishedTail(b);
    if (cut < b.length) {
      this.carry = Buffer.from(b.subarray(cut));
      b = b.subarray(0, cut);
    }
    // Cutting before the last lead byte never changes the decoding: a lead byte always starts a new sequence.
    return b;
  }

  /** What was held back (the stream ended inside a character): {@link escapeJsonBytes} turns it into U+FFFD. */
  end(): Buffer {
    const c = this.carry;
    this.carry = null;
    return c ?? EMPTY;
  }
}

/** Offset where an unfinished multibyte sequence starts at the end of `b`, or `b.length` if there is none. */
function unfinishedTail(b: Buffer): number {
  const n = b.length;
  for (let i = n - 1; i >= 0 && i >= n - 3; i--) {
    const c = b[i];
    if (c < 0x80) return n;
    if (c >= 0xc0) {
      if (c >= 0xf8) return n;
      const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
      return i + need > n ? i : n;
    }
  }
  return n;
}
