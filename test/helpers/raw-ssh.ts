// Raw TCP abusers of an SSH port, and small probes of another process (RSS, bytes on disk), for test/e2e/ssh-abuse.test.ts.

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `fn` until it returns true (for state only another process knows, like when Vigil freed a slot). */
export async function eventually(fn: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** A raw TCP connection to the SSH port from a chosen source address that never closes its side by itself. */
export interface RawConn {
  socket: net.Socket;
  /** What Vigil sent. */
  received(): Buffer;
  /** Resolves with ms since connect when Vigil ended (FIN) or reset the connection. */
  ended: Promise<number>;
  /** Resolves once Vigil sent its identification line (true) or closed first (false): admitted or refused. */
  admitted: Promise<boolean>;
}

export function rawConnect(port: number, from: string): Promise<RawConn> {
  return new Promise((resolve, reject) => {
    // allowHalfOpen: an abuser keeps its side open after Vigil's FIN.
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: from, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let t0 = 0;
    let onEnd!: () => void;
    const ended = new Promise<number>((r) => (onEnd = () => r(performance.now() - t0)));
    let decide!: (v: boolean) => void;
    const admitted = new Promise<boolean>((r) => (decide = r));
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (Buffer.concat(chunks).includes('\n')) decide(Buffer.concat(chunks).toString('latin1').startsWith('SSH-2.0-'));
    });
    socket.on('error', () => undefined);
    // Ended or closed before an identification line: refused.
    for (const ev of ['end', 'close']) {
      socket.once(ev, () => {
        onEnd();
        decide(false);
      });
    }
    socket.once('connect', () => {
      t0 = performance.now();
      resolve({ socket, received: () => Buffer.concat(chunks), ended, admitted });
    });
    socket.once('error', reject);
  });
}

/** An SSH packet header (length, padding length) followed by the first bytes of a payload. */
export function packetStart(declaredLength: number, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(declaredLength >>> 0, 0);
  head[4] = 4;
  return Buffer.concat([head, body]);
}

export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function dirBytes(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? dirBytes(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).size), 0);
}
