import { describe, expect, it } from 'vitest';
import { escapeJsonBytes, MAX_ESCAPE_EXPANSION, Utf8Chunker } from './utf8-json.js';

/** What JSON.stringify makes of the bytes as a TextDecoder decodes them, without the quotes. */
function reference(bytes: Uint8Array): string {
  return JSON.stringify(new TextDecoder().decode(bytes)).slice(1, -1);
}
function random(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 8;
  return b;
}
function escaped(src: Uint8Array, at = 0): string {
  const dst = Buffer.alloc(at + src.length * MAX_ESCAPE_EXPANSION);
  dst.write('AB');
  return dst.subarray(at, escapeJsonBytes(src, dst, at)).toString('utf8');
}
/** A stream cut into chunks of 1..11 bytes, through a chunker and escapeJsonBytes, as the writer does. */
function streamed(stream: Buffer, seed: number): string {
  const chunker = new Utf8Chunker();
  const out: string[] = [];
  let step = seed;
  for (let i = 0; i < stream.length; ) {
    step = (step * 7 + 3) % 11;
    out.push(escaped(chunker.take(stream.subarray(i, i + 1 + step))));
    i += 1 + step;
  }
  out.push(escaped(chunker.end()));
  return out.join('');
}

describe('escapeJsonBytes', () => {
  it('encodes every ASCII byte and multibyte text exactly as JSON.stringify', () => {
    const all = Buffer.from(Array.from({ length: 128 }, (_, i) => i));
    const text = Buffer.from('caf\u00e9 \u2713 \u65e5\u672c \ud83d\ude00 \u2028 "q" \\ \x7f', 'utf8');
    for (const src of [all, text, Buffer.concat([text, all, text])]) expect(escaped(src, 2)).toBe(reference(src));
  });

  it('decodes invalid UTF-8 as TextDecoder does: one U+FFFD per maximal invalid subpart', () => {
    const cases = [
      [0xff], [0x80], [0xc0, 0x80], [0xc1, 0xbf], [0xc3], [0xe2, 0x9c], [0xe2, 0x41], [0xe0, 0x80, 0x80], [0xe0, 0xa0],
      [0xed, 0xa0, 0x80], [0xed, 0x9f, 0xbf], [0xf0, 0x80, 0x80, 0x80], [0xf0, 0x90, 0x80], [0xf4, 0x90, 0x80, 0x80],
      [0xf4, 0x8f, 0xbf, 0xbf], [0xf5, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x9c, 0x93, 0xe2], [0x22, 0xfe, 0x00, 0x5c],
    ];
    for (const c of cases) {
      for (const src of [Buffer.from(c), Buffer.from([0x61, ...c, 0x62, 0x63, 0x64, 0x65, 0x66])]) expect(escaped(src), c.join(' ')).toBe(reference(src));
    }
  });

  it('matches JSON.stringify of TextDecoder output on random bytes, mixed text and NULs', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const parts = [random(500 + seed * 13, seed), Buffer.from('\x1b[1ma\u00e9\u2713\ud83d\ude00 "x"\r\n'.repeat(seed), 'utf8'), Buffer.alloc(seed * 3)];
      const src = Buffer.concat(seed % 2 ? parts : parts.reverse());
      // At an odd offset of a larger buffer too: the fast path reads four bytes at a time.
      const inside = Buffer.concat([Buffer.from('xyz'), src]).subarray(3);
      expect(escaped(src)).toBe(reference(src));
      expect(escaped(inside, 1)).toBe(reference(src));
    }
  });

  it('gives the same bytes for valid text on the fast path and on the decoding path', () => {
    const text = Buffer.from('\x1b[1mcaf\u00e9\x1b[0m \u2713 "x" \\ \t\r\n\u65e5\u672c\ud83d\ude00'.repeat(400), 'utf8');
    // One invalid byte at the end sends the whole buffer down the decoding path.
    expect(escaped(Buffer.concat([text, Buffer.from([0xff])]))).toBe(escaped(text) + '\ufffd');
    expect(escaped(Buffer.concat([Buffer.from([0xff]), text]))).toBe('\ufffd' + escaped(text));
  });
});

describe('Utf8Chunker with escapeJsonBytes', () => {
  it('encodes a byte stream cut anywhere exactly as a streaming TextDecoder decodes it', () => {
    for (let seed = 1; seed <= 20; seed++) {
      // Mostly valid multibyte text with invalid bytes mixed in.
      const parts = [Buffer.from('a\u00e9\u2713\ud83d\ude00'.repeat(50), 'utf8'), random(300, seed), Buffer.from('\u65e5\u672c', 'utf8')];
      const stream = Buffer.concat(seed % 2 ? parts : parts.reverse());
      expect(streamed(stream, seed)).toBe(reference(stream));
    }
  });

  it('holds back a character cut by the chunk end, and turns one cut by the stream end into U+FFFD', () => {
    const c = new Utf8Chunker();
    expect(c.take(Buffer.from([0x61, 0xe2, 0x9c])).toString()).toBe('a');
    expect(c.take(Buffer.from([0x93])).toString()).toBe('\u2713');
    expect(c.take(Buffer.from([0xf0, 0x9f])).length).toBe(0);
    expect(escaped(c.end())).toBe('\ufffd');
    expect(c.end().length).toBe(0);
  });
});
