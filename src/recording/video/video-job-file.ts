// The record of one video job on disk, `<videosDir>/<sessionId>.job.json` beside its MP4: written atomically, read back after a restart.
//
// Atomic: written to `<name>.tmp`, fsynced, renamed over the record, and the folder fsynced, so a
// crash leaves the old record or the new one, never a torn file. The name starts with the Session
// ID, so the purge (core/purge-files.ts) removes it with the session's MP4 without knowing of it.

import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

export type VideoJobState = 'queued' | 'running' | 'done' | 'failed';

/** What a job file holds. */
export interface VideoJobRecord {
  version: 1;
  sessionId: string;
  state: VideoJobState;
  percent: number;
  error: string | null;
  /** Bytes of the MP4 once done. */
  size: number | null;
  /** What is rendered: the recording and the session start (for the clock). */
  castPath: string;
  sessionStartedAt: string;
  /** Username of who asked, when known. */
  requestedBy: string | null;
  requestedAt: string;
  /** When the last render began and when the job ended (done or failed). */
  renderStartedAt: string | null;
  finishedAt: string | null;
  /** Renders begun, interrupted ones included: a render that keeps taking Vigil down is not retried forever. */
  attempts: number;
}

const SUFFIX = '.job.json';
const NAME = /^([a-f0-9]{16,64})\.job\.json$/;

/** The job file of a session (the id is validated by the caller). */
export function jobFilePath(videosDir: string, sessionId: string): string {
  return join(videosDir, `${sessionId}${SUFFIX}`);
}

/** Writes the record atomically (temp file, fsync, rename, fsync of the folder). */
export async function writeJobFile(videosDir: string, record: VideoJobRecord): Promise<void> {
  const path = jobFilePath(videosDir, record.sessionId);
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(JSON.stringify(record) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const dir = await open(videosDir, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

function isRecord(v: unknown, sessionId: string): v is VideoJobRecord {
  const r = v as Partial<VideoJobRecord> | null;
  return (
    typeof r === 'object' && r !== null && r.version === 1 && r.sessionId === sessionId &&
    ['queued', 'running', 'done', 'failed'].includes(r.state as string) &&
    typeof r.castPath === 'string' && typeof r.sessionStartedAt === 'string' && typeof r.requestedAt === 'string' &&
    typeof r.percent === 'number' && typeof r.attempts === 'number'
  );
}

/** What a videos folder holds after a restart: job records, and leftovers of interrupted writes and renders. */
export interface VideosFolderScan {
  records: VideoJobRecord[];
  /** Session IDs with a finished MP4 (`<id>.mp4`). */
  videos: Set<string>;
  /** Temp files and partial MP4s: never complete, safe to delete before any render starts. */
  leftovers: string[];
  /** Job files that cannot be read as a record. */
  unreadable: string[];
}

/** A render's partial MP4 (`<id>.mp4.part`, `<id>.mp4.<random>.part`) or a record being written (`<id>.job.json.tmp`). */
function isPartial(name: string): boolean {
  return (name.endsWith('.part') && name.includes('.mp4.')) || name.endsWith(`${SUFFIX}.tmp`);
}

/** Deletes the partial MP4s of a session's renders. */
export async function removePartials(videosDir: string, sessionId: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(videosDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const name of names) if (name.startsWith(`${sessionId}.mp4.`) && name.endsWith('.part')) await removeFile(join(videosDir, name));
}

/** Reads a videos folder (a missing folder is an empty one). */
export async function scanVideosFolder(videosDir: string): Promise<VideosFolderScan> {
  const scan: VideosFolderScan = { records: [], videos: new Set(), leftovers: [], unreadable: [] };
  let names: string[];
  try {
    names = await readdir(videosDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return scan;
    throw err;
  }
  for (const name of names) {
    if (isPartial(name)) scan.leftovers.push(join(videosDir, name));
    else if (/^[a-f0-9]{16,64}\.mp4$/.test(name)) scan.videos.add(name.slice(0, -4));
    else {
      const id = NAME.exec(name)?.[1];
      if (!id) continue;
      try {
        const parsed: unknown = JSON.parse(await readFile(join(videosDir, name), 'utf8'));
        if (isRecord(parsed, id)) scan.records.push(parsed);
        else scan.unreadable.push(join(videosDir, name));
      } catch {
        scan.unreadable.push(join(videosDir, name));
      }
    }
  }
  return scan;
}

/** Deletes a file; true when it was there. */
export async function removeFile(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
