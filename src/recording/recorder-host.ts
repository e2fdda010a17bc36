// The recorder worker's side: one AsciicastWriter per recording, fed with the event batches the relay's thread posts.

import type { MessagePort } from 'node:worker_threads';
import type { Recorder } from '../core/ports.js';
import { AsciicastWriter } from './asciicast-writer.js';
import { INPUT, OUTPUT, readBatch, toWire, type Progress, type RecorderReply, type RecorderRequest } from './recorder-protocol.js';
import type { RecordingFile } from './recording-file.js';

export interface RecorderHostOptions {
  /** Opens a recording file; default: create exclusively with mode 0600 (test workers inject faults here). */
  openFile?: (path: string) => Promise<RecordingFile>;
}

interface Hosted {
  /** Null until the file is open. */
  writer: AsciicastWriter | null;
  /** The time of the event being handed to the writer, on the relay's clock since open (the writer's `now`). */
  ms: number;
  /** Bytes of events handed to the writer. */
  consumed: number;
}

/**
 * Serves recorders on `port` until it closes. Invariants:
 * - Each recording is an {@link AsciicastWriter} whose clock is the relay thread's time of the event being
 *   handed over, so the file holds what the writer makes on the relay's thread (timer flushes aside).
 * - Requests are handled in the order posted: events before a flush or close are in the file before its reply.
 * - Progress (bytes taken in, bytes not yet written) is reported after each batch and after each write, at
 *   most once per turn of the event loop; the relay's thread bases its backpressure on it.
 */
export function serveRecorders(port: MessagePort, opts: RecorderHostOptions = {}): void {
  const hosted = new Map<number, Hosted>();
  const dirty = new Set<number>();
  let reporting = false;

  const send = (msg: RecorderReply): void => port.postMessage(msg);
  const report = (): void => {
    reporting = false;
    const rows: Progress[] = [];
    for (const id of dirty) {
      const h = hosted.get(id);
      if (h?.writer) rows.push([id, h.consumed, h.writer.pendingBytes]);
    }
    dirty.clear();
    if (rows.length > 0) send({ type: 'progress', rows });
  };
  const touched = (id: number): void => {
    dirty.add(id);
    if (!reporting) {
      reporting = true;
      setImmediate(report);
    }
  };

  const open = async (m: Extract<RecorderRequest, { type: 'open' }>): Promise<void> => {
    const h: Hosted = { writer: null, ms: 0, consumed: 0 };
    hosted.set(m.id, h);
    try {
      h.writer = await AsciicastWriter.open({
        path: m.path,
        header: m.header,
        flushIntervalMs: m.flushIntervalMs,
        now: () => h.ms,
        openFile: opts.openFile,
        onWritten: () => touched(m.id),
      });
    } catch (err) {
      hosted.delete(m.id);
      send({ type: 'open-failed', id: m.id, error: toWire(err) });
      return;
    }
    h.writer.onError((err) => send({ type: 'failed', id: m.id, error: toWire(err) }));
    send({ type: 'opened', id: m.id });
  };

  const events = (buf: ArrayBuffer, length: number): void => {
    readBatch(buf, length, (id, kind, ms, data) => {
      const h = hosted.get(id);
      // Events only follow an open that succeeded: the relay's thread hands out a recorder after 'opened'.
      if (!h?.writer) return;
      h.ms = ms;
      const w: Recorder = h.writer;
      if (kind === OUTPUT) w.output(data);
      else if (kind === INPUT) w.input(data);
      else w.resize(data.readUInt32LE(0), data.readUInt32LE(4));
      h.consumed += data.length;
      touched(id);
    });
  };

  port.on('message', (m: RecorderRequest) => {
    switch (m.type) {
      case 'open':
        void open(m);
        return;
      case 'events':
        events(m.buf, m.length);
        return;
      case 'flush': {
        const w = hosted.get(m.id)?.writer;
        void (w ? w.flush() : Promise.resolve()).then(() => {
          report();
          send({ type: 'flushed', id: m.id, token: m.token });
        });
        return;
      }
      case 'close': {
        const w = hosted.get(m.id)?.writer;
        if (!w) {
          send({ type: 'closed', id: m.id, summary: null });
          return;
        }
        void w.close().then((summary) => {
          hosted.delete(m.id);
          dirty.delete(m.id);
          send({ type: 'closed', id: m.id, summary });
        });
      }
    }
  });
}
