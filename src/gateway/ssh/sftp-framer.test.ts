import { describe, expect, it } from 'vitest';
import { SftpFramer, type SftpPacket } from './sftp-framer.js';

/** An SFTP packet: uint32 length, type byte, payload. */
function packet(type: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length + 1, 0);
  head[4] = type;
  return Buffer.concat([head, payload]);
}

/** Feeds `chunks` and returns copies of what came out (heads are only valid during the callback). */
function frame(framer: SftpFramer, chunks: Buffer[]): Array<{ type: number; head: Buffer; length: number }> {
  const out: Array<{ type: number; head: Buffer; length: number }> = [];
  const onPacket = (p: SftpPacket) => out.push({ type: p.type, head: Buffer.from(p.head), length: p.length });
  for (const c of chunks) framer.push(c, onPacket);
  return out;
}

/** Splits a buffer at the given offsets. */
function cut(b: Buffer, at: number[]): Buffer[] {
  const edges = [0, ...at, b.length];
  return edges.slice(1).map((end, i) => b.subarray(edges[i], end));
}

const stream = Buffer.concat([
  packet(1, Buffer.from([0, 0, 0, 3])),
  packet(3, Buffer.from('open-path-payload')),
  packet(6, Buffer.alloc(3000, 0x61)),
  packet(101, Buffer.from([0, 0, 0, 7, 0, 0, 0, 0])),
]);

describe('SftpFramer', () => {
  it('cuts packets out of one chunk holding several', () => {
    const out = frame(new SftpFramer(), [stream]);
    expect(out.map((p) => [p.type, p.length])).toEqual([
      [1, 4],
      [3, 17],
      [6, 3000],
      [101, 8],
    ]);
    expect(out[1]!.head.toString()).toBe('open-path-payload');
  });

  it('gives the same packets however the stream is split, down to single bytes', () => {
    const whole = frame(new SftpFramer(), [stream]);
    const bytes = frame(new SftpFramer(), cut(stream, Array.from({ length: stream.length - 1 }, (_, i) => i + 1)));
    expect(bytes).toEqual(whole);
    // Splits inside a length field, at a type byte, and inside a large packet's data.
    for (const at of [[2], [4], [5, 6], [30, 31, 1000, 2900], [stream.length - 3]]) {
      expect(frame(new SftpFramer(), cut(stream, at))).toEqual(whole);
    }
  });

  it('keeps only the head of a large packet and counts the rest past', () => {
    const out = frame(new SftpFramer({ headSize: 64 }), [stream]);
    const write = out.find((p) => p.type === 6)!;
    expect(write.head.length).toBe(63);
    expect(write.length).toBe(3000);
    // The packet after it is still found where it starts.
    expect(out.at(-1)).toMatchObject({ type: 101, length: 8 });
  });

  it('keeps the whole payload, up to a limit, of the packet types asked for', () => {
    const path = Buffer.from('/'.padEnd(5000, 'p'));
    const out = frame(new SftpFramer({ headSize: 64, wholeSize: 4096, wantsWhole: (t) => t === 3 }), cut(packet(3, path), [10, 70, 3000]));
    expect(out[0]!.head.length).toBe(4095);
    expect(out[0]!.head.equals(path.subarray(0, 4095))).toBe(true);
    const small = frame(new SftpFramer({ headSize: 64, wholeSize: 4096, wantsWhole: (t) => t === 3 }), [packet(3, Buffer.from('short'))]);
    expect(small[0]!.head.toString()).toBe('short');
  });

  it('stops, without throwing, at a length no SFTP peer sends, and ignores what follows', () => {
    for (const bad of [Buffer.from([0, 0, 0, 0, 1]), Buffer.from([0, 0, 0, 4, 1, 0, 0, 0]), Buffer.from([0xff, 0xff, 0xff, 0xff, 1]), Buffer.from('SSH-2.0-OpenSSH\r\n')]) {
      const framer = new SftpFramer({ maxPacket: 1024 * 1024 });
      const out = frame(framer, [packet(1, Buffer.from([0, 0, 0, 3])), bad, stream]);
      expect(out.map((p) => p.type)).toEqual([1]);
      expect(framer.broken).toMatch(/packet length \d+ is outside 5\.\.1048576/);
    }
  });

  it('never throws and never keeps more than its limit, whatever the bytes', () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let round = 0; round < 200; round++) {
      const junk = Buffer.alloc(2000 + Math.floor(rand() * 4000));
      for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rand() * 256);
      // Mostly small plausible lengths, so that the framer gets far into the junk before giving up.
      for (let i = 0; i + 4 < junk.length; i += 4 + Math.floor(rand() * 300)) junk.writeUInt32BE(5 + Math.floor(rand() * 400), i);
      const framer = new SftpFramer({ headSize: 32, wholeSize: 256, wantsWhole: (t) => t % 2 === 0 });
      const out = frame(framer, cut(junk, [1, 7, 100, 1500]));
      for (const p of out) expect(p.head.length).toBeLessThanOrEqual(255);
    }
  });
});
