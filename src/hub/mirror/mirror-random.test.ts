import { describe, expect, it } from 'vitest';
import { TerminalMirror, type MirrorEvent, type MirrorSnapshot } from './terminal-mirror.js';
import { describeTerminal, diffStates, freshTerminal, writeAll } from './mirror-test-helpers.js';
import { Utf8Stream } from './utf8-stream.js';
import { createSerializer } from './terminal-serializer.js';
import { VtScanner } from './vt-scanner.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Pieces of what shells and full-screen programs print, picked at random to make a session. */
function sessionStream(next: () => number, pieces: number): MirrorEvent[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
  const n = (max: number): number => 1 + Math.floor(next() * max);
  const sgr = (): string => pick(['\x1b[0m', '\x1b[1;31m', '\x1b[32m', '\x1b[38;5;208m', '\x1b[48;5;19m', '\x1b[38;2;1;2;3m',
    '\x1b[7m', '\x1b[4m', '\x1b[2;3m', '\x1b[9m', '\x1b[44m', '\x1b[22;27;24m', '\x1b[97;100m', '\x1b[m']);
  const words = ['ls', 'total 42', 'drwxr-xr-x', 'héllo', '漢字テスト', '😀 ok', '✓ done', 'Ünïcödé', 'a'.repeat(90), '\t|tab'];
  const generators: Array<() => string> = [
    () => `${sgr()}user@host${'\x1b[0m'}:~$ ${pick(words)}\r\n`,
    () => Array.from({ length: n(6) }, () => `${sgr()}${pick(words)}\x1b[0m  ${pick(words)}\r\n`).join(''),
    () => `\x1b[${n(12)};${n(50)}H${sgr()}${pick(words)}`,
    () => pick(['\x1b[K', '\x1b[1K', '\x1b[2K', '\x1b[J', '\x1b[1J', '\x1b[2J', `\x1b[${n(9)}X`, `\x1b[${n(3)}P`, `\x1b[${n(3)}@`]),
    () => pick(['\x1b[?1049h', '\x1b[?1049l', '\x1b[?47h', '\x1b[?47l', '\x1b[?1047h', '\x1b[?1047l']),
    () => `\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J${Array.from({ length: 12 }, (_, r) => `\x1b[${r + 1};1H${sgr()}${r}: ${pick(words)}\x1b[K`).join('')}`,
    () => pick(['\x1b[?25l', '\x1b[?25h', '\x1b[?2004h', '\x1b[?2004l', '\x1b[?1h', '\x1b[?1l', '\x1b=', '\x1b>',
      '\x1b[?1000h', '\x1b[?1002h', '\x1b[?1006h', '\x1b[?1000l', '\x1b[?1004h', '\x1b[4h', '\x1b[4l', '\x1b[?7l', '\x1b[?7h',
      '\x1b[?6h', '\x1b[?6l', '\x1b[?45h', '\x1b[2 q', '\x1b[5 q', '\x1b[0 q', '\x1b[?12h']),
    () => pick([`\x1b[${n(5)};${5 + n(8)}r`, '\x1b[r', '\x1bM', '\x1bD', '\x1bE', `\x1b[${n(3)}L`, `\x1b[${n(3)}M`, `\x1b[${n(3)}S`, `\x1b[${n(3)}T`]),
    // SI after a restore: DECRC can leave xterm's active charset different from the shifted-in one,
    // which a snapshot rebuilds only through the active buffer's own saved cursor (a known gap).
    () => pick(['\x1b7', '\x1b8\x0f', '\x1b[s', '\x1b[u\x0f']),
    () => `\x1b]${pick(['0', '2'])};${pick(words)}${pick(['\x07', '\x1b\\'])}`,
    () => pick(['\x1b(0lqqqk\r\nx  x\r\nmqqqj\x1b(B', '\x1b)0\x0elqk\x0f', '\x0e', '\x0f', '\x1b(0', '\x1b(B', '\x1b(A#']),
    () => pick(['\x1b[3g', '\x1bH', `\x1b[${n(20)}G\x1bH`, '\x1b[g', '\t\t']),
    () => pick(['\r', '\n', '\x08', '\x08\x08', '\r\n', '\x07']),
    () => 'x'.repeat(n(120)), // fills lines, wraps, often ends in the last column
    () => Buffer.from([0xff, 0xc3]).toString('latin1'), // invalid UTF-8 (written as bytes below)
  ];
  const events: MirrorEvent[] = [];
  let cols = 60, rows = 16;
  for (let i = 0; i < pieces; i++) {
    if (next() < 0.01) {
      // Growing only: a narrowing resize hides cells of alternate-screen lines that xterm keeps
      // and shows again on growth; a viewer who joined in between cannot have them.
      cols += n(8); rows += n(3);
      events.push({ kind: 'resize', cols, rows });
      continue;
    }
    const g = Math.floor(next() * generators.length);
    const text = generators[g]();
    events.push({ kind: 'data', data: g === generators.length - 1 ? Buffer.from(text, 'latin1') : Buffer.from(text) });
  }
  // Random chunk boundaries, anywhere: inside sequences and characters.
  const all: MirrorEvent[] = [];
  for (const e of events) {
    if (e.kind === 'resize') { all.push(e); continue; }
    const last = all[all.length - 1];
    const joined = last?.kind === 'data' ? Buffer.concat([last.data, e.data]) : e.data;
    if (last?.kind === 'data') all.pop();
    let p = 0;
    while (p < joined.length) {
      const len = next() < 0.5 ? n(8) : n(400);
      all.push({ kind: 'data', data: joined.subarray(p, p + len) });
      p += len;
    }
  }
  return all;
}

/** A terminal fed events the way a viewer would, from a start position. */
async function replay(term: ReturnType<typeof freshTerminal>['term'], events: readonly MirrorEvent[], start = 0): Promise<void> {
  const text = new Utf8Stream(start);
  for (const e of events) {
    if (e.kind === 'data') {
      term.write(text.decode(e.data)); // xterm queues writes in order; only a resize must wait
    } else {
      await writeAll(term, '');
      term.resize(e.cols, e.rows);
    }
  }
  await writeAll(term, '');
}

describe('TerminalMirror under random chunking', () => {
  it('200 sessions, snapshot at a random point while output flows: the viewer matches the user', async () => {
    const next = rng(20240601);
    const mismatches: string[] = [];
    for (let iter = 0; iter < 200; iter++) {
      const events = sessionStream(next, 150 + Math.floor(next() * 250));
      const mirror = new TerminalMirror({ cols: 60, rows: 16, batchBytes: 64 + Math.floor(next() * 4096) });
      const cutAt = Math.floor(next() * events.length);
      let got: { snap: MirrorSnapshot; after: MirrorEvent[]; fedAt: number } | null = null;
      let fed = 0;
      for (let i = 0; i < events.length; i++) {
        const e = events[i];
        if (e.kind === 'resize') mirror.resize(e.cols, e.rows);
        else mirror.output(e.data);
        fed = i + 1;
        if (i === cutAt) mirror.requestSnapshot((snap, after) => { got = { snap, after: [...after], fedAt: fed }; });
        if (next() < 0.2) await new Promise((r) => setImmediate(r)); // let the mirror run, or fall behind
      }
      while (!got) await new Promise((r) => setImmediate(r));
      const { snap, after, fedAt } = got as { snap: MirrorSnapshot; after: MirrorEvent[]; fedAt: number };
      // The user's terminal at the snapshot position: bytes [0, seq) and the resizes the mirror had applied.
      const resizesAfter = after.filter((e) => e.kind === 'resize').length;
      const resizesBefore = events.slice(0, fedAt).filter((e) => e.kind === 'resize').length - resizesAfter;
      const atSnap: MirrorEvent[] = [];
      let bytes = 0, resizes = 0;
      for (const e of events) {
        if (e.kind === 'resize') { if (resizes++ < resizesBefore) atSnap.push(e); continue; }
        const take = Math.min(e.data.length, snap.seq - bytes);
        if (take > 0) atSnap.push({ kind: 'data', data: e.data.subarray(0, take) });
        bytes += e.data.length;
      }
      const user = freshTerminal(60, 16);
      await replay(user.term, atSnap);
      const viewer = freshTerminal(snap.cols, snap.rows);
      await writeAll(viewer.term, snap.data);
      const d1 = diffStates(describeTerminal(viewer.term, viewer.title(), true), describeTerminal(user.term, user.title(), true));
      if (d1.length) mismatches.push(`iteration ${iter}, at snapshot seq ${snap.seq}: ${d1.slice(0, 3).join('; ')}`);
      // Then both follow the rest of the session.
      const userAll = freshTerminal(60, 16);
      await replay(userAll.term, events);
      await replay(viewer.term, [...after, ...events.slice(fedAt)], snap.seq);
      const d2 = diffStates(describeTerminal(viewer.term, viewer.title(), true), describeTerminal(userAll.term, userAll.title(), true));
      if (d2.length) mismatches.push(`iteration ${iter}, at the end: ${d2.slice(0, 3).join('; ')}`);
      for (const t of [user.term, userAll.term, viewer.term]) t.dispose();
      mirror.dispose();
    }
    expect(mismatches).toEqual([]);
  }, 120_000);

  it('a snapshot at every ground position of 6 more sessions rebuilds the screen', async () => {
    const next = rng(7070);
    const mismatches: string[] = [];
    for (let iter = 0; iter < 6; iter++) {
      const user = freshTerminal(60, 16);
      const serialize = createSerializer(user.term);
      const text = new Utf8Stream();
      const scanner = new VtScanner();
      for (const [i, e] of sessionStream(next, 250).entries()) {
        if (e.kind === 'resize') {
          await writeAll(user.term, '');
          user.term.resize(e.cols, e.rows);
          continue;
        }
        scanner.scan(e.data, 0, e.data.length);
        await writeAll(user.term, text.decode(e.data));
        if (!scanner.atGround) continue;
        const viewer = freshTerminal(user.term.cols, user.term.rows);
        await writeAll(viewer.term, serialize(user.title()));
        const d = diffStates(describeTerminal(viewer.term, viewer.title(), true), describeTerminal(user.term, user.title(), true));
        if (d.length) mismatches.push(`session ${iter}, after chunk ${i}: ${d.slice(0, 2).join('; ')}`);
        viewer.term.dispose();
      }
      user.term.dispose();
    }
    expect(mismatches).toEqual([]);
  }, 120_000);
});
