// Another process holding SQLite's write lock on a file, for fault tests: taken on request, released on request.

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LOCKER = path.join(ROOT, 'test/helpers/sqlite-locker.ts');

export interface HeldLock {
  child: ChildProcess;
  /** Commits the locker's transaction (if it has not let go already); resolves with the time of that commit (Date.now() in the locker). */
  release(): Promise<number>;
}

/**
 * Starts a process that runs `BEGIN EXCLUSIVE` on `file`; resolves once it holds the lock. With `holdMs` the process
 * lets go by itself after that long (for a caller whose own thread will be blocked waiting on the lock).
 */
export async function holdWriteLock(file: string, opts: { holdMs?: number } = {}): Promise<HeldLock> {
  const args = opts.holdMs === undefined ? [] : [String(opts.holdMs)];
  const child = spawn(process.execPath, ['--import', 'tsx', LOCKER, file, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  child.stdin!.on('error', () => undefined);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (!out.split('\n').includes('locked')) return;
      child.stdout!.off('data', check);
      resolve();
    };
    child.stdout!.on('data', check);
    void exited.then(() => reject(new Error(`sqlite locker exited (${child.exitCode ?? child.signalCode}) before it held the lock: ${err}`)));
  });
  let released: Promise<number> | null = null;
  return {
    child,
    release: () =>
      (released ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.stdin!.end('release\n');
        await exited;
        const m = /^released (\d+)$/m.exec(out);
        if (!m) throw new Error(`sqlite locker did not commit: ${err}`);
        return Number(m[1]);
      })()),
  };
}
