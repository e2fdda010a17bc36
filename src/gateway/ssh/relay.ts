// Relays one channel between the user and the target by hand (no pipe(): it loses the exit status),
// with flow control both ways, recording through the live session, its input filter (command rules), and the hub's
// notify/disconnect.

import type { ClientChannel, ServerChannel } from 'ssh2';
import type { Writable } from 'node:stream';
import type { LiveSession, SessionControl } from '../../hub/live-session.js';
import { errMessage, type GatewayLogger } from './auth.js';

export interface RelayOptions {
  user: ServerChannel;
  target: ClientChannel;
  live: LiveSession;
  logger: GatewayLogger;
  /** Above this many bytes waiting in the recorder, target output is paused until it is written (default 8 MiB). */
  maxRecorderBacklog?: number;
  /** False for a binary protocol (sftp): bytes are counted but not recorded as terminal data (default true). */
  recordData?: boolean;
  /** After the user's side closed, how long to wait for the target channel to close (default 2 s). */
  closeGraceMs?: number;
  /** Sees the bytes as they are relayed (the sftp transfer log); it must not throw and cannot change them. */
  watch?: StreamWatch;
  /** False for a channel with no stderr to show text on (a forwarded TCP connection): notify() and disconnect() write nothing (default true). */
  messages?: boolean;
}

/** An observer of a relayed channel: user input as sent to the target, target output (not stderr) as it came. */
export interface StreamWatch {
  fromUser(data: Buffer): void;
  fromTarget(data: Buffer): void;
}

/** How the relay ended, as the adapter saw it. */
export interface RelayResult {
  exitStatus: number | null;
  exitSignal: string | null;
  /** Who ended it: the target (normal exit or dropped connection), the client, or Vigil (hub disconnect). */
  endedBy: 'target' | 'client' | 'vigil';
  /** Plain-words reason for the session row. */
  reason: string;
}

/** Exit status sent to the user when Vigil ends the session (drop, shutdown). */
export const DISCONNECT_EXIT_STATUS = 255;

/**
 * One relay per channel (a session channel, or a forwarded connection). Invariants:
 * - Target output is paused while the user's stdout or stderr buffer is full or the recorder lags; user input is
 *   paused while the target's buffer is full. So a slow side holds the other back instead of growing memory.
 * - The user's channel is closed only after everything written to it has gone out, and the exit status (or signal)
 *   is sent before the close: OpenSSH reports 255 when it never sees one. The target's status is known by then even
 *   when it arrived before start(): the target's 'close' carries it too.
 */
export class Relay implements SessionControl {
  private readonly pauses = new Set<'stdout' | 'stderr' | 'recorder'>();
  private exit: { code: number | null; signal: string | null; dump: boolean; desc: string } = { code: null, signal: null, dump: false, desc: '' };
  private endedBy: RelayResult['endedBy'] | null = null;
  private userFinishing = false;
  private targetClosed = false;
  private userClosed = false;
  private inputPaused = false;
  /** Input that came while the session's input filter held a chunk (checking a command line): sent after it, in order. */
  private held: Buffer[] | null = null;
  private afterRelease: (() => void) | null = null;
  private readonly maxBacklog: number;
  private resolveDone!: (r: RelayResult) => void;
  readonly done: Promise<RelayResult>;

  constructor(private readonly o: RelayOptions) {
    this.maxBacklog = o.maxRecorderBacklog ?? 8 * 1024 * 1024;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Wires both directions; call once the target channel is open. Input the user typed meanwhile is still buffered in the paused user stream. */
  start(): void {
    const { user, target, live, logger } = this.o;
    const onErr = (side: string) => (err: Error) => logger.debug({ sessionId: live.record.sessionId, side, err: errMessage(err) }, 'channel error');
    user.on('error', onErr('user'));
    user.stderr.on('error', onErr('user-stderr'));
    target.on('error', onErr('target'));
    target.stderr.on('error', onErr('target-stderr'));

    target.on('data', (d: Buffer) => this.toUser(d, user, 'stdout'));
    target.stderr.on('data', (d: Buffer) => this.toUser(d, user.stderr, 'stderr'));
    user.on('drain', () => this.resumeTarget('stdout'));
    user.stderr.on('drain', () => this.resumeTarget('stderr'));
    target.on('exit', (code: number | null, signal?: string, dump?: boolean, desc?: string) => this.targetExit(code, signal, dump, desc));
    // ssh2 emits 'exit' the moment the exit-status request is parsed, with nobody listening when it came in the same
    // read as the exec reply (a fast command on a loaded gateway: start() runs a tick after that reply). It keeps
    // the status and passes it to 'close' (code, or null and signal, dump, description), so 'close' completes it.
    target.on('close', (code?: number | null, signal?: string, dump?: boolean, desc?: string) => {
      this.targetExit(code, signal, dump, desc);
      this.endedBy ??= 'target';
      // ssh2 emits 'close' once stdout is consumed, but stderr may still hold data: let it through first.
      const stderr = target.stderr;
      const closed = () => {
        this.targetClosed = true;
        void this.finishUser();
        this.maybeDone();
      };
      if (stderr.readableEnded || stderr.destroyed) closed();
      else {
        stderr.once('end', closed);
        stderr.once('close', closed);
      }
    });

    user.on('data', (d: Buffer) => this.toTarget(d));
    target.on('drain', () => {
      if (this.inputPaused) {
        this.inputPaused = false;
        if (!this.held) user.resume();
      }
    });
    // EOF from the user is passed on as EOF (half-close): `ssh host cmd </dev/null` must still see its output.
    user.on('end', () => {
      const eof = () => {
        if (!this.targetClosed) target.end();
      };
      // Input held by the filter goes out before the EOF.
      if (this.held) this.afterRelease = eof;
      else eof();
    });
    user.on('close', () => this.userGone());
    user.resume();
  }

  /** The target's exit status or signal; the first one known wins (ssh2 reports it once, at 'exit' or 'close'). */
  private targetExit(code: number | null | undefined, signal: string | undefined, dump: boolean | undefined, desc: string | undefined): void {
    if (this.exit.code !== null || this.exit.signal !== null) return;
    if (typeof code === 'number') this.exit = { code, signal: null, dump: false, desc: '' };
    else if (typeof signal === 'string') this.exit = { code: null, signal, dump: dump === true, desc: desc ?? '' };
  }

  private userGone(): void {
    if (this.userClosed) return;
    this.userClosed = true;
    this.endedBy ??= 'client';
    if (!this.targetClosed) {
      safe(() => this.o.target.close());
      setTimeout(() => {
        this.targetClosed = true;
        this.maybeDone();
      }, this.o.closeGraceMs ?? 2000).unref();
    }
    this.maybeDone();
  }

  private toUser(d: Buffer, sink: Writable, which: 'stdout' | 'stderr'): void {
    if (which === 'stdout') this.o.watch?.fromTarget(d);
    if (this.o.recordData === false) this.o.live.opaque('out', d.length);
    else this.o.live.output(d);
    if (this.userFinishing) return;
    if (!sink.write(d)) this.pauseTarget(which);
    if (this.o.live.recorderBacklog > this.maxBacklog && !this.pauses.has('recorder')) {
      this.pauseTarget('recorder');
      void this.o.live.flushRecorder().then(() => this.resumeTarget('recorder'));
    }
  }

  private toTarget(d: Buffer): void {
    // A blocked user's keystrokes are dropped here, never reaching the target or the recording.
    if (!(this.o.recordData === false ? this.o.live.opaque('in', d.length) : this.o.live.input(d))) return;
    // Seen before it is sent, so the watch knows every request before the target can answer it.
    this.o.watch?.fromUser(d);
    if (this.held) this.held.push(d);
    else this.filtered(d);
  }

  /** Through the session's input filter (command rules), which may hold an Enter until the line is checked. */
  private filtered(d: Buffer): void {
    const filter = this.o.recordData === false ? null : this.o.live.inputFilter;
    if (!filter) return this.sendToTarget(d);
    const holding = filter(d, this.filterIO);
    if (!holding) return;
    this.held = [];
    this.o.user.pause();
    holding
      .catch((err: unknown) => this.o.logger.error({ sessionId: this.o.live.record.sessionId, err: errMessage(err) }, 'input filter failed; the held input was not sent'))
      .finally(() => this.release());
  }

  private release(): void {
    const pending = this.held ?? [];
    this.held = null;
    while (pending.length && !this.held) this.filtered(pending.shift()!);
    if (this.held) {
      (this.held as Buffer[]).push(...pending);
      return;
    }
    if (!this.inputPaused && !this.userClosed) this.o.user.resume();
    const after = this.afterRelease;
    this.afterRelease = null;
    after?.();
  }

  private readonly filterIO = {
    toTarget: (d: Buffer) => this.sendToTarget(d),
    toUser: (d: Buffer) => {
      this.o.live.output(d);
      if (!this.userFinishing && !this.userClosed) this.o.user.write(d);
    },
  };

  private sendToTarget(d: Buffer): void {
    if (this.targetClosed) return;
    if (!this.o.target.write(d) && !this.inputPaused) {
      this.inputPaused = true;
      this.o.user.pause();
    }
  }

  private pauseTarget(why: 'stdout' | 'stderr' | 'recorder'): void {
    if (this.pauses.size === 0) {
      this.o.target.pause();
      this.o.target.stderr.pause();
    }
    this.pauses.add(why);
  }

  private resumeTarget(why: 'stdout' | 'stderr' | 'recorder'): void {
    if (this.pauses.delete(why) && this.pauses.size === 0) {
      this.o.target.resume();
      this.o.target.stderr.resume();
    }
  }

  /** The user's whole connection is gone: stop waiting for its channel. */
  abort(): void {
    this.userGone();
  }

  /** Shows a message to the user without ending the session (block, release). */
  notify(message: string): void {
    if (this.userFinishing || this.userClosed || this.o.messages === false) return;
    this.o.user.stderr.write(`\r\n${message}\r\n`);
  }

  /** Shows the message, closes the target channel and ends the user's channel with a non-zero status. */
  disconnect(message: string): void {
    if (this.userFinishing || this.userClosed) return;
    this.endedBy ??= 'vigil';
    if (this.o.messages !== false) this.o.user.stderr.write(`\r\n${message}\r\n`);
    this.exit = { code: DISCONNECT_EXIT_STATUS, signal: null, dump: false, desc: '' };
    safe(() => this.o.target.close());
    void this.finishUser();
  }

  /** Waits until the user's buffers are flushed, then sends the exit status and closes the channel. */
  private async finishUser(): Promise<void> {
    if (this.userFinishing || this.userClosed) return;
    this.userFinishing = true;
    const { user } = this.o;
    await Promise.all([drained(user.stderr, user), drained(user, user)]);
    if (this.userClosed) return;
    const { code, signal, dump, desc } = this.exit;
    if (code !== null) safe(() => user.exit(code));
    else if (signal !== null) {
      try {
        user.exit(signal, dump, desc);
      } catch {
        // A signal name ssh2 does not know: report a generic failure status instead.
        safe(() => user.exit(DISCONNECT_EXIT_STATUS));
      }
    }
    user.end();
  }

  private maybeDone(): void {
    if (!this.targetClosed || !this.userClosed) return;
    const by = this.endedBy ?? 'target';
    const { code, signal } = this.exit;
    const reason =
      by === 'client'
        ? 'client disconnected'
        : by === 'vigil'
          ? 'disconnected by Vigil'
          : code !== null
            ? `exit status ${code}`
            : signal !== null
              ? `killed by signal ${signal}`
              : 'target closed the connection';
    this.resolveDone({ exitStatus: code, exitSignal: signal, endedBy: by, reason });
  }
}

/**
 * Resolves once everything written to `w` so far has gone out, or when `channel` closes (nothing more can be sent).
 * 'drain' is not enough: it only fires after a write() returned false. An empty write's callback runs after all
 * earlier writes completed, since a Writable calls _write in order.
 */
function drained(w: Writable, channel: ServerChannel): Promise<void> {
  if (w.writableLength === 0 || !w.writable) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      channel.off('close', done);
      resolve();
    };
    channel.once('close', done);
    w.write(Buffer.alloc(0), done);
  });
}

function safe(fn: () => void): void {
  try {
    fn();
  } catch {
    // The channel is already closing; nothing left to tell it.
  }
}
