// The hub of live sessions: starts and ends them (store, recording, events), lists them, and carries out block and drop.

import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Clock } from '../core/clock.js';
import { VigilError } from '../core/errors.js';
import type { BlockRepo, CounterUpdate, EventRepo, RecordingStore, SessionRepo } from '../core/ports.js';
import type { SessionEventName, SessionProtocol, SessionRecord, SessionType } from '../core/types.js';
import { LiveStream, type LiveMirror } from './live-stream.js';
import { LiveSession, type SessionOutcome, type SessionTap } from './live-session.js';
import { formatBlockTime, MESSAGES } from './messages.js';

/** Minimal logger the hub needs (pino satisfies it). */
export interface HubLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SessionHubOptions {
  sessions: SessionRepo;
  events: EventRepo;
  blocks: BlockRepo;
  recordings: RecordingStore;
  clock: Clock;
  logger: HubLogger;
  /** Random Session ID generator; 32 hex characters by default. */
  newSessionId?: () => string;
  /** How often live byte counters are saved (ms). */
  counterIntervalMs?: number;
  /** Writes keyframes beside each recording while its session runs (Session Video seek); optional. */
  keyframes?: { track(castPath: string): SessionTap };
  /** Settings read when a session starts: default auditors and what a recording failure does. */
  policy?: SessionPolicy;
  /** Makes each session's live terminal mirror (the mirror worker's pool); default: one on this thread per session. */
  mirrors?: { create(cols: number, rows: number): LiveMirror };
}

/** Per-session policies kept in settings. */
export interface SessionPolicy {
  /** User ids added as auditors of every new session. */
  defaultAuditors(): Promise<number[]>;
  /** 'drop' (default, the safe choice for PAM) ends a session that cannot be recorded; 'continue' keeps it and alerts. */
  recordingFailure(): Promise<'drop' | 'continue'>;
}

/** Who the session belongs to and where it goes. */
export interface SessionRequest {
  user: { id: number; username: string };
  originIp: string;
  credential: { id: number | null; label: string };
  device: { id: number | null; name: string };
  host: string;
  protocol?: SessionProtocol;
  type: SessionType;
  command: string | null;
  cols?: number;
  rows?: number;
  term?: string;
}

/** Who asked for an administrative action. */
export interface HubActor {
  userId: number | null;
  username: string;
}

export type HubChange = { kind: 'started' | 'updated' | 'ended'; session: SessionRecord };

export class SessionHub {
  private readonly live = new Map<number, LiveSession>();
  /** Counters last written per live session, so that idle sessions are not written again. */
  private readonly savedCounters = new Map<number, { bytesIn: number; bytesOut: number }>();
  /** The Live Stream (terminal mirror + viewers) of each live session. */
  private readonly streams = new Map<number, LiveStream>();
  private readonly emitter = new EventEmitter();
  private readonly counterTimer: NodeJS.Timeout;

  constructor(private readonly o: SessionHubOptions) {
    this.emitter.setMaxListeners(0);
    // Saving counters on a timer keeps the relay path free of database writes.
    this.counterTimer = setInterval(() => void this.saveCounters(), o.counterIntervalMs ?? 5000);
    this.counterTimer.unref();
  }

  private newSessionId(): string {
    return this.o.newSessionId?.() ?? randomBytes(16).toString('hex');
  }

  /** Subscribes to session changes (list updates). Returns the unsubscribe function. */
  onChange(listener: (c: HubChange) => void): () => void {
    this.emitter.on('change', listener);
    return () => this.emitter.off('change', listener);
  }
  private emit(c: HubChange): void {
    this.emitter.emit('change', c);
  }

  private admission: ((s: LiveSession) => Promise<string | null>) | null = null;

  /**
   * Sets the check a session passes after it started and before its channel to the target opens (the command
   * rules refusing an exec command). It resolves with the reason shown to the user, or null to go on.
   */
  setAdmission(check: ((s: LiveSession) => Promise<string | null>) | null): void {
    this.admission = check;
  }

  /** The admission check of a started session: null to go on, else why it is refused. */
  async admit(s: LiveSession): Promise<string | null> {
    return this.admission ? this.admission(s) : null;
  }

  /** The Live Stream of an active session, or null. */
  liveStream(id: number): LiveStream | null {
    return this.streams.get(id) ?? null;
  }

  get(id: number): LiveSession | undefined {
    return this.live.get(id);
  }
  list(): LiveSession[] {
    return [...this.live.values()];
  }

  /** The message refusing a new session when the user is blocked, or null. */
  async blockMessage(userId: number): Promise<string | null> {
    const b = await this.o.blocks.activeFor(userId);
    return b ? MESSAGES.preventedToStart(b.blockedBy, formatBlockTime(b.blockedAt)) : null;
  }

  /** Starts a recorded session; it is active until end() is called on it. */
  async start(req: SessionRequest): Promise<LiveSession> {
    const startedAt = this.o.clock.now();
    const sessionId = this.newSessionId();
    const cols = req.cols ?? 80;
    const rows = req.rows ?? 24;
    const recorder = await this.o.recordings.open(sessionId, startedAt, {
      width: cols,
      height: rows,
      timestamp: Math.floor(startedAt.getTime() / 1000),
      title: `${req.user.username} → ${req.credential.label}@${req.device.name}`,
      ...(req.command ? { command: req.command } : {}),
      env: { TERM: req.term ?? 'xterm-256color', SHELL: '' },
    });
    let record: SessionRecord;
    try {
      record = await this.o.sessions.create({
        sessionId,
        userId: req.user.id,
        user: req.user.username,
        originIp: req.originIp,
        credentialId: req.credential.id,
        credential: req.credential.label,
        deviceId: req.device.id,
        device: req.device.name,
        host: req.host,
        protocol: req.protocol ?? (req.type === 'sftp' ? 'SFTP' : 'SSH'),
        type: req.type,
        command: req.command,
        status: 'active',
        startedAt,
        recordingPath: recorder.path,
        // Null when the channel has no pty (plain exec, sftp): the command log tells pty sessions by this.
        cols: req.cols ?? null,
        rows: req.rows ?? null,
      });
    } catch (err) {
      // No session row: the recorder must not stay open (its file is an empty, header-only recording).
      await recorder.close().catch(() => undefined);
      throw err;
    }
    const onFailure = (await this.o.policy?.recordingFailure().catch(() => 'drop' as const)) ?? 'drop';
    const session = new LiveSession({
      record,
      recorder,
      clock: this.o.clock,
      onEnd: (s, outcome, rec) => this.finish(s, outcome, rec),
      onRecordingError: (s, err) => {
        if (onFailure === 'continue') {
          this.o.logger.error({ sessionId: s.record.sessionId, err: err.message, alert: true }, 'recording failed; session continues unrecorded (recording.onFailure=continue)');
          return;
        }
        // PAM default: a session that cannot be recorded must not go on unrecorded.
        this.o.logger.error({ sessionId: s.record.sessionId, err: err.message }, 'recording failed; dropping session');
        s.forceEnd({ status: 'failed', exitStatus: null, reason: 'recording failed', errorMessage: `Recording failed: ${err.message}` }, MESSAGES.disconnected);
      },
    });
    this.live.set(record.id, session);
    // Every live session keeps its screen current, so a viewer joining at any time gets the exact screen at once.
    if (req.type !== 'sftp') {
      const stream = new LiveStream({ cols, rows, source: this.o.mirrors?.create(cols, rows) });
      this.streams.set(record.id, stream);
      session.addTap(stream);
    }
    // The keyframe writer reads the recording file back off the relay path; the tap only tells it when the session ends.
    if (this.o.keyframes) session.addTap(this.o.keyframes.track(recorder.path));
    await this.event(record.id, req.user.id, req.user.username, 'Started', `${record.type}${req.command ? `: ${req.command}` : ''}`);
    const auditors = (await this.o.policy?.defaultAuditors().catch(() => [])) ?? [];
    if (auditors.length > 0) {
      await this.o.sessions.setAuditors(record.id, auditors);
      await this.event(record.id, null, 'vigil', 'Auditors changed', `default auditors added: user ids ${auditors.join(', ')}`);
    }
    this.o.logger.info({ sessionId, user: req.user.username, target: `${req.credential.label}@${req.device.name}`, type: req.type }, 'session started');
    this.emit({ kind: 'started', session: record });
    return session;
  }

  /** Stores a session that could not be opened (no grant, target down, host key mismatch...). */
  async recordFailure(req: SessionRequest, reason: string): Promise<SessionRecord> {
    const at = this.o.clock.now();
    const record = await this.o.sessions.create({
      sessionId: this.newSessionId(),
      userId: req.user.id,
      user: req.user.username,
      originIp: req.originIp,
      credentialId: req.credential.id,
      credential: req.credential.label,
      deviceId: req.device.id,
      device: req.device.name,
      host: req.host,
      protocol: req.protocol ?? (req.type === 'sftp' ? 'SFTP' : 'SSH'),
      type: req.type,
      command: req.command,
      status: 'failed',
      startedAt: at,
      recordingPath: null,
      cols: req.cols ?? null,
      rows: req.rows ?? null,
    });
    await this.o.sessions.end(record.id, { status: 'failed', endedAt: at, exitStatus: null, bytesIn: 0, bytesOut: 0, endReason: reason, errorMessage: reason, recordingSize: null, recordingDuration: null, recordingSha256: null });
    const stored = (await this.o.sessions.get(record.id))!;
    this.o.logger.warn({ sessionId: stored.sessionId, user: req.user.username, reason }, 'session failed');
    this.emit({ kind: 'ended', session: stored });
    return stored;
  }

  private async finish(s: LiveSession, outcome: SessionOutcome, recorder: LiveSessionRecorder): Promise<SessionRecord> {
    try {
      return await this.store(s, outcome, recorder);
    } finally {
      this.streams.get(s.id)?.finish(outcome.status ?? 'completed');
      this.streams.delete(s.id);
      // Even when storing the end failed (the row stays active and start-up recovery closes it), the session is no
      // longer live: keeping it would leak it and show a ghost in the live list.
      this.live.delete(s.id);
    }
  }

  private async store(s: LiveSession, outcome: SessionOutcome, recorder: LiveSessionRecorder): Promise<SessionRecord> {
    const summary = recorder ? await recorder.close() : null;
    const status = outcome.status ?? 'completed';
    await this.o.sessions.end(s.id, {
      status,
      endedAt: this.o.clock.now(),
      exitStatus: outcome.exitStatus,
      bytesIn: s.bytesIn,
      bytesOut: s.bytesOut,
      endReason: outcome.reason,
      errorMessage: outcome.errorMessage ?? null,
      droppedBy: outcome.droppedBy ?? null,
      recordingSize: summary?.size ?? null,
      recordingDuration: summary?.duration ?? null,
      recordingSha256: summary?.sha256 ?? null,
    });
    this.live.delete(s.id);
    await this.event(s.id, s.record.userId, s.record.user, 'Terminated', `${status}${outcome.reason ? `: ${outcome.reason}` : ''}`);
    const stored = (await this.o.sessions.get(s.id))!;
    this.o.logger.info({ sessionId: stored.sessionId, status, exitStatus: outcome.exitStatus, bytesIn: s.bytesIn, bytesOut: s.bytesOut }, 'session ended');
    this.emit({ kind: 'ended', session: stored });
    return stored;
  }

  private requireLive(id: number): LiveSession {
    const s = this.live.get(id);
    if (!s || s.ended) throw VigilError.conflict('session is not active');
    return s;
  }

  /** Drops an active session: the user sees the disconnect message, the session ends as `dropped`. */
  async drop(id: number, by: HubActor, reason?: string): Promise<void> {
    const s = this.requireLive(id);
    await this.event(id, by.userId, by.username, 'Drop session', reason ?? '');
    s.forceEnd({ status: 'dropped', exitStatus: null, reason: reason ? `dropped by ${by.username}: ${reason}` : `dropped by ${by.username}`, droppedBy: by.username }, MESSAGES.disconnected);
  }

  /** Blocks the user's interactivity in this session and prevents new sessions until released. */
  async block(id: number, by: HubActor): Promise<void> {
    const s = this.requireLive(id);
    if (s.record.userId === null) throw VigilError.conflict('session has no Vigil user to block');
    if (await this.o.blocks.activeFor(s.record.userId)) {
      if (s.blocked) throw VigilError.conflict('user is already blocked');
    } else {
      await this.o.blocks.add({ userId: s.record.userId, sessionId: id, blockedBy: by.username, blockedAt: this.o.clock.now() });
    }
    // Every live session of the same user loses interactivity, not only this one.
    for (const other of this.live.values()) {
      if (other.record.userId === s.record.userId && !other.blocked) other.setBlocked(by.username, MESSAGES.blocked);
    }
    await this.event(id, by.userId, by.username, 'Interactivity blocked', `user ${s.record.user}`);
    this.emit({ kind: 'updated', session: s.record });
  }

  /** Releases the block of the session's user. */
  async unblock(id: number, by: HubActor): Promise<void> {
    const rec = this.live.get(id)?.record ?? (await this.o.sessions.get(id));
    if (!rec) throw VigilError.notFound('session');
    if (rec.userId === null) throw VigilError.conflict('session has no Vigil user');
    await this.releaseUser(rec.userId, by, id);
  }

  /** Releases a user's block (Users with session block report). */
  async releaseUser(userId: number, by: HubActor, sessionId?: number): Promise<void> {
    const released = await this.o.blocks.release(userId, by.username, this.o.clock.now());
    if (!released) throw VigilError.conflict('user is not blocked');
    for (const other of this.live.values()) {
      if (other.record.userId === userId && other.blocked) other.setBlocked(null, MESSAGES.released);
    }
    if (sessionId !== undefined) await this.event(sessionId, by.userId, by.username, 'Interactivity unlocked', '');
    const s = sessionId !== undefined ? this.live.get(sessionId) : undefined;
    if (s) this.emit({ kind: 'updated', session: s.record });
  }

  /** True when the user of this session is currently blocked. */
  async isBlocked(userId: number | null): Promise<boolean> {
    return userId !== null && (await this.o.blocks.activeFor(userId)) !== null;
  }

  /** Writes a session event. */
  async event(sessionId: number, userId: number | null, user: string, event: SessionEventName, note: string): Promise<void> {
    await this.o.events.add({ sessionId, userId, user, at: this.o.clock.now(), event, note });
  }

  /** Closes sessions left active by a crash as `interrupted`, repairing their recordings. */
  async recover(): Promise<number> {
    const stale = (await this.o.sessions.listActive()).filter((s) => !this.live.has(s.id));
    for (const s of stale) {
      const summary = s.recordingPath ? await this.o.recordings.repair(s.recordingPath).catch(() => null) : null;
      await this.o.sessions.end(s.id, {
        status: 'interrupted',
        endedAt: this.o.clock.now(),
        exitStatus: null,
        bytesIn: s.bytesIn,
        bytesOut: s.bytesOut,
        endReason: 'gateway stopped while the session was active',
        errorMessage: null,
        recordingSize: summary?.size ?? null,
        recordingDuration: summary?.duration ?? null,
        recordingSha256: summary?.sha256 ?? null,
      });
      await this.event(s.id, s.userId, s.user, 'Terminated', 'interrupted: recovered at start-up');
      this.o.logger.warn({ sessionId: s.sessionId }, 'session closed as interrupted at start-up');
    }
    return stale.length;
  }

  /**
   * Saves the counters of sessions that moved since the last save (idle ones cost nothing), all in one transaction:
   * one write per round however many sessions run. A failure (the database busy with another process's lock) fails
   * the round whole; the next tick writes the counters again.
   */
  private async saveCounters(): Promise<void> {
    const moved: CounterUpdate[] = [];
    for (const s of this.live.values()) {
      if (s.ended) continue;
      const saved = this.savedCounters.get(s.id);
      if (saved && saved.bytesIn === s.bytesIn && saved.bytesOut === s.bytesOut) continue;
      moved.push({ id: s.id, bytesIn: s.bytesIn, bytesOut: s.bytesOut });
    }
    if (moved.length > 0) {
      try {
        await this.o.sessions.updateCounters(moved);
      } catch {
        return;
      }
      for (const m of moved) this.savedCounters.set(m.id, { bytesIn: m.bytesIn, bytesOut: m.bytesOut });
    }
    for (const id of this.savedCounters.keys()) if (!this.live.has(id)) this.savedCounters.delete(id);
  }

  /** Graceful stop: every live session is told and ended as interrupted. */
  async shutdown(): Promise<void> {
    clearInterval(this.counterTimer);
    const ends = [...this.live.values()].map((s) => {
      s.forceEnd({ status: 'interrupted', exitStatus: null, reason: 'gateway shutting down' }, MESSAGES.disconnected);
      return s.end({ status: 'interrupted', exitStatus: null, reason: 'gateway shutting down' });
    });
    await Promise.allSettled(ends);
  }
}

type LiveSessionRecorder = Parameters<ConstructorParameters<typeof LiveSession>[0]['onEnd']>[2];
