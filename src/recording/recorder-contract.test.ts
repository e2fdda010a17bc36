// The contract every Recorder implementation passes, faults included; add new implementations to the list at the bottom.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Recorder, RecordingHeader } from '../core/ports.js';
import { readAsciicast, readHeader } from './asciicast-reader.js';
import { AsciicastWriter } from './asciicast-writer.js';
import { FileRecordingStore } from './file-recording-store.js';
import { verifyRecording } from './integrity.js';
import { openRecordingFile, type RecordingFile } from './recording-file.js';

interface MakeOptions {
  dir: string;
  now: () => number;
  openFile?: (path: string) => Promise<RecordingFile>;
}
type MakeRecorder = (o: MakeOptions, header: RecordingHeader) => Promise<Recorder>;

const header: RecordingHeader = { width: 80, height: 24, timestamp: 1767225600 };
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'vigil-contract-'));
  dirs.push(d);
  return d;
}

function recorderContract(name: string, make: MakeRecorder): void {
  describe(`Recorder contract: ${name}`, () => {
    it('records output, input and resize, readable back, with a summary that verifies', async () => {
      let t = 0;
      const rec = await make({ dir: await tempDir(), now: () => t }, header);
      rec.output(Buffer.from('$ '));
      t = 1000;
      rec.input(Buffer.from('exit\r'));
      t = 1500;
      rec.resize(132, 43);
      t = 2000;
      rec.output(Buffer.from('logout\r\n'));
      const s = await rec.close();
      expect(s.path).toBe(rec.path);
      expect(s.duration).toBe(2);
      expect(await verifyRecording(s.path, s.sha256, s.size)).toEqual({ ok: true });
      expect(await readHeader(s.path)).toMatchObject({ version: 2, width: 80, height: 24 });
      const evs = [];
      for await (const e of readAsciicast(s.path)) evs.push(e);
      expect(evs).toEqual([
        { time: 0, type: 'o', data: '$ ' },
        { time: 1, type: 'i', data: 'exit\r' },
        { time: 1.5, type: 'r', data: '132x43' },
        { time: 2, type: 'o', data: 'logout\r\n' },
      ]);
    });

    it('ignores calls after close and closes idempotently', async () => {
      const rec = await make({ dir: await tempDir(), now: () => 0 }, header);
      rec.output(Buffer.from('x'));
      const a = await rec.close();
      expect(() => {
        rec.output(Buffer.from('late'));
        rec.input(Buffer.from('late'));
        rec.resize(1, 1);
      }).not.toThrow();
      expect(await rec.close()).toEqual(a);
      expect(await verifyRecording(a.path, a.sha256, a.size)).toEqual({ ok: true });
    });

    it('reports a failing disk once through onError and still closes with what was written', async () => {
      let writes = 0;
      const openFile = async (path: string): Promise<RecordingFile> => {
        const real = await openRecordingFile(path);
        return {
          ...real,
          writev: (b) => (++writes > 1 ? Promise.reject(new Error('ENOSPC: no space left on device')) : real.writev(b)),
        };
      };
      const rec = await make({ dir: await tempDir(), now: () => 0, openFile }, header);
      const errors: Error[] = [];
      rec.onError((e) => errors.push(e));
      rec.output(Buffer.from('lost'));
      const s = await rec.close();
      expect(errors.map((e) => e.message)).toEqual(['ENOSPC: no space left on device']);
      expect(await verifyRecording(s.path, s.sha256, s.size)).toEqual({ ok: true });
      expect(s.duration).toBe(0);
    });
  });
}

recorderContract('AsciicastWriter', (o, h) =>
  AsciicastWriter.open({ path: join(o.dir, 'sub', 'r.cast'), header: h, now: o.now, openFile: o.openFile }),
);
recorderContract('FileRecordingStore', (o, h) =>
  new FileRecordingStore({ dir: o.dir, now: o.now, openFile: o.openFile }).open('0123456789abcdef', new Date(), h),
);
