// The files of sessions on disk, as the purge sees them: a recording and what was derived from it, found by name.

import type { Dirent } from 'node:fs';
import { lstat, opendir, readdir, realpath, rm, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { PurgeFiles, StoredFile } from './purge-service.js';

/** Session IDs the recording store accepts (FileRecordingStore.pathFor): 16–64 lowercase hex digits. */
const SESSION_ID = /^[0-9a-f]{16,64}$/;
/** The Session ID a file name starts with: a run of hex digits not followed by a letter or digit. */
const NAME_PREFIX = /^([0-9a-f]{16,64})(?![0-9A-Za-z])/;

export interface FsPurgeFilesOptions {
  /** `<dataDir>/recordings`: `YYYY/MM/DD/<sessionId>.cast` and files derived beside it. */
  recordingsDir: string;
  /** `<dataDir>/videos`: `<sessionId>.mp4` and its job record `<sessionId>.job.json` (all `<sessionId>.*`). */
  videosDir: string;
  /** Paths in events and reports are shown relative to this (default: the parent of recordingsDir). */
  root?: string;
}

/** Groups a folder's entries by the Session ID their names start with. */
type FolderIndex = Map<string, Dirent[]>;

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * {@link PurgeFiles} over the local filesystem. A session's files are, in its recording's folder and in the videos
 * folder, the entries named by its Session ID followed by nothing or by a character that is not a letter or digit;
 * hex Session IDs of different lengths therefore never claim each other's files.
 */
export class FsPurgeFiles implements PurgeFiles {
  private readonly recordingsDir: string;
  private readonly videosDir: string;
  private readonly root: string;

  constructor(opts: FsPurgeFilesOptions) {
    this.recordingsDir = resolve(opts.recordingsDir);
    this.videosDir = resolve(opts.videosDir);
    this.root = resolve(opts.root ?? dirname(this.recordingsDir));
  }

  async list(sessions: ReadonlyArray<{ sessionId: string; recordingPath: string }>): Promise<Array<{ files: string[]; problem?: string }>> {
    // One listing per folder per call: a batch of sessions shares its day folders.
    const indexes = new Map<string, Promise<FolderIndex>>();
    const indexOf = (dir: string) => {
      let p = indexes.get(dir);
      if (!p) indexes.set(dir, (p = this.index(dir)));
      return p;
    };
    return Promise.all(
      sessions.map(async (s) => {
        const recording = resolve(s.recordingPath);
        const folder = dirname(recording);
        try {
          if (!(await this.insideRecordings(folder))) {
            return { files: [], problem: `recording path ${s.recordingPath} is outside the recordings folder ${this.recordingsDir}` };
          }
          if (!SESSION_ID.test(s.sessionId)) {
            // A Session ID outside the naming scheme cannot be matched by prefix safely: only the recording itself goes.
            return { files: (await this.exists(recording)) ? [recording] : [] };
          }
          const files: string[] = [];
          for (const dir of [folder, this.videosDir]) {
            for (const e of (await indexOf(dir)).get(s.sessionId) ?? []) files.push(join(dir, e.name));
          }
          return { files };
        } catch (err) {
          return { files: [], problem: `cannot list the files of ${this.describe(recording)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
        }
      }),
    );
  }

  /** True when `folder` is the recordings folder or below it, by path or, through symbolic links, by real path. */
  private async insideRecordings(folder: string): Promise<boolean> {
    const inside = (dir: string, root: string) => dir === root || dir.startsWith(root + sep);
    if (inside(folder, this.recordingsDir)) return true;
    const real = (p: string) => realpath(p).catch((err: unknown) => (isMissing(err) ? null : Promise.reject(err)));
    const [dir, root] = await Promise.all([real(folder), real(this.recordingsDir)]);
    return dir !== null && root !== null && inside(dir, root);
  }

  private async index(dir: string): Promise<FolderIndex> {
    const index: FolderIndex = new Map();
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return index;
      throw err;
    }
    for (const e of entries) {
      const id = NAME_PREFIX.exec(e.name)?.[1];
      if (id === undefined) continue;
      const list = index.get(id);
      if (list) list.push(e);
      else index.set(id, [e]);
    }
    return index;
  }

  private async exists(path: string): Promise<boolean> {
    try {
      await lstat(path);
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  async remove(path: string): Promise<boolean> {
    try {
      await unlink(path);
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      const code = (err as NodeJS.ErrnoException).code;
      // A derived folder (frames of a video being made): unlink refuses folders (EISDIR on Linux, EPERM on macOS).
      if (code === 'EISDIR' || code === 'EPERM') {
        const st = await lstat(path).catch(() => null);
        if (st?.isDirectory()) {
          await rm(path, { recursive: true, force: true });
          return true;
        }
      }
      throw err;
    }
  }

  async *walk(): AsyncIterable<StoredFile> {
    for (const top of [this.recordingsDir, this.videosDir]) yield* this.walkDir(top, top === this.recordingsDir);
  }

  private async *walkDir(dir: string, recurse: boolean): AsyncGenerator<StoredFile> {
    let handle;
    try {
      handle = await opendir(dir);
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    const subdirs: string[] = [];
    for await (const e of handle) {
      const path = join(dir, e.name);
      // In the recordings tree, folders are the YYYY/MM/DD layout; anything else is a file of some session.
      if (e.isDirectory() && recurse && !NAME_PREFIX.test(e.name)) subdirs.push(path);
      else yield { path, sessionId: NAME_PREFIX.exec(e.name)?.[1] ?? null };
    }
    for (const sub of subdirs) yield* this.walkDir(sub, recurse);
  }

  async modifiedAt(path: string): Promise<Date | null> {
    try {
      return (await lstat(path)).mtime;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  describe(path: string): string {
    const rel = relative(this.root, path);
    return rel.startsWith('..') ? path : rel.split(sep).join('/');
  }
}
