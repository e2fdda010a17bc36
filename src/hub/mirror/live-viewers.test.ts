import { afterEach, describe, expect, it } from 'vitest';
import { createMirrorTap, type MirrorTap } from './live-viewers.js';
import { describeTerminal, diffStates, freshTerminal, writeAll } from './mirror-test-helpers.js';
import { Utf8Stream } from './utf8-stream.js';
import type { LiveViewer, ViewerMessage } from './viewer-messages.js';

/** A viewer that records messages; while `blocked`, it reports being backed up. */
class FakeViewer implements LiveViewer {
  readonly messages: ViewerMessage[] = [];
  blocked = false;
  bufferedAmount = 0;
  private waiters: Array<() => void> = [];
  send(msg: ViewerMessage): boolean {
    this.messages.push(msg);
    for (const w of this.waiters.splice(0)) w();
    return !this.blocked;
  }
  /** Resolves once a message of this type has arrived (counting from `from`). */
  async next(type: ViewerMessage['type'], from = 0): Promise<void> {
    while (!this.messages.slice(from).some((m) => m.type === type)) await new Promise<void>((r) => this.waiters.push(r));
  }
  count(type: ViewerMessage['type']): number {
    return this.messages.filter((m) => m.type === type).length;
  }
}

/** What the viewer's own xterm.js would show after processing its messages. */
async function viewerScreen(messages: readonly ViewerMessage[]): Promise<ReturnType<typeof freshTerminal>> {
  let t = freshTerminal(1, 1);
  for (const m of messages) {
    if (m.type === 'snapshot') {
      t.term.dispose();
      t = freshTerminal(m.cols, m.rows);
      await writeAll(t.term, m.data);
    } else if (m.type === 'output') {
      await writeAll(t.term, m.data);
    } else if (m.type === 'resize') {
      t.term.resize(m.cols, m.rows);
    }
  }
  return t;
}

/** The user's terminal: every byte and resize, in order. */
class UserScreen {
  readonly t = freshTerminal(80, 24);
  readonly bytes: Buffer[] = [];
  private readonly text = new Utf8Stream();
  private pending: Promise<void> = Promise.resolve();
  output(b: Buffer): void {
    this.bytes.push(b);
    const s = this.text.decode(b);
    this.pending = this.pending.then(() => writeAll(this.t.term, s));
  }
  resize(cols: number, rows: number): void {
    this.pending = this.pending.then(() => { this.t.term.resize(cols, rows); });
  }
  async settled(): Promise<void> {
    await this.pending;
  }
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const mirrors: MirrorTap[] = [];
afterEach(() => { for (const m of mirrors.splice(0)) m.dispose(); });

function session(retryMs = 5): { m: MirrorTap; user: UserScreen; out: (s: string | Buffer) => void; resize: (c: number, r: number) => void } {
  const m = createMirrorTap(80, 24, { retryMs });
  mirrors.push(m);
  const user = new UserScreen();
  return {
    m, user,
    out: (s) => { const b = typeof s === 'string' ? Buffer.from(s) : s; m.tap.output(b); user.output(b); },
    resize: (c, r) => { m.tap.resize(c, r); user.resize(c, r); },
  };
}

async function expectSameScreen(messages: readonly ViewerMessage[], user: UserScreen): Promise<void> {
  await user.settled();
  const v = await viewerScreen(messages);
  expect(diffStates(describeTerminal(v.term, v.title()), describeTerminal(user.t.term, user.t.title()))).toEqual([]);
  v.term.dispose();
}

const frame = (n: number): string => `\x1b[H\x1b[1;44m top ${n} \x1b[0m\x1b[K\r\n` +
  Array.from({ length: 20 }, (_, i) => `\x1b[${31 + (i % 7)}m${String(n * 100 + i).padStart(6)} proc ✓ 漢字\x1b[0m\x1b[K`).join('\r\n');

describe('LiveViewers', () => {
  it('two viewers, one slow: the fast one gets every byte once, the slow one is resynced and ends the same', async () => {
    const { m, user, out, resize } = session();
    out('$ top\r\n\x1b[?1049h\x1b[?25l\x1b]0;top\x07');
    out(frame(0));
    const fast = new FakeViewer();
    const slow = new FakeViewer();
    m.viewers.subscribe(fast);
    m.viewers.subscribe(slow);
    await fast.next('snapshot');
    await slow.next('snapshot');
    slow.blocked = true;
    for (let n = 1; n <= 60; n++) {
      const b = Buffer.from(frame(n));
      const cut = Math.floor(b.length / 2) + (n % 3); // often inside a character or sequence
      out(b.subarray(0, cut));
      if (n % 4 === 0) await turn();
      out(b.subarray(cut));
      if (n === 30) resize(100, 30);
      if (n === 40) slow.blocked = false;
      await turn();
    }
    out('\x1b[?1049l\x1b[?25h$ ');
    m.tap.end('completed');
    await fast.next('end');
    await slow.next('end');

    // Fast: one snapshot, then output that is exactly the stream after it.
    expect(fast.count('snapshot')).toBe(1);
    const snap = fast.messages[0] as Extract<ViewerMessage, { type: 'snapshot' }>;
    const outputs = fast.messages.filter((x): x is Extract<ViewerMessage, { type: 'output' }> => x.type === 'output');
    const text = outputs.map((o) => o.data).join('');
    expect(text).toBe(new TextDecoder().decode(Buffer.concat(user.bytes).subarray(snap.seq)));
    const seqs = outputs.map((o) => o.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs[seqs.length - 1]).toBe(Buffer.concat(user.bytes).length);
    expect(fast.messages[fast.messages.length - 1]).toEqual({ type: 'end', status: 'completed' });
    await expectSameScreen(fast.messages, user);

    // Slow: resynchronised with a fresh snapshot, and the same screen at the end.
    expect(slow.count('snapshot')).toBeGreaterThan(1);
    await expectSameScreen(slow.messages, user);
  });

  it('viewers joining at every byte (inside characters and sequences) all end with the user\'s screen', async () => {
    const { m, user, out } = session();
    const bytes = Buffer.from('abc \x1b[31mred\x1b[0m é漢 \x1b]2;title\x07 \x1b[?1049h\x1b[2;5Halt\x1b[?1049l end');
    const viewers: FakeViewer[] = [];
    for (let cut = 0; cut < bytes.length; cut++) {
      const v = new FakeViewer();
      viewers.push(v);
      m.viewers.subscribe(v);
      if (cut % 3 === 0) await v.next('snapshot');
      out(bytes.subarray(cut, cut + 1));
    }
    m.tap.end();
    for (const v of viewers) {
      await v.next('end');
      expect(v.count('snapshot')).toBe(1);
      const snap = v.messages[0] as Extract<ViewerMessage, { type: 'snapshot' }>;
      const rest = v.messages.filter((x): x is Extract<ViewerMessage, { type: 'output' }> => x.type === 'output').map((o) => o.data).join('');
      expect(rest).toBe(new TextDecoder().decode(bytes.subarray(snap.seq)));
      await expectSameScreen(v.messages, user);
    }
  });

  it('resynchronises a viewer whose transport buffers too much, once it has drained', async () => {
    const { m, user, out } = session();
    const v = new FakeViewer();
    m.viewers.subscribe(v);
    await v.next('snapshot');
    v.bufferedAmount = 2 * 1024 * 1024;
    out('x'.repeat(100));
    await v.next('output');
    const seen = v.messages.length;
    out('\r\nwhile backed up');
    await turn();
    expect(v.messages.length).toBe(seen); // nothing more while over the limit
    v.bufferedAmount = 0;
    await v.next('snapshot', seen);
    out('\r\nafter');
    m.tap.end();
    await v.next('end');
    await expectSameScreen(v.messages, user);
  });

  it('gives a viewer arriving after the end the final screen, then end', async () => {
    const { m, user, out } = session();
    out('\x1b[32mbye\x1b[0m\r\n');
    m.tap.end('dropped');
    const v = new FakeViewer();
    m.viewers.subscribe(v);
    await v.next('end');
    expect(v.messages.map((x) => x.type)).toEqual(['snapshot', 'end']);
    expect(v.messages[1]).toEqual({ type: 'end', status: 'dropped' });
    await expectSameScreen(v.messages, user);
  });

  it('drops a viewer whose transport throws, without disturbing the others', async () => {
    const { m, user, out } = session();
    const ok = new FakeViewer();
    const broken: LiveViewer = { send: () => { throw new Error('socket closed'); } };
    m.viewers.subscribe(broken);
    m.viewers.subscribe(ok);
    out('hello');
    m.tap.end();
    await ok.next('end');
    await expectSameScreen(ok.messages, user);
  });

  it('keyframes are snapshots of the current screen', async () => {
    const { m, user, out } = session();
    out('\x1b[1;1H\x1b[7mkey\x1b[0mframe');
    const k = await m.keyframe();
    expect(k.seq).toBe(Buffer.concat(user.bytes).length);
    await expectSameScreen([{ type: 'snapshot', ...k }], user);
  });
});
