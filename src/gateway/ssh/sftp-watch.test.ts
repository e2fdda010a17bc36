import { describe, expect, it } from 'vitest';
import { SftpWatch, type FileTransferNote } from './sftp-watch.js';

// SFTP v3 wire encoding, just enough to play both sides of a session.
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
};
const u64 = (n: number) => Buffer.concat([u32(Math.floor(n / 2 ** 32)), u32(n % 2 ** 32)]);
const str = (s: string | Buffer) => {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  return Buffer.concat([u32(b.length), b]);
};
const pkt = (type: number, ...fields: Buffer[]) => {
  const body = Buffer.concat([Buffer.from([type]), ...fields]);
  return Buffer.concat([u32(body.length), body]);
};
const ATTRS_NONE = u32(0);

const c = {
  init: () => pkt(1, u32(3)),
  open: (id: number, path: string, pflags: number) => pkt(3, u32(id), str(path), u32(pflags), ATTRS_NONE),
  close: (id: number, h: string) => pkt(4, u32(id), str(h)),
  read: (id: number, h: string, off: number, len: number) => pkt(5, u32(id), str(h), u64(off), u32(len)),
  write: (id: number, h: string, off: number, data: Buffer) => pkt(6, u32(id), str(h), u64(off), str(data)),
  opendir: (id: number, path: string) => pkt(11, u32(id), str(path)),
  readdir: (id: number, h: string) => pkt(12, u32(id), str(h)),
  remove: (id: number, path: string) => pkt(13, u32(id), str(path)),
  rename: (id: number, from: string, to: string) => pkt(18, u32(id), str(from), str(to)),
  posixRename: (id: number, from: string, to: string) => pkt(200, u32(id), str('posix-rename@openssh.com'), str(from), str(to)),
};
const s = {
  version: () => pkt(2, u32(3)),
  status: (id: number, code: number) => pkt(101, u32(id), u32(code), str(code ? 'failure' : 'ok'), str('')),
  handle: (id: number, h: string) => pkt(102, u32(id), str(h)),
  data: (id: number, data: Buffer) => pkt(103, u32(id), str(data)),
  name: (id: number) => pkt(104, u32(id), u32(0)),
};
const READ = 1;
const WRITE_CREAT_TRUNC = 0x02 | 0x08 | 0x10;
const OK = 0;
const EOF = 1;
const NO_SUCH_FILE = 2;

type Step = ['c' | 's', Buffer];

function harness(opts: { maxPending?: number; maxOpen?: number } = {}) {
  const notes: FileTransferNote[] = [];
  const warnings: Array<{ obj: object; msg?: string }> = [];
  const logger = { debug: () => undefined, info: () => undefined, warn: (obj: object, msg?: string) => void warnings.push({ obj, msg }), error: () => undefined };
  const watch = new SftpWatch({ record: async (n) => void notes.push(n), logger, sessionId: 'test', ...opts });
  /** Plays the steps; each side's bytes are cut into chunks of `chunk` bytes (0: one chunk per packet). */
  const play = (steps: Step[], chunk = 0) => {
    for (const [side, bytes] of steps) {
      const parts = chunk > 0 ? Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk)) : [bytes];
      for (const p of parts) (side === 'c' ? watch.fromUser(p) : watch.fromTarget(p));
    }
  };
  return { watch, notes, warnings, play };
}

const hello: Step[] = [
  ['c', c.init()],
  ['s', s.version()],
];

/** An upload of `parts` written in order, and a download of the same file, as OpenSSH's sftp pipelines them. */
function uploadThenDownload(parts: Buffer[]): Step[] {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const steps: Step[] = [...hello, ['c', c.open(1, '/tmp/up.bin', WRITE_CREAT_TRUNC)], ['s', s.handle(1, 'H1')]];
  let off = 0;
  // Several writes in flight before the first acknowledgement.
  parts.forEach((p, i) => {
    steps.push(['c', c.write(10 + i, 'H1', off, p)]);
    off += p.length;
  });
  parts.forEach((_, i) => steps.push(['s', s.status(10 + i, OK)]));
  steps.push(['c', c.close(2, 'H1')], ['s', s.status(2, OK)]);
  steps.push(['c', c.open(3, '/tmp/up.bin', READ)], ['s', s.handle(3, 'H2')]);
  steps.push(['c', c.read(20, 'H2', 0, 32768)], ['c', c.read(21, 'H2', 32768, 32768)], ['c', c.read(22, 'H2', 65536, 32768)]);
  steps.push(['s', s.data(20, Buffer.alloc(Math.min(total, 32768), 1))]);
  steps.push(['s', total > 32768 ? s.data(21, Buffer.alloc(Math.min(total - 32768, 32768), 2)) : s.status(21, EOF)]);
  steps.push(['s', s.status(22, EOF)]);
  steps.push(['c', c.close(4, 'H2')], ['s', s.status(4, OK)]);
  return steps;
}

describe('SftpWatch', () => {
  const parts = [Buffer.alloc(32768, 7), Buffer.alloc(20000, 8)];
  const expected = [
    { path: '/tmp/up.bin', direction: 'upload', size: 52768 },
    { path: '/tmp/up.bin', direction: 'download', size: 52768 },
  ];

  it('reports one transfer per file closed, with the bytes acknowledged or returned', async () => {
    const h = harness();
    h.play(uploadThenDownload(parts));
    await h.watch.finish();
    expect(h.notes).toEqual(expected);
    expect(h.warnings).toEqual([]);
  });

  it('gives the same report however the packets are split or merged', async () => {
    for (const chunk of [1, 3, 4, 5, 7, 1000, 32768]) {
      const h = harness();
      h.play(uploadThenDownload(parts), chunk);
      await h.watch.finish();
      expect(h.notes, `chunks of ${chunk}`).toEqual(expected);
    }
    // Everything each side sent in one chunk (replies still after their requests).
    const merged = harness();
    const steps = uploadThenDownload(parts);
    const firstReply = steps.findIndex(([side], i) => i > 1 && side === 's');
    merged.play([...hello, ['c', Buffer.concat(steps.slice(2, firstReply).map(([, b]) => b))], ...steps.slice(firstReply)]);
    await merged.watch.finish();
    expect(merged.notes).toEqual(expected);
  });

  it('counts no refused write, and reports no file that failed to open', async () => {
    const h = harness();
    h.play([
      ...hello,
      ['c', c.open(1, '/etc/shadow', READ)],
      ['s', s.status(1, NO_SUCH_FILE)],
      ['c', c.open(2, '/tmp/full.bin', WRITE_CREAT_TRUNC)],
      ['s', s.handle(2, 'H')],
      ['c', c.write(3, 'H', 0, Buffer.alloc(100))],
      ['c', c.write(4, 'H', 100, Buffer.alloc(50))],
      ['s', s.status(3, OK)],
      ['s', s.status(4, 4)],
      ['c', c.close(5, 'H')],
      ['s', s.status(5, OK)],
    ]);
    await h.watch.finish();
    expect(h.notes).toEqual([{ path: '/tmp/full.bin', direction: 'upload', size: 100 }]);
  });

  it('ignores directories, and reports removes and renames the server confirmed', async () => {
    const h = harness();
    h.play([
      ...hello,
      ['c', c.opendir(1, '/tmp')],
      ['s', s.handle(1, 'D')],
      ['c', c.readdir(2, 'D')],
      ['s', s.name(2)],
      ['c', c.close(3, 'D')],
      ['s', s.status(3, OK)],
      ['c', c.remove(4, '/tmp/a')],
      ['s', s.status(4, OK)],
      ['c', c.remove(5, '/tmp/missing')],
      ['s', s.status(5, NO_SUCH_FILE)],
      ['c', c.rename(6, '/tmp/b', '/tmp/c')],
      ['s', s.status(6, OK)],
      ['c', c.posixRename(7, '/tmp/c', '/tmp/d')],
      ['s', s.status(7, OK)],
    ]);
    await h.watch.finish();
    expect(h.notes).toEqual([
      { path: '/tmp/a', direction: 'remove' },
      { path: '/tmp/b -> /tmp/c', direction: 'rename', from: '/tmp/b', to: '/tmp/c' },
      { path: '/tmp/c -> /tmp/d', direction: 'rename', from: '/tmp/c', to: '/tmp/d' },
    ]);
  });

  it('writes events one after another, and goes on after one could not be written', async () => {
    const written: string[] = [];
    const errors: object[] = [];
    let calls = 0;
    const watch = new SftpWatch({
      record: async (n) => {
        // The first write is slow and fails: the second must start after it ended, and still be written.
        written.push(`begin ${n.path}`);
        if (calls++ === 0) {
          await new Promise((r) => setTimeout(r, 20));
          written.push(`failed ${n.path}`);
          throw new Error('disk full');
        }
      },
      logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (o: object) => void errors.push(o) },
      sessionId: 'test',
    });
    for (const b of [c.init(), c.remove(1, '/tmp/a'), c.remove(2, '/tmp/b')]) watch.fromUser(b);
    for (const b of [s.version(), s.status(1, OK), s.status(2, OK)]) watch.fromTarget(b);
    await watch.finish();
    expect(written).toEqual(['begin /tmp/a', 'failed /tmp/a', 'begin /tmp/b']);
    expect(errors).toEqual([expect.objectContaining({ err: 'disk full', note: { path: '/tmp/a', direction: 'remove' } })]);
  });

  it('reports a file still open when the session ends as incomplete', async () => {
    const h = harness();
    h.play([...hello, ['c', c.open(1, '/tmp/big.iso', WRITE_CREAT_TRUNC)], ['s', s.handle(1, 'H')], ['c', c.write(2, 'H', 0, Buffer.alloc(4096))], ['s', s.status(2, OK)], ['c', c.write(3, 'H', 4096, Buffer.alloc(4096))]]);
    await h.watch.finish();
    expect(h.notes).toEqual([{ path: '/tmp/big.iso', direction: 'upload', size: 4096, incomplete: true }]);
  });

  it('stops with a warning on a stream that is not SFTP, and never throws', async () => {
    const banner = harness();
    banner.play([['s', Buffer.from('Welcome to my shell banner!\r\n$ ')]]);
    banner.play(uploadThenDownload(parts));
    await banner.watch.finish();
    expect(banner.notes).toEqual([]);
    expect(banner.warnings).toHaveLength(1);
    expect(banner.warnings[0]!.obj).toMatchObject({ reason: expect.stringMatching(/^server stream: packet length \d+ is outside/) });
    // Well framed, but not an SFTP session start.
    const noInit = harness();
    noInit.play(uploadThenDownload(parts).slice(2));
    await noInit.watch.finish();
    expect(noInit.notes).toEqual([]);
    expect(noInit.warnings.map((w) => w.obj)).toEqual([{ sessionId: 'test', reason: "the client's first packet is type 3, not INIT" }]);
    // A later protocol version, whose OPEN this watch would misread.
    const v6 = harness();
    v6.play([['c', pkt(1, u32(6))], ['s', pkt(2, u32(6))], ...uploadThenDownload(parts).slice(2)]);
    await v6.watch.finish();
    expect(v6.notes).toEqual([]);
    expect(v6.warnings.map((w) => w.obj)).toEqual([{ sessionId: 'test', reason: 'SFTP version 6 is not understood (only 3)' }]);
  });

  it('stops at a huge length field, telling what it had seen of the open file', async () => {
    const h = harness();
    const huge = Buffer.concat([u32(0x7fffffff), Buffer.from([6])]);
    h.play([...hello, ['c', c.open(1, '/tmp/x', WRITE_CREAT_TRUNC)], ['s', s.handle(1, 'H')], ['c', c.write(2, 'H', 0, Buffer.alloc(10))], ['s', s.status(2, OK)], ['c', huge]]);
    h.play([['c', Buffer.alloc(1_000_000)], ['s', s.status(9, OK)]]);
    await h.watch.finish();
    expect(h.notes).toEqual([{ path: '/tmp/x', direction: 'upload', size: 10, incomplete: true }]);
    expect(h.warnings).toHaveLength(1);
    expect(h.warnings[0]!.obj).toMatchObject({ reason: expect.stringContaining('packet length 2147483647') });
  });

  it('stops on malformed fields and on too many requests without replies, instead of growing', async () => {
    const malformed = harness();
    // A WRITE whose data length claims more than the packet holds.
    const lying = pkt(6, u32(2), str('H'), u64(0), u32(1_000_000), Buffer.alloc(10));
    malformed.play([...hello, ['c', c.open(1, '/tmp/x', WRITE_CREAT_TRUNC)], ['s', s.handle(1, 'H')], ['c', lying]]);
    expect(malformed.warnings[0]?.obj).toMatchObject({ reason: expect.stringContaining('malformed request of type 6') });

    const flood = harness({ maxPending: 100 });
    flood.play([...hello, ...Array.from({ length: 101 }, (_, i): Step => ['c', c.remove(i, `/tmp/f${i}`)])]);
    expect(flood.warnings[0]?.obj).toMatchObject({ reason: 'too many requests awaiting a reply' });

    const handles = harness({ maxOpen: 3 });
    handles.play([...hello, ...Array.from({ length: 4 }, (_, i): Step[] => [['c', c.open(i, `/tmp/f${i}`, READ)], ['s', s.handle(i, `H${i}`)]]).flat()]);
    expect(handles.warnings[0]?.obj).toMatchObject({ reason: 'too many files open at once' });
    await handles.watch.finish();
    expect(handles.notes).toHaveLength(3);
  });
});
