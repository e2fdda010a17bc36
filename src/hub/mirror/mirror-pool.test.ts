import { afterEach, describe, expect, it } from 'vitest';
import xtermHeadless from '@xterm/headless';
import type { Worker } from 'node:worker_threads';
import { LiveStream, type LiveStreamMessage } from '../live-stream.js';
import { startWorker } from '../../recording/worker-launch.js';
import { MirrorPool } from './mirror-pool.js';

const { Terminal } = xtermHeadless;
type Term = InstanceType<typeof Terminal>;

const write = (term: Term, data: string | Uint8Array) => new Promise<void>((resolve) => term.write(data, resolve));

function screen(term: Term): string {
  const b = term.buffer.active;
  const lines: string[] = [];
  for (let y = 0; y < term.rows; y++) lines.push(b.getLine(b.baseY + y)?.translateToString(true) ?? '');
  return `${b.type}|${term.cols}x${term.rows}|${b.cursorX},${b.cursorY}|${lines.join('\n')}`;
}

/** A viewer rendering what it receives, like the console; it records gaps and duplicates in the byte stream. */
function viewer() {
  const term = new Terminal({ cols: 80, rows: 24, allowProposedApi: true });
  const messages: LiveStreamMessage[] = [];
  const errors: string[] = [];
  let chain = Promise.resolve();
  let expected = -1;
  let snapshotSeen: () => void = () => undefined;
  const snapshot = new Promise<void>((r) => (snapshotSeen = r));
  const v = {
    send(msg: LiveStreamMessage): boolean {
      messages.push(msg);
      if (msg.type === 'snapshot') {
        expected = msg.seq;
        chain = chain.then(() => {
          term.reset();
          term.resize(msg.cols, msg.rows);
          return write(term, msg.data);
        });
        snapshotSeen();
      } else if (msg.type === 'output') {
        if (msg.seq !== expected) errors.push(`expected seq ${expected}, got ${msg.seq}`);
        expected = msg.seq + Buffer.byteLength(msg.data);
        chain = chain.then(() => write(term, msg.data));
      } else if (msg.type === 'resize') {
        chain = chain.then(() => term.resize(msg.cols, msg.rows));
      }
      return true;
    },
  };
  return { term, messages, errors, viewer: v, snapshot, settled: () => chain };
}

/** A session's stream on the pool, with a reference terminal fed the same output. */
function session(pool: MirrorPool) {
  const stream = new LiveStream({ cols: 80, rows: 24, source: pool.create(80, 24) });
  const reference = new Terminal({ cols: 80, rows: 24, allowProposedApi: true });
  let chain = Promise.resolve();
  return {
    stream,
    reference,
    out(s: string | Buffer) {
      stream.output(Buffer.from(s));
      // Bytes, so that a character split across chunks is joined as the terminal joins it.
      chain = chain.then(() => write(reference, typeof s === 'string' ? s : new Uint8Array(s)));
    },
    resize(cols: number, rows: number) {
      stream.resize(cols, rows);
      chain = chain.then(() => reference.resize(cols, rows));
    },
    settled: () => chain,
  };
}

let pool: MirrorPool | null = null;
afterEach(async () => {
  await pool?.close();
  pool = null;
});

describe('MirrorPool (live mirrors on a worker thread)', () => {
  it('viewers joining late see the exact current screen of their own session, then every later byte once', async () => {
    pool = new MirrorPool();
    const a = session(pool);
    const b = session(pool);
    a.out('\x1b[1;31mred prompt\x1b[0m $ ls\r\nfile-a  file-b\r\n');
    b.out('\x1b[?1049h\x1b[2J\x1b[5;10H\x1b[44mfull screen \u00e9\u20ac\x1b[0m');
    for (let i = 0; i < 2000; i++) a.out(`line ${i} \x1b[3${i % 8}mcolour\x1b[0m\r\n`);
    const va = viewer();
    const vb = viewer();
    a.stream.subscribe(va.viewer);
    b.stream.subscribe(vb.viewer);
    // Output while the snapshot requests travel to the worker and back, a resize and a character split across chunks.
    a.out('\x1b[10;1Hmore after joining');
    a.resize(100, 30);
    const euro = Buffer.from('\u20ac');
    b.out(euro.subarray(0, 1));
    b.out(euro.subarray(1));
    await Promise.all([va.snapshot, vb.snapshot]);
    a.out('\r\nafter the snapshot');
    b.out('\x1b[2;2Hafter');
    await Promise.all([va.settled(), vb.settled(), a.settled(), b.settled()]);
    expect(va.errors).toEqual([]);
    expect(vb.errors).toEqual([]);
    expect(screen(va.term)).toBe(screen(a.reference));
    expect(screen(vb.term)).toBe(screen(b.reference));
    expect(va.messages.filter((m) => m.type === 'snapshot')).toHaveLength(1);
    a.stream.finish('completed');
    expect(va.messages.at(-1)).toEqual({ type: 'end', status: 'completed' });
  });

  it('when the worker dies, the mirrors start over on a new one: a viewer still gets a snapshot and every later byte, exact again after a redraw', async () => {
    const workers: Worker[] = [];
    const errors: Error[] = [];
    pool = new MirrorPool({
      startWorker: (data) => {
        const w = startWorker(new URL('./mirror-pool.ts', import.meta.url).href, 'mirror-worker', data);
        workers.push(w);
        return w;
      },
      onWorkerError: (err) => errors.push(err),
    });
    const s = session(pool);
    s.out('before the crash\r\n');
    const first = viewer();
    s.stream.subscribe(first.viewer);
    await first.snapshot;
    const gone = new Promise((r) => workers[0]!.once('exit', r));
    await workers[0]!.terminate();
    await gone;
    expect(errors).toHaveLength(1);
    s.out('\x1b[2J\x1b[Hredrawn after the crash\r\n');
    const late = viewer();
    s.stream.subscribe(late.viewer);
    await late.snapshot;
    s.out('and more');
    await Promise.all([late.settled(), first.settled(), s.settled()]);
    expect(workers).toHaveLength(2);
    expect(late.errors).toEqual([]);
    expect(first.errors).toEqual([]);
    // The program redrew the whole screen: both viewers are exact again.
    expect(screen(late.term)).toBe(screen(s.reference));
    expect(screen(first.term)).toBe(screen(s.reference));
  });

  it('output the worker cannot take is dropped for the mirror only: viewers still get every byte, in order', async () => {
    // No backlog allowed: after the first chunk, every chunk is dropped for the mirror.
    pool = new MirrorPool({ maxBacklog: 0 });
    const s = session(pool);
    for (let i = 0; i < 50; i++) s.out(`line ${i}\r\n`);
    const live = viewer();
    s.stream.subscribe(live.viewer);
    const late = viewer();
    await live.snapshot;
    s.out('more');
    s.stream.subscribe(late.viewer);
    await late.snapshot;
    s.out(' and more');
    await Promise.all([live.settled(), late.settled(), s.settled()]);
    expect(live.errors).toEqual([]);
    expect(late.errors).toEqual([]);
    const snaps = late.messages.filter((m) => m.type === 'snapshot');
    expect(snaps).toHaveLength(1);
    expect(late.messages.filter((m) => m.type === 'output').map((m) => (m as { data: string }).data).join('')).toContain(' and more');
  });
});
