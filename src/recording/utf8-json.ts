// Byte-level JSON string encoding of terminal data: whole UTF-8 characters out of a chunked stream, escaped without a JS string in between.

import { isUtf8 } from 'node:buffer';

const EMPTY = Buffer.alloc(0);
const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Two-character escapes; other control bytes become \u00XX. */
const SHORT = new Uint8Array(256);
for (const [byte, ch] of [[8, 'b'], [9, 't'], [10, 'n'], [12, 'f'], [13, 'r'], [34, '"'], [92, '\\']] as const) {
  SHORT[byte] = ch.charCodeAt(0);
}

/** Most bytes one input byte can become in {@link escapeJsonBytes} output (`\u0000`). */
export const MAX_ESCAPE_EXPANSION = 6;

/**
 * Writes `src` (valid UTF-8) into `dst` at `at` as the inside of a JSON string, as JSON.stringify would
 * (control characters, `"` and `\` escaped; everything else, multibyte characters included, copied).
 * `dst` must have `src.length * 6` bytes free. Returns the new end offset.
 *
 * Decoding to a JS string, JSON.stringify and encoding back cost ~3x more for non-ASCII text and ~4x more
 * for NUL-heavy output (measured on Node 20), which is why this loop exists.
 */
export function escapeJsonBytes(src: Uint8Array, dst: Uint8Array, at: number): number {
  const n = src.length;
  let j = at;
  for (let i = 0; i < n; i++) {
    const c = src[i];
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) {
      dst[j++] = c;
      continue;
    }
    dst[j++] = 0x5c;
    const s = SHORT[c];
    if (s !== 0) {
      dst[j++] = s;
    } else {
      dst[j++] = 0x75;
      dst[j++] = 0x30;
      dst[j++] = 0x30;
      dst[j++] = HEX[c >> 4];
      dst[j++] = HEX[c & 15];
    }
  }
  return j;
}

/**
 * Encodes chunks of valid UTF-8 as JSON string contents, choosing per chunk the faster of two exact methods:
 * V8's JSON.stringify over the bytes read as latin1 (one char a byte, so bytes 0x80-0xFF pass through
 * unchanged and latin1 writes them back as they were) is fastest for text; {@link escapeJsonBytes} is ~3x
 * faster when most bytes need escaping (NULs, binary). The choice follows the previous chunk's expansion.
 */
export class JsonStringEncoder {
  private dense = false;

  /** Writes the encoding of `src` into `dst` at `at` (which must have `src.length * 6` bytes free); returns the new end. */
  encode(src: Buffer, dst: Buffer, at: number): number {
    let end: number;
    if (this.dense || src.length < 256) {
      end = escapeJsonBytes(src, dst, at);
    } else {
      const json = JSON.stringify(src.toString('latin1'));
      end = at + dst.write(json.slice(1, -1), at, 'latin1');
    }
    this.dense = end - at > src.length * 1.5;
    return end;
  }
}

/**
 * Cuts a byte stream into runs of whole, valid UTF-8: an unfinished sequence at the end of a chunk is held
 * back for the next one, and invalid bytes become U+FFFD exactly as a streaming WHATWG decoder would.
 */
export class Utf8Chunker {
  private carry: Buffer | null = null;

  /** Valid UTF-8 for `chunk` (and what was held back before it). May return `chunk` itself; never keeps it. */
  take(chunk: Buffer): Buffer {
    let b = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = null;
    const cut = unfinishedTail(b);
    if (cut < b.length) {
      this.carry = Buffer.from(b.subarray(cut));
      b = b.subarray(0, cut);
    }
    // Splitting before the last lead byte never changes the decoding: a lead byte always starts a new sequence.
    return isUtf8(b) ? b : Buffer.from(b.toString('utf8'), 'utf8');
  }

  /** What was held back, as U+FFFD (the stream ended inside a character). */
  end(): Buffer {
    const c = this.carry;
    this.carry = null;
    return c ? Buffer.from(c.toString('utf8'), 'utf8') : EMPTY;
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
