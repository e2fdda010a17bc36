// What the relay's thread and the recorder worker say to each other: messages, and the binary framing of event batches.

import type { RecordingHeader, RecordingSummary } from '../core/ports.js';
import type { ErrorKind } from '../core/errors.js';

/** An error as it crosses the thread boundary (structured clone keeps neither the class nor the kind). */
export interface WireError {
  message: string;
  kind?: ErrorKind;
  code?: string;
  cause?: string;
}

/** Main thread → worker. Messages are handled in the order they were posted. */
export type RecorderRequest =
  /** Event times are milliseconds since the recorder was handed out, on the relay thread's clock. */
  | { type: 'open'; id: number; path: string; header: RecordingHeader; flushIntervalMs: number }
  /** Events of any number of recordings, framed as {@link BatchWriter} writes them; `buf` is transferred. */
  | { type: 'events'; buf: ArrayBuffer; length: number }
  | { type: 'flush'; id: number; token: number }
  | { type: 'close'; id: number };

/** Per recording: raw bytes of events it has taken in, and bytes it has encoded but not yet written. */
export type Progress = [id: number, consumed: number, unwritten: number];

/** Worker → main thread. */
export type RecorderReply =
  | { type: 'opened'; id: number }
  | { type: 'open-failed'; id: number; error: WireError }
  | { type: 'progress'; rows: Progress[] }
  | { type: 'failed'; id: number; error: WireError }
  | { type: 'flushed'; id: number; token: number }
  /** `summary` is null for a recording the worker does not know (its open failed, or it was closed before). */
  | { type: 'closed'; id: number; summary: RecordingSummary | null };

/** Event kinds in a batch. */
export const OUTPUT = 0;
export const INPUT = 1;
export const RESIZE = 2;
export type EventKind = typeof OUTPUT | typeof INPUT | typeof RESIZE;

/** Bytes before each event's data: recording id (u32), kind (u32), time in ms (f64), data length (u32). */
export const EVENT_HEADER = 20;

/** The error to send across; keeps the kind of a VigilError and the message of its cause. */
export function toWire(err: unknown): WireError {
  if (!(err instanceof Error)) return { message: String(err) };
  const e = err as Error & { kind?: ErrorKind; code?: unknown };
  const out: WireError = { message: e.message };
  if (typeof e.kind === 'string') out.kind = e.kind;
  if (typeof e.code === 'string') out.code = e.code;
  if (e.cause !== undefined) out.cause = e.cause instanceof Error ? e.cause.message : String(e.cause);
  return out;
}

/** Calls `fn` for each event of a batch; `data` is a view into `buf`, valid only during the call. */
export function readBatch(buf: ArrayBuffer, length: number, fn: (id: number, kind: EventKind, ms: number, data: Buffer) => void): void {
  const view = new DataView(buf, 0, length);
  for (let at = 0; at < length; ) {
    const id = view.getUint32(at, true);
    const kind = view.getUint32(at + 4, true) as EventKind;
    const ms = view.getFloat64(at + 8, true);
    const len = view.getUint32(at + 16, true);
    fn(id, kind, ms, Buffer.from(buf, at + EVENT_HEADER, len));
    at += EVENT_HEADER + len;
  }
}
