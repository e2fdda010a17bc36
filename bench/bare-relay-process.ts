// Starts bench/bare-relay.ts as a child process (the reference relay of the load and churn benches).

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bare-relay.ts');

export interface BareRelay {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** A bare ssh2 relay to 127.0.0.1:targetPort as `user` with the key in `keyPath`, over `processes` processes. */
export async function startBareRelay(o: { targetPort: number; user: string; keyPath: string; processes: number; nodeArgs?: string[] }): Promise<BareRelay> {
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), '--import', 'tsx', SCRIPT, '--target-port', String(o.targetPort), '--target-user', o.user, '--key', o.keyPath, '--processes', String(o.processes)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`bare relay exited with ${code}`)));
  });
  return {
    port,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
