// Starts a worker thread from a module beside the caller, compiled (.js, production) or TypeScript source (.ts, tests and tsx).

import { Worker } from 'node:worker_threads';

/**
 * A worker running `name` (a file name without extension) from the folder of `callerUrl`
 * (the caller's import.meta.url), with the caller's extension. Source (.ts) runs through tsx,
 * registered inside the worker: Node 20 ignores loader flags in a worker's execArgv.
 */
export function startWorker(callerUrl: string, name: string, workerData: unknown): Worker {
  const ext = callerUrl.endsWith('.ts') ? '.ts' : '.js';
  const url = new URL(`./${name}${ext}`, callerUrl);
  if (ext === '.js') return new Worker(url, { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}
