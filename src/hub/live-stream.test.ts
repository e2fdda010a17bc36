import { describe, expect, it } from 'vitest';
import xtermHeadless from '@xterm/headless';
import { LiveStream, type LiveStreamMessage } from './live-stream.js';

const { Terminal } = xtermHeadless;

function write(term: InstanceType<typeof Terminal>, data: string): Promise<void> {
  return new Promise((resolve) => term.write(data, resolve));
}

function screen(term: InstanceType<typeof Terminal>): string {
  const b = term.buffer.active;
  const lines: string[] = [];
  for (let y = 0; y < term.rows; y++) lines.push(b.getLine(b.baseY + y)?.translateToString(true) ?? '');
  return `${b.type}|${b.cursorX},${b.cursorY}|${lines.join('\n')}`;
}

/** A viewer that renders what it receives into its own terminal, like the console does. */
function viewerTerminal(opts: { slowFirst?: number } = {}) {
  const term = new Terminal({ cols: 80, rows: 24, allowProposedApi: true });
  const messages: LiveStreamMessage[] = [];
  let refusals = opts.slowFirst ?? 0;
  let chain = Promise.resolve();
  let expectedSeq = -1;
  const errors: string[] = [];
  const viewer = {
    send(msg: LiveStreamMessage): boolean {
      if (refusals > 0 && msg.type === 'output') {
        refusals--;
        return false;
      }
      messages.push(msg);
      if (msg.type === 'snapshot') {
        expectedSeq = msg.seq;
        chain = chain.then(() => {
          term.reset();
          term.resize(msg.cols, msg.rows);
          return write(term, msg.data);
        });
      } else if (msg.type === 'output') {
        if (msg.seq !== expectedSeq) errors.push(`gap or duplicate: expected seq ${expectedSeq}, got ${msg.seq}`);
        expectedSeq = msg.seq + Buffer.byteLength(msg.data);
        chain = chain.then(() => write(term, msg.data));
      } else if (msg.type === 'resize') {
        chain = chain.then(() => term.resize(msg.cols, msg.rows));
      }
      return true;
    },
  };
  return { term, messages, viewer, errors, settled: () => chain };
}

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('LiveStream', () => {
  it('a viewer joining late sees the exact current screen, then every later byte once', async () => {
    const stream = new LiveStream({ cols: 80, rows: 24 });
    const reference = new Terminal({ cols: 80, rows: 24, allowProposedApi: true });
    const feed = async (s: string) => {
      stream.output(Buffer.from(s));
      await write(reference, s);
    };
    await feed('\x1b[1;31mred prompt\x1b[0m $ ls\r\nfile-a  file-b\r\n');
    await feed('\x1b[?1049h\x1b[2J\x1b[5;10H\x1b[44mfull screen \u00e9\u20ac\x1b[0m');
    const late = viewerTerminal();
    stream.subscribe(late.viewer);
    await feed('\x1b[10;1Hmore after joining');
    // A multibyte character split across two chunks is neither lost nor doubled.
    const euro = Buffer.from('\u20ac');
    stream.output(euro.subarray(0, 1));
    stream.output(euro.subarray(1));
    await write(reference, '\u20ac');
    await tick();
    await late.settled();
    expect(late.errors).toEqual([]);
    expect(late.messages[0]?.type).toBe('snapshot');
    expect(screen(late.term)).toBe(screen(reference));
    stream.finish('completed');
    expect(late.messages.at(-1)).toEqual({ type: 'end', status: 'completed' });
  });

  it('a slow viewer is resynchronised from a fresh snapshot and ends identical; a fast one is unaffected', async () => {
    const stream = new LiveStream({ cols: 80, rows: 24, resyncDelayMs: 10 });
    const reference = new Terminal({ cols: 80, rows: 24, allowProposedApi: true });
    const fast = viewerTerminal();
    const slow = viewerTerminal({ slowFirst: 3 });
    stream.subscribe(fast.viewer);
    stream.subscribe(slow.viewer);
    await tick();
    for (let i = 0; i < 50; i++) {
      const s = `line ${i} \x1b[3${i % 8}mcolour\x1b[0m\r\n`;
      stream.output(Buffer.from(s));
      await write(reference, s);
    }
    await tick();
    await tick();
    await fast.settled();
    await slow.settled();
    expect(fast.errors).toEqual([]);
    expect(fast.messages.filter((m) => m.type === 'snapshot')).toHaveLength(1);
    expect(slow.messages.filter((m) => m.type === 'snapshot').length).toBeGreaterThan(1);
    expect(screen(fast.term)).toBe(screen(reference));
    expect(screen(slow.term)).toBe(screen(reference));
    stream.finish('dropped');
  });
});
