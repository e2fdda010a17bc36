// The file a recording is appended to: a narrow seam over fs.promises.FileHandle so tests can inject I/O faults.

import { open } from 'node:fs/promises';

/** An append-only file. Calls are never overlapped by the writer: each resolves before the next starts. */
export interface RecordingFile {
  /** Writes the buffers in order at the current end; resolves with the bytes written (may be fewer than given). */
  writev(buffers: Buffer[]): Promise<number>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Opens `path` for a new recording: created exclusively (never overwrites another recording), mode 0600. */
export async function openRecordingFile(path: string): Promise<RecordingFile> {
  const fh = await open(path, 'wx', 0o600);
  return {
    writev: async (buffers) => (await fh.writev(buffers)).bytesWritten,
    sync: () => fh.sync(),
    close: () => fh.close(),
  };
}
