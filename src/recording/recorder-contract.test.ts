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
import { RecorderPool } from './recorder-pool.js';
import { openRecordingFile, type RecordingFile } from './recording-file.js';
import { startWorker } from './worker-launch.js';
import type { FaultSpec } from '../../test/helpers/faulty-recorder-worker.js';

/** A disk fault, as each implementation injects it: from the `fromWrite`-th write on (the header's is the first), writes reject. */
interface DiskFault {
  fromWrite: number;
  message: string;
}
interface MakeOptions {
  dir: string;
  now: () => number;
  fault?: DiskFault;
}
type MakeRecorder = (o: MakeOptions, header: RecordingHeader) => Promise<Recorder>;

const header: RecordingHeader = { width: 80, height: 24, timestamp: 1767225600 };
const dirs: string[] = [];
const pools: RecorderPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** openFile for the in-thread writer: the real file, with writes failing as `fault` says. */
function faultyOpen(fault: DiskFault | undefined): ((path: string) => Promise<RecordingFile>) | undefined {
  if (!fault) return undefined;
  return async (path) => {
    const real = await openRecordingFile(path);
    let writes = 0;
    return { ...real, writev: (b) => (++writes >= fault.fromWrite ? Promise.reject(new Error(fault.message)) : real.writev(b)) };
  };
}

/** A pool whose worker injects `fault` (the test worker), or the real worker. */
function testPool(fault?: FaultSpec): RecorderPool {
  const helper = new URL('../../test/helpers/faulty-recorder-worker.ts', import.meta.url).href;
  const pool = new RecorderPool(fault ? { startWorker: () => startWorker(helper, 'faulty-recorder-worker', fault) } : {});
  pools.push(pool);
  return pool;
}
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
      const fault = { fromWrite: 2, message: 'ENOSPC: no space left on device' };
      const rec = await make({ dir: await tempDir(), now: () => 0, fault }, header);
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
  AsciicastWriter.open({ path: join(o.dir, 'sub', 'r.cast'), header: h, now: o.now, openFile: faultyOpen(o.fault) }),
);
recorderContract('FileRecordingStore', (o, h) =>
  new FileRecordingStore({ dir: o.dir, now: o.now, openFile: faultyOpen(o.fault) }).open('0123456789abcdef', new Date(), h),
);
recorderContract('RecorderPool (worker thread)', (o, h) =>
  testPool(o.fault && { failFromWrite: o.fault.fromWrite, message: o.fault.message }).open({ path: join(o.dir, 'sub', 'r.cast'), header: h, now: o.now }),
);
recorderContract('FileRecordingStore on a RecorderPool', (o, h) =>
  new FileRecordingStore({ dir: o.dir, now: o.now, pool: testPool(o.fault && { failFromWrite: o.fault.fromWrite, message: o.fault.message }) }).open('0123456789abcdef', new Date(), h),
);
