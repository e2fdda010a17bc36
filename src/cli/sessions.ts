// `vigil sessions list`: the Remote Sessions list, newest first, as a table or JSON.

import type { Command } from 'commander';
import { SESSION_STATUSES, type SessionRecord, type SessionStatus } from '../core/types.js';
import { parseIntOption, UsageError, withAdmin, type CliIO } from './context.js';
import { duration, iso, json, table } from './output.js';

/** The JSON shape of one session, as scripts read it. */
export function sessionJson(s: SessionRecord) {
  return {
    id: s.id,
    sessionId: s.sessionId,
    user: s.user,
    credential: s.credential,
    device: s.device,
    host: s.host,
    originIp: s.originIp,
    protocol: s.protocol,
    type: s.type,
    command: s.command,
    status: s.status,
    startedAt: iso(s.startedAt),
    endedAt: iso(s.endedAt),
    exitStatus: s.exitStatus,
    bytesIn: s.bytesIn,
    bytesOut: s.bytesOut,
    endReason: s.endReason,
    errorMessage: s.errorMessage,
    droppedBy: s.droppedBy,
    recordingSize: s.recordingSize,
    recordingDuration: s.recordingDuration,
    recordingSha256: s.recordingSha256,
    preventPurge: s.preventPurge,
    purgedAt: iso(s.purgedAt),
  };
}

function parseStatus(value: string): SessionStatus {
  if (!(SESSION_STATUSES as readonly string[]).includes(value)) throw new UsageError(`--status must be one of ${SESSION_STATUSES.join(', ')}, not "${value}"`);
  return value as SessionStatus;
}

export function registerSessions(program: Command, io: CliIO): void {
  const sessions = program.command('sessions').description('inspect recorded sessions');

  sessions
    .command('list')
    .description('list sessions, newest first')
    .option('--json', 'print JSON')
    .option('--limit <n>', 'at most this many sessions', parseIntOption('--limit', 1, 100_000), 50)
    .option('--status <status>', `only sessions in this status (${SESSION_STATUSES.join(', ')})`, parseStatus)
    .option('--user <name>', 'only sessions of users whose name contains this text')
    .action(async (opts: { json?: boolean; limit: number; status?: SessionStatus; user?: string }, cmd: Command) => {
      const { items, now } = await withAdmin(cmd, io, async (s) => ({
        items: (await s.admin.store.sessions.query({ status: opts.status, user: opts.user, sort: 'startedAt', order: 'desc', page: 1, pageSize: opts.limit })).items,
        now: s.admin.clock.now(),
      }));
      if (opts.json) return io.stdout(json(items.map(sessionJson)));
      if (items.length === 0) return io.stdout('no sessions\n');
      io.stdout(
        table(
          ['ID', 'SESSION ID', 'USER', 'ORIGIN IP', 'CREDENTIAL', 'DEVICE', 'PROTOCOL', 'START', 'END', 'TIME', 'STATUS'],
          items.map((s) => [
            s.id,
            s.sessionId,
            s.user,
            s.originIp,
            s.credential,
            s.device,
            s.protocol,
            s.startedAt,
            s.endedAt,
            duration(((s.endedAt ?? now).getTime() - s.startedAt.getTime()) / 1000),
            s.status,
          ]),
        ),
      );
    });
}
