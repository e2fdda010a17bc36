import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readAsciicast, readHeader } from './asciicast-reader.js';
import { AsciicastWriter } from './asciicast-writer.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'vigil-reader-'));
  dirs.push(d);
  return d;
}
async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('readAsciicast', () => {
  it('reads back what the writer wrote', async () => {
    const path = join(await tempDir(), 'r.cast');
    let t = 0;
    const w = await AsciicastWriter.open({ path, header: { width: 120, height: 30, timestamp: 1767225600, title: 't' }, now: () => t });
    w.output(Buffer.from('$ '));
    t = 500;
    w.input(Buffer.from('ls\r'));
    t = 750;
    w.resize(100, 20);
    t = 1000;
    w.output(Buffer.from('a\u2028b "q" \\ \x1b[0m\r\n'));
    await w.close();
    expect(await readHeader(path)).toEqual({ version: 2, width: 120, height: 30, timestamp: 1767225600, title: 't' });
    expect(await collect(readAsciicast(path))).toEqual([
      { time: 0, type: 'o', data: '$ ' },
      { time: 0.5, type: 'i', data: 'ls\r' },
      { time: 0.75, type: 'r', data: '100x20' },
      { time: 1, type: 'o', data: 'a\u2028b "q" \\ \x1b[0m\r\n' },
    ]);
  });

  it('skips unknown event types and names a malformed line', async () => {
    const path = join(await tempDir(), 'bad.cast');
    await writeFile(path, '{"version":2,"width":80,"height":24}\n[0.1,"m","mark"]\n[0.2,"x","ext"]\n[0.3,"o","ok"]\nnot json\n');
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const e of readAsciicast(path)) seen.push(e.data);
      })(),
    ).rejects.toThrow(/line 5/);
    expect(seen).toEqual(['mark', 'ok']);
  });

  it('rejects a file without an asciicast v2 header', async () => {
    const path = join(await tempDir(), 'v1.cast');
    await writeFile(path, '{"version":1,"width":80,"height":24,"stdout":[]}\n');
    await expect(readHeader(path)).rejects.toThrow(/not an asciicast v2/);
    await expect(collect(readAsciicast(path))).rejects.toThrow(/not an asciicast v2/);
  });
});
