// The keyframe worker thread: follows the recordings of live sessions as they are written, and completes the indexes of finished ones.
//
// The .cast file is the queue: the relay only writes the recording, and this thread reads it
// back (from the page cache) at its own pace, so bulk output never waits for xterm's parser
// (25–30 MB/s, FACTS.md) and memory stays bounded whatever the backlog. Work is done in slices
// of SLICE_BYTES per recording, round robin, so one bulk session does not starve the others.

import { parentPort } from 'node:worker_threads';
import { setPriority } from 'node:os';
import { KeyframeFollower } from './keyframe-files.js';
import { castSize, isComplete, readIndex } from './keyframe-index.js';
import { nameThread } from '../../core/thread-name.js';

/** Messages from the main thread. */
export type KeyframeWorkerRequest =
  | { type: 'follow'; path: string }
  | { type: 'ended'; path: string; settleMs: number }
  | { type: 'build'; id: number; path: string };

/** Messages to the main thread. */
export type KeyframeWorkerReply =
  | { type: 'built'; id: number; error?: string }
  | { type: 'failed'; path: string; error: string };

const SLICE_BYTES = 4 * 1024 * 1024;
const POLL_MS = 250;

interface Job {
  follower: KeyframeFollower;
  /** When set, the recording is closed: finish once this time has passed and nothing new arrives. */
  finishAfter: number | null;
  waiters: number[];
}

const jobs = new Map<string, Job>();
const port = parentPort;
nameThread('vigil-keyframes');
if (!port) throw new Error('keyframe-worker must run in a worker thread');
let scheduled = false;
try {
  // On Linux the nice value is per thread: the relay and the API keep priority over keyframing. The lowest priority:
  // on a busy machine this work (which can wait, and catches up when the transfer ends) took CPU from the relay
  // and from ssh/sshd at nice 10 (bench/run.ts, 200 MB of text: 0.39x direct at nice 10, 0.47x at nice 19).
  setPriority(19);
} catch {
  // Not permitted here: run at normal priority.
}

function send(msg: KeyframeWorkerReply): void {
  port!.postMessage(msg);
}

function fail(path: string, job: Job | undefined, err: unknown): void {
  const error = err instanceof Error ? err.message : String(err);
  job?.follower.close();
  jobs.delete(path);
  for (const id of job?.waiters ?? []) send({ type: 'built', id, error });
  send({ type: 'failed', path, error });
}

function open(path: string, fresh: boolean): Job {
  const existing = fresh ? null : readIndex(path);
  const job: Job = { follower: new KeyframeFollower(path, existing && existing.keyframes.length > 0 ? existing : null), finishAfter: null, waiters: [] };
  jobs.set(path, job);
  return job;
}

/** One round: a slice of every job; finished jobs complete their index. Returns true when a job had more to read. */
function round(): boolean {
  let busy = false;
  const now = Date.now();
  for (const [path, job] of jobs) {
    try {
      const n = job.follower.poll(SLICE_BYTES);
      if (n >= SLICE_BYTES) busy = true;
      if (n === 0 && job.finishAfter !== null && now >= job.finishAfter) {
        job.follower.finish();
        jobs.delete(path);
        for (const id of job.waiters) send({ type: 'built', id });
      }
    } catch (err) {
      fail(path, job, err);
    }
  }
  return busy;
}

function schedule(): void {
  if (scheduled || jobs.size === 0) return;
  scheduled = true;
  const run = () => {
    const busy = round();
    scheduled = jobs.size > 0;
    if (!scheduled) return;
    if (busy) setImmediate(run);
    else setTimeout(run, POLL_MS);
  };
  setTimeout(run, 0);
}

port.on('message', (msg: KeyframeWorkerRequest) => {
  try {
    if (msg.type === 'follow') {
      jobs.get(msg.path)?.follower.close();
      open(msg.path, true);
    } else if (msg.type === 'ended') {
      const job = jobs.get(msg.path);
      if (job) job.finishAfter = Date.now() + msg.settleMs;
    } else if (msg.type === 'build') {
      let job = jobs.get(msg.path);
      if (!job) {
        if (isComplete(readIndex(msg.path), castSize(msg.path))) return send({ type: 'built', id: msg.id });
        job = open(msg.path, false);
      }
      job.finishAfter = Math.min(job.finishAfter ?? Date.now(), Date.now());
      job.waiters.push(msg.id);
    }
  } catch (err) {
    if (msg.type === 'build') send({ type: 'built', id: msg.id, error: err instanceof Error ? err.message : String(err) });
    else fail(msg.path, jobs.get(msg.path), err);
  }
  schedule();
});
