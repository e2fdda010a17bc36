import { describe, expect, it } from 'vitest';
import { VtScanner } from './vt-scanner.js';
import { SkipReplay } from './skip-replay.js';
import { incompleteTail } from './utf8-stream.js';
import { freshTerminal, writeAll } from './mirror-test-helpers.js';

/** A small deterministic PRNG so failures can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const FRAGMENTS: Array<string | number[]> = [
  'text', ' ', 'a', '\x1b', '[', '?', '1', '2', ';', ':', '0', 'h', 'l', 'm', 'H', ' q', '!', '"', '$', '>', '<',
  ']', '0;title', '\x07', '\\', 'P', 'X', '^', '_', '(', ')', '0', 'B', '\r\n', '\t', '\x0e', '\x0f', '\x18', '\x1a',
  '\x7f', '\x00', 'é', '✓', '😀', '漢', 'plain text '.repeat(6), 'héllo wörld ✓ 漢字 😀 '.repeat(3),
  [0xc2, 0x9b], [0xc2, 0x9d], [0xc2, 0x90], [0xc2, 0x9c], [0xc2, 0x98], [0xc2, 0x85], // C1 controls as UTF-8
  [0xe2], [0xe2, 0x9c], [0xf0, 0x9f], [0xf0, 0x9f, 0x98], [0x80], [0xbf], [0xff], [0xc0, 0xaf], [0xe0, 0x80], [0xed, 0xa0, 0x80],
];

function randomStream(next: () => number, length: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < length; i++) {
    const f = FRAGMENTS[Math.floor(next() * FRAGMENTS.length)];
    parts.push(typeof f === 'string' ? Buffer.from(f) : Buffer.from(f));
  }
  return Buffer.concat(parts);
}

interface ParserCore { _core: { _inputHandler: { _parser: { currentState: number } } } }

describe('VtScanner', () => {
  it('agrees with xterm.js on the parser state after every chunk of hostile input', async () => {
    const next = rng(7);
    for (let round = 0; round < 40; round++) {
      const stream = randomStream(next, 300);
      const { term } = freshTerminal(40, 10);
      const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
      const scanner = new VtScanner();
      let pos = 0;
      while (pos < stream.length) {
        const end = Math.min(stream.length, pos + 1 + Math.floor(next() * (next() < 0.5 ? 12 : 160)));
        const chunk = stream.subarray(pos, end);
        const lastGround = scanner.scan(chunk, 0, chunk.length);
        await writeAll(term, decoder.decode(chunk, { stream: true }));
        const xtermState = (term as unknown as ParserCore)._core._inputHandler._parser.currentState;
        const where = `round ${round}, bytes ${JSON.stringify(stream.subarray(0, end).toString('latin1'))}`;
        expect(scanner.parserState, where).toBe(xtermState);
        const held = incompleteTail(stream.subarray(Math.max(0, end - 3), end));
        expect(scanner.atGround, where).toBe(xtermState === 0 && held === 0);
        if (scanner.atGround) expect(lastGround, where).toBe(chunk.length);
        // A ground position inside the chunk must be a character boundary too.
        if (lastGround > 0) expect(incompleteTail(stream.subarray(Math.max(0, pos + lastGround - 3), pos + lastGround)), where).toBe(0);
        pos = end;
      }
      term.dispose();
    }
  });
});

describe('SkipReplay', () => {
  it('keeps what later output depends on from skipped bytes, last value first', () => {
    const replay = new SkipReplay();
    const b = Buffer.from('\x1b[?1049h\x1b[Hxx\x1b[?25l\x1b[?2004h\x1b[2;20r\x1b[1;31mA\x1b[4m\x1b(0\x0e' +
      '\x1b]0;héllo\x07\x1b[5 q\x1b=\x1b[?25h\x1b[4h\x1b[?1049l\x1b[?1049h');
    replay.scan(b, 0, b.length, 0);
    expect(replay.replay()).toBe('\x1b[?1049h\x1b[?2004h\x1b[?25h\x1b[4h\x1b[2;20r\x1b[0m\x1b[4m\x1b(0\x0e\x1b=\x1b[5 q\x1b]2;héllo\x07');
  });

  it('forgets captured state at a full reset, and orders shifts across chunks', () => {
    const replay = new SkipReplay();
    const a = Buffer.from('\x1b[?25l\x0e\x1b]2;x\x1b\\\x1bc\x1b[?1h');
    replay.scan(a, 0, a.length, 0);
    const b = Buffer.from('\x1bn text \x0f more');
    replay.scan(b, 0, b.length, a.length);
    expect(replay.replay()).toBe('\x1bc\x1b[?1h\x0f');
  });
});

describe('incompleteTail', () => {
  it('matches what TextDecoder holds back', () => {
    const next = rng(11);
    for (let i = 0; i < 2000; i++) {
      const bytes = randomStream(next, 4);
      const streamed = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes, { stream: true });
      const held = incompleteTail(bytes.subarray(Math.max(0, bytes.length - 3)));
      const whole = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes.subarray(0, bytes.length - held));
      expect(streamed, JSON.stringify([...bytes])).toBe(whole);
    }
  });
});
