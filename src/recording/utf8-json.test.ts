import { describe, expect, it } from 'vitest';
import { escapeJsonBytes, JsonStringEncoder, Utf8Chunker } from './utf8-json.js';

/** What JSON.stringify makes of the same text, without the quotes. */
function reference(bytes: Buffer): string {
  return JSON.stringify(bytes.toString('utf8')).slice(1, -1);
}
function random(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 8;
  return b;
}

describe('escapeJsonBytes and JsonStringEncoder', () => {
  it('encode every ASCII byte and multibyte text exactly as JSON.stringify', () => {
    const all = Buffer.from(Array.from({ length: 128 }, (_, i) => i));
    const text = Buffer.from('caf\u00e9 \u2713 \u65e5\u672c \ud83d\ude00 \u2028 "q" \\ \x7f', 'utf8');
    for (const src of [all, text]) {
      const dst = Buffer.alloc(src.length * 6);
      expect(dst.subarray(0, escapeJsonBytes(src, dst, 0)).toString('utf8')).toBe(reference(src));
    }
  });

  it('gives the same bytes on the text path and on the dense (binary) path', () => {
    const text = Buffer.from('\x1b[1mcaf\u00e9\x1b[0m \u2713 "x" \\ \t\r\n'.repeat(400), 'utf8');
    const binary = Buffer.from(random(20_000, 7).toString('utf8'), 'utf8'); // valid UTF-8, many control chars
    const enc = new JsonStringEncoder();
    for (const src of [text, binary, text, Buffer.alloc(5000), text]) {
      const dst = Buffer.alloc(src.length * 6 + 10);
      dst.write('AB');
      const end = enc.encode(src, dst, 2);
      expect(dst.subarray(2, end).toString('utf8')).toBe(reference(src));
    }
  });
});

describe('Utf8Chunker', () => {
  it('decodes a byte stream cut anywhere exactly as a streaming TextDecoder', () => {
    for (let seed = 1; seed <= 20; seed++) {
      // Mostly valid multibyte text with invalid bytes mixed in.
      const parts = [Buffer.from('a\u00e9\u2713\ud83d\ude00'.repeat(50), 'utf8'), random(300, seed), Buffer.from('\u65e5\u672c', 'utf8')];
      const stream = Buffer.concat(seed % 2 ? parts : parts.reverse());
      const chunker = new Utf8Chunker();
      const out: Buffer[] = [];
      let i = 0;
      let step = seed;
      while (i < stream.length) {
        step = (step * 7 + 3) % 11;
        out.push(Buffer.from(chunker.take(stream.subarray(i, i + 1 + step))));
        i += 1 + step;
      }
      out.push(chunker.end());
      const got = Buffer.concat(out);
      expect(got.toString('utf8')).toBe(new TextDecoder().decode(stream));
      expect(Buffer.from(got.toString('utf8'), 'utf8').equals(got)).toBe(true); // valid UTF-8
    }
  });

  it('turns a sequence cut by the end of the stream into U+FFFD', () => {
    const c = new Utf8Chunker();
    expect(c.take(Buffer.from([0x61, 0xe2, 0x9c])).toString()).toBe('a');
    expect(c.end().toString()).toBe('\ufffd');
  });
});
