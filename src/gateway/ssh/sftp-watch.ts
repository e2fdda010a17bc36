// Watches an SFTP v3 session as the relay passes it on, without changing a byte, and reports each file transfer
// (a file opened, read or written, closed) and each remove and rename the server confirmed.

import { errMessage, type GatewayLogger } from './auth.js';
import type { StreamWatch } from './relay.js';
import { SftpFramer, type SftpPacket } from './sftp-framer.js';

/** The note of a *File transfer* session event (JSON), as the Session Logs read it. */
export interface FileTransferNote {
  path: string;
  /** upload / download for a file's data; remove / rename for those operations (no size). */
  direction: 'upload' | 'download' | 'remove' | 'rename';
  /** Bytes actually transferred: writes the server acknowledged, or data it returned to reads. */
  size?: number;
  /** Set when the file was never closed (the session ended first) or the watch stopped while it was open. */
  incomplete?: true;
  from?: string;
  to?: string;
}

export interface SftpWatchOptions {
  /** Writes one *File transfer* event; awaited by finish(). */
  record: (note: FileTransferNote) => Promise<void>;
  logger: GatewayLogger;
  /** For log lines. */
  sessionId: string;
  /** Requests awaiting a reply, and files open at once, beyond which the watch gives up (default 16384 / 4096). */
  maxPending?: number;
  maxOpen?: number;
}

// SFTP v3 (draft-ietf-secsh-filexfer-02) packet types and flags this watch reads.
const T = { INIT: 1, VERSION: 2, OPEN: 3, CLOSE: 4, READ: 5, WRITE: 6, REMOVE: 13, RENAME: 18, STATUS: 101, HANDLE: 102, DATA: 103, EXTENDED: 200 } as const;
const REPLIES = new Set([101, 102, 103, 104, 105, 201]);
const FXF_WRITE = 0x02;
const FX_OK = 0;
/** SFTP handles are at most 256 bytes (draft, section 3). */
const MAX_HANDLE = 256;

type Pending =
  | { kind: 'open'; path: string; pflags: number }
  | { kind: 'close' | 'read'; handle: string }
  | { kind: 'write'; handle: string; bytes: number }
  | { kind: 'remove'; path: string }
  | { kind: 'rename'; from: string; to: string };

interface OpenFile {
  path: string;
  pflags: number;
  read: number;
  written: number;
}

/**
 * One watch per sftp session. Requests and replies are matched by request id; the client's request is always seen
 * before the server's reply, since the relay shows it to the watch before passing it on. A file's transfer is
 * reported when the server answers its CLOSE, so writes acknowledged before that are all counted. Anything that is
 * not SFTP (a length no peer sends, a first packet that is not INIT/VERSION, a malformed field, too many open
 * requests) stops the watch with a warning; the relay itself never depends on it.
 */
export class SftpWatch implements StreamWatch {
  private readonly client: SftpFramer;
  private readonly server: SftpFramer;
  private readonly pending = new Map<number, Pending>();
  private readonly files = new Map<string, OpenFile>();
  private written: Promise<void> = Promise.resolve();
  private sawInit = false;
  private sawVersion = false;
  private stopped = false;

  constructor(private readonly o: SftpWatchOptions) {
    const wantsWhole = (t: number) => t === T.OPEN || t === T.REMOVE || t === T.RENAME || t === T.EXTENDED;
    this.client = new SftpFramer({ wantsWhole });
    this.server = new SftpFramer();
  }

  fromUser(data: Buffer): void {
    if (this.stopped) return;
    this.client.push(data, (p) => this.guard(() => this.request(p)));
    if (this.client.broken) this.stop(`client stream: ${this.client.broken}`);
  }

  fromTarget(data: Buffer): void {
    if (this.stopped) return;
    this.server.push(data, (p) => this.guard(() => this.reply(p)));
    if (this.server.broken) this.stop(`server stream: ${this.server.broken}`);
  }

  /** The session is over: files still open are reported as incomplete; resolves once every event is written. */
  async finish(): Promise<void> {
    this.reportOpenFiles();
    this.stopped = true;
    await this.written;
  }

  private guard(fn: () => string | null): void {
    if (this.stopped) return;
    let problem: string | null;
    try {
      problem = fn();
    } catch (err) {
      // Not expected (the reader checks every bound), but the relay must never see an exception from here.
      problem = `internal error: ${errMessage(err)}`;
    }
    if (problem) this.stop(problem);
  }

  private request(p: SftpPacket): string | null {
    const r = new Reader(p.head);
    if (!this.sawInit) {
      this.sawInit = true;
      return p.type === T.INIT ? null : `the client's first packet is type ${p.type}, not INIT`;
    }
    if (p.type === T.INIT) return 'a second INIT';
    const id = r.u32();
    if (id === null) return `a request of type ${p.type} without an id`;
    const req = this.parseRequest(p, r);
    if (req === 'malformed') return `a malformed request of type ${p.type}`;
    if (req === null) return null;
    if (this.pending.size >= (this.o.maxPending ?? 16384)) return 'too many requests awaiting a reply';
    this.pending.set(id, req);
    return null;
  }

  /** The request to remember until its reply, null for one this watch ignores. */
  private parseRequest(p: SftpPacket, r: Reader): Pending | null | 'malformed' {
    switch (p.type) {
      case T.OPEN: {
        const path = r.text();
        const pflags = r.u32();
        return path === null || pflags === null ? 'malformed' : { kind: 'open', path, pflags };
      }
      case T.CLOSE:
      case T.READ:
      case T.WRITE: {
        const handle = r.handle();
        if (handle === null) return 'malformed';
        if (!this.files.has(handle)) return null;
        if (p.type !== T.WRITE) return { kind: p.type === T.CLOSE ? 'close' : 'read', handle };
        const bytes = r.skip(8) ? r.u32() : null;
        return bytes === null || bytes > p.length - r.offset ? 'malformed' : { kind: 'write', handle, bytes };
      }
      case T.REMOVE: {
        const path = r.text();
        return path === null ? 'malformed' : { kind: 'remove', path };
      }
      case T.RENAME:
        return this.rename(r);
      case T.EXTENDED: {
        // OpenSSH's sftp renames with this extension whenever the server offers it.
        const name = r.text();
        if (name === null) return 'malformed';
        return name === 'posix-rename@openssh.com' ? this.rename(r) : null;
      }
      default:
        return null;
    }
  }

  private rename(r: Reader): Pending | 'malformed' {
    const from = r.text();
    const to = r.text();
    return from === null || to === null ? 'malformed' : { kind: 'rename', from, to };
  }

  private reply(p: SftpPacket): string | null {
    if (!this.sawVersion) {
      this.sawVersion = true;
      if (p.type !== T.VERSION) return `the server's first packet is type ${p.type}, not VERSION`;
      // Versions 4 and later lay OPEN out differently; OpenSSH speaks 3 only.
      const version = new Reader(p.head).u32();
      return version === 3 ? null : `SFTP version ${version ?? '?'} is not understood (only 3)`;
    }
    if (!REPLIES.has(p.type)) return null;
    const r = new Reader(p.head);
    const id = r.u32();
    if (id === null) return `a reply of type ${p.type} without an id`;
    const req = this.pending.get(id);
    if (!req) return null;
    this.pending.delete(id);
    if (p.type === T.STATUS) return this.status(req, r.u32());
    if (p.type === T.HANDLE && req.kind === 'open') {
      const handle = r.handle();
      if (handle === null) return 'a malformed HANDLE reply';
      if (this.files.size >= (this.o.maxOpen ?? 4096)) return 'too many files open at once';
      this.files.set(handle, { path: req.path, pflags: req.pflags, read: 0, written: 0 });
    } else if (p.type === T.DATA && req.kind === 'read') {
      const bytes = r.u32();
      const file = this.files.get(req.handle);
      if (bytes === null || bytes > p.length - r.offset) return 'a malformed DATA reply';
      if (file) file.read += bytes;
    }
    return null;
  }

  private status(req: Pending, code: number | null): string | null {
    if (code === null) return 'a malformed STATUS reply';
    switch (req.kind) {
      case 'write': {
        const file = this.files.get(req.handle);
        if (file && code === FX_OK) file.written += req.bytes;
        break;
      }
      case 'close': {
        // Closed either way: a refused CLOSE leaves no usable handle behind.
        const file = this.files.get(req.handle);
        this.files.delete(req.handle);
        if (file) this.report(transferOf(file));
        break;
      }
      case 'remove':
        if (code === FX_OK) this.report({ path: req.path, direction: 'remove' });
        break;
      case 'rename':
        if (code === FX_OK) this.report({ path: `${req.from} -> ${req.to}`, direction: 'rename', from: req.from, to: req.to });
        break;
      default:
        // A refused OPEN or READ (end of file included): nothing was transferred by it.
        break;
    }
    return null;
  }

  private stop(reason: string): void {
    if (this.stopped) return;
    this.o.logger.warn({ sessionId: this.o.sessionId, reason }, 'sftp stream not understood; file transfers of this session are no longer logged');
    // What was seen of files still open is still worth telling.
    this.reportOpenFiles();
    this.stopped = true;
    this.pending.clear();
  }

  private reportOpenFiles(): void {
    if (this.stopped) return;
    for (const f of this.files.values()) this.report({ ...transferOf(f), incomplete: true });
    this.files.clear();
  }

  /** Events are written one after another, so the Session Logs list them in the order they happened. */
  private report(note: FileTransferNote): void {
    this.written = this.written.then(() =>
      this.o.record(note).catch((err: unknown) => this.o.logger.error({ sessionId: this.o.sessionId, err: errMessage(err), note }, 'file transfer event could not be written')),
    );
  }
}

/** A file's data went one way: written means an upload, else a download (a file opened to write but unused too). */
function transferOf(f: OpenFile): FileTransferNote {
  const upload = f.written > 0 || (f.read === 0 && (f.pflags & FXF_WRITE) !== 0);
  return { path: f.path, direction: upload ? 'upload' : 'download', size: upload ? f.written : f.read };
}

/** Reads SFTP fields off a packet head; null once a field does not fit (never throws). */
class Reader {
  private at = 0;
  constructor(private readonly b: Buffer) {}

  /** Bytes of the payload read so far. */
  get offset(): number {
    return this.at;
  }

  u32(): number | null {
    if (this.at + 4 > this.b.length) return null;
    const v = this.b.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }

  skip(n: number): boolean {
    if (this.at + n > this.b.length) return false;
    this.at += n;
    return true;
  }

  private bytes(max: number): Buffer | null {
    const n = this.u32();
    if (n === null || n > max || this.at + n > this.b.length) return null;
    const v = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }

  /** A path or name (UTF-8, as OpenSSH sends them). */
  text(): string | null {
    return this.bytes(this.b.length)?.toString('utf8') ?? null;
  }

  /** A handle as a map key (its bytes, unchanged). */
  handle(): string | null {
    return this.bytes(MAX_HANDLE)?.toString('latin1') ?? null;
  }
}
