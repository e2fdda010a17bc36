// Recordings as asciicast files under one directory, laid out by the UTC start date of the session.

import { join, resolve, sep } from 'node:path';
import type { Recorder, RecordingHeader, RecordingStore, RecordingSummary } from '../core/ports.js';
import { VigilError } from '../core/errors.js';
import { AsciicastWriter } from './asciicast-writer.js';
import { repairRecording } from './asciicast-repair.js';
import type { RecorderPool } from './recorder-pool.js';
import type { RecordingFile } from './recording-file.js';

const SESSION_ID = /^[a-f0-9]{16,64}$/;

export interface FileRecordingStoreOptions {
  /** Root directory of the recordings; created on first use (0700). */
  dir: string;
  /** Monotonic milliseconds for event times; default `performance.now`. */
  now?: () => number;
  /** See {@link AsciicastWriterOptions.flushIntervalMs}. */
  flushIntervalMs?: number;
  /** See {@link AsciicastWriterOptions.openFile} (tests inject faults here). Not with `pool`. */
  openFile?: (path: string) => Promise<RecordingFile>;
  /**
   * Records on this pool's worker thread (Vigil's server does: encoding, hashing and writing stay off the
   * relay's thread). Without it, each recording is an {@link AsciicastWriter} on the calling thread.
   */
  pool?: RecorderPool;
}

/** A {@link RecordingStore} writing `<dir>/YYYY/MM/DD/<sessionId>.cast` (UTC date of the session start). */
export class FileRecordingStore implements RecordingStore {
  private readonly dir: string;

  constructor(private readonly opts: FileRecordingStoreOptions) {
    if (opts.pool && opts.openFile) throw VigilError.badRequest('openFile cannot be used with a recorder pool (faults are injected in its worker)');
    this.dir = resolve(opts.dir);
  }

  /** The absolute path of a session's recording. Throws BadRequest for a session id that is not 16–64 lowercase hex digits. */
  pathFor(sessionId: string, startedAt: Date): string {
    if (!SESSION_ID.test(sessionId)) throw VigilError.badRequest('invalid session id for a recording');
    if (Number.isNaN(startedAt.getTime())) throw VigilError.badRequest('invalid session start time');
    const y = String(startedAt.getUTCFullYear()).padStart(4, '0');
    const m = String(startedAt.getUTCMonth() + 1).padStart(2, '0');
    const d = String(startedAt.getUTCDate()).padStart(2, '0');
    return join(this.dir, y, m, d, `${sessionId}.cast`);
  }

  async open(sessionId: string, startedAt: Date, header: RecordingHeader): Promise<Recorder> {
    const path = this.pathFor(sessionId, startedAt);
    if (this.opts.pool) return this.opts.pool.open({ path, header, now: this.opts.now, flushIntervalMs: this.opts.flushIntervalMs });
    return AsciicastWriter.open({
      path,
      header,
      now: this.opts.now,
      flushIntervalMs: this.opts.flushIntervalMs,
      openFile: this.opts.openFile,
    });
  }

  /** Repairs a recording of this store (see {@link repairRecording}); a path outside the store's directory is refused. */
  async repair(path: string): Promise<RecordingSummary | null> {
    const abs = resolve(path);
    if (!abs.startsWith(this.dir + sep)) throw VigilError.badRequest('recording path is outside the recordings directory');
    return repairRecording(abs);
  }
}
