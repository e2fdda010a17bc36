// The search worker thread: reads sessions' recordings (live ones as they are written) and indexes the lines they
// displayed in search.db; also writes the commands the main thread sends. The thread's own composition root.
//
// The .cast file is the queue (as for keyframes): the relay only writes the recording, and this thread reads it back
// at its own pace, in slices, round robin, at a lower priority. So indexing (FTS5 costs ~0.15–0.3 s of CPU per MB)
// never slows the relay, bulk output is indexed late rather than dropped, and how far each recording was read is
// committed with its lines, so a restart resumes where it stopped.

import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { IndexedLine } from '../../core/session-logs.js';
import { openCastSync, type CastSource } from '../../recording/cast-source.js';
import { lineEvent, SyncCastLines } from '../../recording/keyframes/cast-lines.js';
import { openSearchDb, SearchTextWriter } from '../../store/search-index.js';
import { WordBackfill, wordsPending } from '../../store/search-words.js';
import { TextLines } from './text-lines.js';
import { nameThread } from '../../core/thread-name.js';

/** Messages from the main thread. */
export type SearchWorkerRequest =
  | { type: 'follow'; sessionId: number; path: string }
  | { type: 'ended'; sessionId: number; settleMs: number }
  | { type: 'lines'; lines: IndexedLine[] }
  | { type: 'flush'; id: number };

/** Messages to the main thread. */
export type SearchWorkerReply = { type: 'flushed'; id: number } | { type: 'failed'; sessionId: number; error: string };

export interface SearchWorkerData {
  file: string;
  /** Distinct line text indexed per session at most (the Session Logs search reads the recording for the rest). */
  maxIndexedBytes?: number;
}

/** Recording bytes read per session per round, and in one transaction. */
const SLICE_BYTES = 512 * 1024;
const POLL_MS = 250;
const MAX_DISTINCT = 50_000;
/** Words copied per step of the backfill of indexed_words at most, and the time a step reads them for (roughly). */
const BACKFILL_WORDS = 20_000;
const BACKFILL_MS = 100;

interface Job {
  sessionId: number;
  path: string;
  src: CastSource;
  lines: SyncCastLines;
  text: TextLines;
  time: number;
  pending: IndexedLine[];
  seen: Set<string>;
  indexed: number;
  finishAfter: number | null;
}

const port = parentPort;
nameThread('vigil-search');
if (!port) throw new Error('search-worker must run in a worker thread');
const data = workerData as SearchWorkerData;
const maxIndexed = data.maxIndexedBytes ?? 32 * 1024 * 1024;
const db = openSearchDb(data.file);
const writer = new SearchTextWriter(db);
const jobs = new Map<number, Job>();
let waiting: number[] = [];
let scheduled = false;
try {
  // On Linux the nice value is per thread: the relay and the API keep priority over indexing. The lowest priority:
  // on a busy machine this work (which can wait, and catches up when the transfer ends) took CPU from the relay
  // and from ssh/sshd at nice 10 (bench/run.ts, 200 MB of text: 0.39x direct at nice 10, 0.47x at nice 19).
  setPriority(19);
} catch {
  // Not permitted here: run at normal priority.
}

function open(sessionId: number, path: string, offset: number, finishAfter: number | null): void {
  // Plain while the session runs; compressed when a restart resumes a recording closed since.
  const src = openCastSync(path);
  const job: Job = { sessionId, path, src, lines: new SyncCastLines(src, offset, 256 * 1024), text: null as unknown as TextLines, time: 0, pending: [], seen: new Set(), indexed: 0, finishAfter };
  job.text = new TextLines((line) => {
    if (job.indexed > maxIndexed || job.seen.has(line)) return;
    if (job.seen.size < MAX_DISTINCT) job.seen.add(line);
    job.indexed += line.length;
    job.pending.push({ sessionId, offset: Math.round(job.time * 1000) / 1000, kind: 'output', text: line });
  });
  jobs.set(sessionId, job);
}

function close(job: Job): void {
  jobs.delete(job.sessionId);
  job.src.close();
}

/** A slice of one recording: its output lines and the new read position, in one transaction. Returns whether more is on disk. */
function slice(job: Job, now: number): boolean {
  let read = 0;
  let eof = false;
  while (read < SLICE_BYTES) {
    const line = job.lines.next();
    if (!line) {
      eof = true;
      break;
    }
    read += line.bytes.length + 1;
    const e = lineEvent(line.bytes);
    if (e?.type === 'o') {
      job.time = e.time;
      job.text.write(e.data);
    }
  }
  const done = eof && job.finishAfter !== null && now >= job.finishAfter;
  if (done) job.text.flush();
  // False when a purge removed the session's text meanwhile: nothing was written, and the recording is not read on.
  const wanted = read > 0 || done ? writer.fromRecording(job.sessionId, job.path, job.lines.offset, done, job.pending) : true;
  job.pending = [];
  if (done || !wanted) close(job);
  return !eof && wanted;
}

function round(): boolean {
  let busy = false;
  const now = Date.now();
  for (const job of [...jobs.values()]) {
    try {
      if (slice(job, now)) busy = true;
    } catch (err) {
      close(job);
      port!.postMessage({ type: 'failed', sessionId: job.sessionId, error: err instanceof Error ? err.message : String(err) } satisfies SearchWorkerReply);
    }
  }
  if (!busy && waiting.length) {
    for (const id of waiting) port!.postMessage({ type: 'flushed', id } satisfies SearchWorkerReply);
    waiting = [];
  }
  return busy;
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  const run = () => {
    const busy = round();
    scheduled = jobs.size > 0 || waiting.length > 0;
    if (!scheduled) return;
    if (busy || waiting.length) setImmediate(run);
    else setTimeout(run, POLL_MS);
  };
  setTimeout(run, 0);
}

port.on('message', (msg: SearchWorkerRequest) => {
  try {
    if (msg.type === 'follow') {
      const done = writer.progress(msg.sessionId);
      if (!jobs.has(msg.sessionId) && !done?.done) open(msg.sessionId, msg.path, done?.offset ?? 0, null);
    } else if (msg.type === 'ended') {
      const job = jobs.get(msg.sessionId);
      if (job) job.finishAfter = Date.now() + msg.settleMs;
    } else if (msg.type === 'lines') {
      writer.insert(msg.lines);
    } else if (msg.type === 'flush') {
      waiting.push(msg.id);
    }
  } catch (err) {
    if (msg.type === 'follow' || msg.type === 'ended') port.postMessage({ type: 'failed', sessionId: msg.sessionId, error: err instanceof Error ? err.message : String(err) } satisfies SearchWorkerReply);
  }
  schedule();
});

// Recordings a previous run did not finish reading: those sessions are over now.
for (const u of writer.unfinished()) {
  try {
    open(u.sessionId, u.path, u.offset, 0);
  } catch {
    writer.fromRecording(u.sessionId, u.path, u.offset, true, []);
  }
}
if (jobs.size) schedule();

// A file indexed before indexed_words existed: fill it from the word index, a step a turn of the event loop, between
// the slices of recordings and the messages (each step is one transaction, and where it stopped is saved with it).
// Searches list completions the old, slower way until it is over; a restart resumes it.
if (wordsPending(db)) {
  const backfill = new WordBackfill(db);
  const step = () => {
    try {
      if (backfill.step(BACKFILL_WORDS, BACKFILL_MS)) setImmediate(step);
    } catch {
      // The file was busy past the 5 s timeout (a purge's long transaction): try again later.
      setTimeout(step, 1000);
    }
  };
  setImmediate(step);
}
