// Streaming UTF-8 decoding that knows, in bytes, how far its output reaches.

/**
 * Bytes at the end of `tail` (the last 1–3 bytes of a stream, oldest first) that a WHATWG UTF-8
 * decoder holds back as the start of a character not yet complete. 0 when the stream ends on a
 * character boundary.
 */
export function incompleteTail(tail: ArrayLike<number>): number {
  const n = tail.length;
  for (let k = 1; k <= n && k <= 3; k++) {
    const lead = tail[n - k];
    if (lead >= 0x80 && lead <= 0xbf) continue; // continuation: the lead is further back
    const need = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (need <= k) return 0; // complete, or not a lead byte at all
    if (k >= 2) {
      const second = tail[n - k + 1];
      const lo = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
      const hi = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
      if (second < lo || second > hi) return 0; // already decoded as U+FFFD
    }
    return k;
  }
  return 0;
}

/**
 * TextDecoder in stream mode plus byte accounting: `through` is the stream position up to which
 * everything has come out as text (a character boundary); bytes past it are held for the next call.
 * Must start at a character boundary (`start`).
 */
export class Utf8Stream {
  // ignoreBOM keeps U+FEFF: a decoder started mid-stream must agree with one that ran from byte 0.
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private fed: number;
  private readonly last: number[] = [];

  constructor(start = 0) {
    this.fed = start;
  }

  /** Position just past the last byte fed. */
  get position(): number {
    return this.fed;
  }

  /** Position up to which the returned text reaches. */
  get through(): number {
    return this.fed - incompleteTail(this.last);
  }

  decode(chunk: Uint8Array): string {
    if (chunk.length === 0) return '';
    this.fed += chunk.length;
    if (chunk.length >= 3) {
      this.last.length = 0;
      this.last.push(chunk[chunk.length - 3], chunk[chunk.length - 2], chunk[chunk.length - 1]);
    } else {
      for (const b of chunk) this.last.push(b);
      if (this.last.length > 3) this.last.splice(0, this.last.length - 3);
    }
    return this.decoder.decode(chunk, { stream: true });
  }
}
