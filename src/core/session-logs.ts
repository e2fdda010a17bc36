// Session Logs (SPEC section 4): session and user info, reconstructed commands, events, file transfers, a search over
// what the session typed and displayed, CSV export; and the search across sessions. Each opening is a *Log viewer* event.

import type { Clock } from './clock.js';
import { riskOf, type Criticality, type RuleAction, type SessionRisk } from './command-rules.js';
import { VigilError } from './errors.js';
import { hasPermission, type Actor } from './permissions.js';
import type { EventRepo, SessionQuery, SessionRepo } from './ports.js';
import type { SessionEventSink, SessionView } from './session-access.js';
import type { SessionEvent, SessionRecord } from './types.js';

/** What became of a command line: it ran, a rule kept it from the target, or a rule ended the session. */
export type CommandOutcome = 'executed' | 'denied' | 'interrupted';
/**
 * Where a command line came from: typed at a shell's prompt in a terminal (`shell`); a line of the standard input of
 * a shell without a terminal (`stdin`: the shell reads it as a command unless a program the shell started reads it
 * first, which the gateway cannot see); or the command of an exec request (`exec`).
 */
export type CommandSource = 'shell' | 'stdin' | 'exec';

export interface NewCommand {
  sessionId: number;
  /** Wall clock of the Enter key (or of the exec request). */
  at: Date;
  /** Seconds since the session started. */
  offset: number;
  command: string;
  source: CommandSource;
  outcome: CommandOutcome;
  ruleName: string | null;
  criticality: Criticality | null;
  action: RuleAction | null;
}

export interface CommandEntry extends NewCommand {
  id: number;
  /** The first ~2 KiB of what the command displayed, up to the next prompt; null until known. */
  output: string | null;
}

/** Storage of reconstructed commands. `add` also puts the command in the search index. */
export interface CommandRepo {
  add(c: NewCommand): Promise<number>;
  setOutput(id: number, output: string): Promise<void>;
  forSession(sessionId: number): Promise<CommandEntry[]>;
}

/** A line of text a session typed (a command) or displayed (output), for search. */
export interface IndexedLine {
  sessionId: number;
  offset: number;
  kind: 'command' | 'output';
  text: string;
}

export interface SearchHit extends IndexedLine {
  /** Wall clock of the line: session start + offset. */
  at: Date;
}

/** Full-text index over typed and displayed lines of every session. */
export interface SearchIndex {
  addLines(lines: readonly IndexedLine[]): Promise<void>;
  /**
   * Lines containing `text` (case-insensitive substring), newest sessions first; only sessions `auditorUserId`
   * audits when given, only `sessionId` when given; at most `perSession` lines of any one session.
   */
  search(q: { text: string; auditorUserId?: number; sessionId?: number; limit: number; perSession?: number }): Promise<SearchHit[]>;
}

/** Reads a recording's displayed text (adapters: asciicast reader). */
export interface RecordingText {
  /** Output lines containing `text` (case-insensitive), in order, at most `limit`; null when the recording is gone. */
  search(recordingPath: string, text: string, limit: number): Promise<Array<{ offset: number; text: string }> | null>;
}

export interface FileTransfer {
  at: Date;
  user: string;
  path: string;
  direction: string;
  size: number | null;
}

export interface LogMatch {
  at: Date;
  offset: number;
  kind: 'command' | 'output';
  text: string;
}

/** The Session Logs window. */
export interface SessionLogsView {
  session: SessionRecord;
  commands: CommandEntry[];
  risk: SessionRisk;
  events: SessionEvent[];
  fileTransfers: FileTransfer[];
  /** Present when a search term was given. */
  search: { q: string; matches: LogMatch[]; truncated: boolean; source: 'recording' | 'index' } | null;
}

export interface SearchResultSession {
  session: SessionRecord;
  matches: LogMatch[];
}

export const SEARCH_TERM_MAX = 200;
export const MAX_LOG_MATCHES = 500;
const MAX_SEARCH_ROWS = 1000;
const MATCHES_PER_SESSION = 10;
const MAX_SEARCH_SESSIONS = 100;

/** A search term: trimmed, 1..200 characters, else BadRequest. */
export function checkSearchTerm(raw: unknown): string {
  const q = typeof raw === 'string' ? raw.trim() : '';
  if (!q) throw VigilError.badRequest('a search term is required', { field: 'q' });
  if (q.length > SEARCH_TERM_MAX) throw VigilError.badRequest(`the search term must be at most ${SEARCH_TERM_MAX} characters`, { field: 'q' });
  return q;
}

export interface SessionLogsOptions {
  /** Authorises the `logs` action (404/403/409) and writes audit entries (SessionAccess); not needed by openLocal. */
  access?: { authorize(actor: Actor, action: 'logs', id: number): Promise<SessionView>; auditSession(actor: Actor, action: string, s: SessionRecord, details?: Record<string, unknown>): Promise<void> };
  sessions: Pick<SessionRepo, 'get' | 'getMany' | 'query'>;
  events: Pick<EventRepo, 'forSession'>;
  eventSink: SessionEventSink;
  commands: Pick<CommandRepo, 'forSession'>;
  index: SearchIndex;
  recordings: RecordingText;
  clock: Clock;
}

export class SessionLogs {
  constructor(private readonly o: SessionLogsOptions) {}

  /** The logs of a completed session, as `actor` may see them; writes a *Log viewer* event and an audit entry. */
  async open(actor: Actor, id: number, opts: { q?: string } = {}): Promise<SessionLogsView> {
    const access = this.o.access;
    if (!access) throw new Error('SessionLogs.open needs the access rules');
    const view = await access.authorize(actor, 'logs', id);
    const q = opts.q === undefined ? undefined : checkSearchTerm(opts.q);
    await this.o.eventSink.event(id, actor.userId, actor.username, 'Log viewer', q ? `search: ${q}` : '');
    await access.auditSession(actor, 'session.logs', view.session, q ? { search: q } : {});
    return this.build(view.session, q);
  }

  /** For the local CLI (whoever can read the data directory): same 404/409 rules, same event, no permission check. */
  async openLocal(by: string, id: number, opts: { q?: string } = {}): Promise<SessionLogsView> {
    const s = await this.o.sessions.get(id);
    if (!s) throw VigilError.notFound('session');
    if (s.status === 'active') throw VigilError.conflict('session is still active');
    const q = opts.q === undefined ? undefined : checkSearchTerm(opts.q);
    await this.o.eventSink.event(id, null, by, 'Log viewer', q ? `search: ${q}` : '');
    return this.build(s, q);
  }

  private async build(s: SessionRecord, q: string | undefined): Promise<SessionLogsView> {
    const [commands, events] = await Promise.all([this.o.commands.forSession(s.id), this.o.events.forSession(s.id)]);
    return {
      session: s,
      commands,
      risk: riskOf(commands.map((c) => c.criticality)),
      events,
      fileTransfers: events.filter((e) => e.event === 'File transfer').map(fileTransferOf),
      search: q === undefined ? null : await this.searchOne(s, q, commands),
    };
  }

  /** Everything typed (reconstructed commands, never raw keys: no passwords) and displayed (the recording, or the index once it is purged). */
  private async searchOne(s: SessionRecord, q: string, commands: CommandEntry[]): Promise<NonNullable<SessionLogsView['search']>> {
    const needle = q.toLowerCase();
    const typed: LogMatch[] = commands.filter((c) => c.command.toLowerCase().includes(needle)).map((c) => ({ at: c.at, offset: c.offset, kind: 'command', text: c.command }));
    let shown: LogMatch[] | null = null;
    let source: 'recording' | 'index' = 'recording';
    if (s.recordingPath && !s.purgedAt) {
      const lines = await this.o.recordings.search(s.recordingPath, q, MAX_LOG_MATCHES + 1);
      if (lines) shown = lines.map((l) => ({ at: atOffset(s, l.offset), offset: l.offset, kind: 'output', text: l.text }));
    }
    if (!shown) {
      source = 'index';
      const hits = await this.o.index.search({ text: q, sessionId: s.id, limit: MAX_LOG_MATCHES + 1 });
      shown = hits.filter((h) => h.kind === 'output').map((h) => ({ at: h.at, offset: h.offset, kind: 'output', text: h.text }));
    }
    const all = [...typed, ...shown].sort((a, b) => a.offset - b.offset);
    return { q, matches: all.slice(0, MAX_LOG_MATCHES), truncated: all.length > MAX_LOG_MATCHES, source };
  }

  /** Sessions whose typed or displayed text contains `q`, among those the actor may see (View, or the ones they audit). */
  async searchAll(actor: Actor, raw: string): Promise<{ q: string; sessions: SearchResultSession[]; truncated: boolean }> {
    const q = checkSearchTerm(raw);
    const restricted = !hasPermission(actor, 'PAM.SessionManagement.View');
    if (restricted) {
      const audits = await this.o.sessions.query({ auditorUserId: actor.userId, pageSize: 1 } satisfies SessionQuery);
      if (audits.total === 0) throw VigilError.denied('You may not view sessions');
    }
    const hits = await this.o.index.search({ text: q, limit: MAX_SEARCH_ROWS, perSession: MATCHES_PER_SESSION, ...(restricted ? { auditorUserId: actor.userId } : {}) });
    const bySession = new Map<number, LogMatch[]>();
    for (const h of hits) {
      let list = bySession.get(h.sessionId);
      if (!list) {
        if (bySession.size >= MAX_SEARCH_SESSIONS) continue;
        bySession.set(h.sessionId, (list = []));
      }
      if (list.length < MATCHES_PER_SESSION) list.push({ at: h.at, offset: h.offset, kind: h.kind, text: h.text });
    }
    const sessions: SearchResultSession[] = [];
    const records = new Map((await this.o.sessions.getMany([...bySession.keys()])).map((s) => [s.id, s]));
    for (const [id, matches] of bySession) {
      const s = records.get(id);
      if (s) sessions.push({ session: s, matches: matches.sort((a, b) => a.offset - b.offset) });
    }
    return { q, sessions, truncated: hits.length >= MAX_SEARCH_ROWS || bySession.size >= MAX_SEARCH_SESSIONS };
  }
}

function atOffset(s: SessionRecord, offset: number): Date {
  return new Date(s.startedAt.getTime() + Math.round(offset * 1000));
}

/** A *File transfer* event's note: JSON {path, direction, size} when the gateway writes one, else the note as the path. */
function fileTransferOf(e: SessionEvent): FileTransfer {
  try {
    const v = JSON.parse(e.note) as { path?: unknown; direction?: unknown; size?: unknown };
    if (v && typeof v.path === 'string') {
      return { at: e.at, user: e.user, path: v.path, direction: typeof v.direction === 'string' ? v.direction : '', size: typeof v.size === 'number' ? v.size : null };
    }
  } catch {
    // A plain-text note.
  }
  return { at: e.at, user: e.user, path: e.note, direction: '', size: null };
}

/** The Session Logs as plain JSON (ISO dates): the API's response and `vigil sessions logs --json`. */
export function sessionLogsJson(v: SessionLogsView) {
  const s = v.session;
  const iso = (d: Date) => d.toISOString();
  return {
    session: {
      id: s.id,
      sessionId: s.sessionId,
      startedAt: iso(s.startedAt),
      endedAt: s.endedAt ? iso(s.endedAt) : null,
      type: `${s.protocol} ${s.type}${s.command ? `: ${s.command}` : ''}`,
      protocol: s.protocol,
      host: s.host,
      device: s.device,
      credential: s.credential,
      username: accountOf(s.credential),
      status: s.status,
      exitStatus: s.exitStatus,
      errorMessage: s.errorMessage,
    },
    user: { user: s.user, userIp: s.originIp },
    commands: v.commands.map((c) => ({ id: c.id, command: c.command, at: iso(c.at), offset: c.offset, source: c.source, outcome: c.outcome, criticality: c.criticality, rule: c.ruleName, action: c.action, output: c.output })),
    risk: v.risk,
    events: v.events.map((e) => ({ id: e.id, user: e.user, at: iso(e.at), event: e.event, note: e.note })),
    fileTransfers: v.fileTransfers.map((f) => ({ at: iso(f.at), user: f.user, path: f.path, direction: f.direction, size: f.size })),
    search: v.search ? { q: v.search.q, truncated: v.search.truncated, source: v.search.source } : null,
    ...(v.search ? { matches: v.search.matches.map((m) => ({ at: iso(m.at), offset: m.offset, kind: m.kind, text: m.text })) } : {}),
  };
}

/** One CSV field: quoted when needed; a leading = + - @ is defused so a spreadsheet never runs it as a formula. */
function csvField(v: string | number | null | undefined): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The Session Logs as CSV: one row per item, the first column naming its section. */
export function sessionLogsCsv(v: SessionLogsView): string {
  const s = v.session;
  const rows: Array<Array<string | number | null>> = [['section', 'time', 'offset_seconds', 'user', 'item', 'detail', 'criticality', 'rule']];
  const info: Array<[string, string | number | null]> = [
    ['ID', s.id],
    ['Session ID', s.sessionId],
    ['Start', s.startedAt.toISOString()],
    ['End', s.endedAt?.toISOString() ?? null],
    ['Type', `${s.protocol} ${s.type}${s.command ? `: ${s.command}` : ''}`],
    ['Host', s.host],
    ['Device', s.device],
    ['Username', accountOf(s.credential)],
    ['Status', s.status],
    ['Error message', s.errorMessage],
    ['Risk score', v.risk.score],
  ];
  for (const [k, val] of info) rows.push(['session', null, null, null, k, val === null ? '' : String(val), null, null]);
  rows.push(['user', null, null, s.user, 'User', s.user, null, null], ['user', null, null, s.user, 'User IP', s.originIp, null, null]);
  for (const c of v.commands) rows.push(['command', c.at.toISOString(), c.offset, s.user, c.command, c.outcome, c.criticality, c.ruleName]);
  for (const e of v.events) rows.push(['event', e.at.toISOString(), offsetOf(s, e.at), e.user, e.event, e.note, null, null]);
  for (const f of v.fileTransfers) rows.push(['file transfer', f.at.toISOString(), offsetOf(s, f.at), f.user, f.path, [f.direction, f.size === null ? '' : `${f.size} bytes`].filter(Boolean).join(' '), null, null]);
  for (const m of v.search?.matches ?? []) rows.push([`match (${m.kind})`, m.at.toISOString(), m.offset, null, m.text, v.search!.q, null, null]);
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** "root@web01" → "root": the target account the session logged in as. */
export function accountOf(credential: string): string {
  const at = credential.lastIndexOf('@');
  return at > 0 ? credential.slice(0, at) : credential;
}

function offsetOf(s: SessionRecord, at: Date): number {
  return Math.max(0, Math.round((at.getTime() - s.startedAt.getTime()) / 10) / 100);
}
