// The wire between the relay thread and the mirror worker: batches of ordered operations on many sessions' mirrors.

import type { MirrorSnapshot } from './terminal-mirror.js';

/**
 * A batch is a sequence of records, each OP_HEADER bytes (u32 LE: mirror id, kind, a, b) followed, for DATA,
 * by `a` bytes of output. Records are in the order the relay made them, across sessions.
 */
export const OP_HEADER = 16;

export const OpKind = {
  /** A new mirror of a×b cells. */
  Open: 1,
  /** `a` bytes of output follow. */
  Data: 2,
  /** Resized to a×b. */
  Resize: 3,
  /** Snapshot request number `a`. */
  Snapshot: 4,
  /** The mirror is released. */
  Close: 5,
  /** The relay dropped output for this mirror (the worker was too far behind): start over on a blank a×b screen. */
  Reset: 6,
} as const;

/** What a mirror may be tuned with (the worker applies them to every mirror). */
export interface MirrorWorkerData {
  /** Nice value of the worker thread (Linux: per thread). */
  nice: number;
  scrollback?: number;
  maxQueueBytes?: number;
  maxShare?: number;
}

export type MirrorRequest = { type: 'ops'; buf: ArrayBuffer; length: number };

export type MirrorReply =
  | {
      type: 'snapshot';
      id: number;
      req: number;
      snap: MirrorSnapshot;
      /** Data and resize operations of this mirror the worker had received when it took the snapshot. */
      opsAt: number;
      /** What it had received after the snapshot: bytes (copied) or a resize [cols, rows]. */
      after: Array<Uint8Array | [number, number]>;
    }
  /** Bytes of output the worker has taken from its messages since the last such reply (backpressure). */
  | { type: 'consumed'; bytes: number };
