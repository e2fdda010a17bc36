// `vigil sessions logs ID [--csv] [--search TEXT] [--json]`: the Session Logs of a completed session (a Log viewer event).

import type { Command } from 'commander';
import { SessionLogs, sessionLogsCsv, sessionLogsJson, type SessionLogsView } from '../core/session-logs.js';
import { AsciicastRecordingText } from '../hub/commands/recording-text.js';
import { parseIntOption, withAdmin, type AdminServices, type CliIO } from './context.js';
import { cellText, duration, json, table } from './output.js';

function logsOf(s: AdminServices): SessionLogs {
  const { store, clock } = s.admin;
  return new SessionLogs({
    sessions: store.sessions,
    events: store.events,
    eventSink: { event: async (sessionId, userId, user, event, note) => void (await store.events.add({ sessionId, userId, user, at: clock.now(), event, note })) },
    commands: store.commands,
    index: store.search,
    recordings: new AsciicastRecordingText(),
    clock,
  });
}

function render(v: SessionLogsView): string {
  const s = v.session;
  const secs = s.endedAt ? (s.endedAt.getTime() - s.startedAt.getTime()) / 1000 : null;
  const info = table(
    ['SESSION INFO', ''],
    [
      ['ID', `${s.id} (${s.sessionId})`],
      ['Start', s.startedAt],
      ['End', s.endedAt],
      ['Time', duration(secs)],
      ['Type', `${s.protocol} ${s.type}${s.command ? `: ${s.command}` : ''}`],
      ['Host', `${s.device} (${s.host})`],
      ['Username', sessionLogsJson(v).session.username],
      ['Status', s.status],
      ['Error message', s.errorMessage],
      ['User', s.user],
      ['User IP', s.originIp],
      ['Risk', v.risk.matches ? `${v.risk.score} (${v.risk.matches} rule match${v.risk.matches === 1 ? '' : 'es'}, highest ${v.risk.max})` : 'none'],
    ],
  );
  const parts = [info];
  parts.push(
    v.commands.length
      ? table(['WHEN', 'OFFSET', 'COMMAND', 'OUTCOME', 'RISK', 'RULE'], v.commands.map((c) => [c.at, `+${c.offset.toFixed(1)}s`, c.command.replace(/\n/g, ' ⏎ '), c.outcome, c.criticality, c.ruleName]))
      : 'COMMANDS\nno commands\n',
  );
  parts.push(table(['WHEN', 'USER', 'EVENT', 'NOTE'], v.events.map((e) => [e.at, e.user, e.event, e.note])));
  if (v.fileTransfers.length) parts.push(table(['WHEN', 'USER', 'FILE', 'DIRECTION', 'SIZE'], v.fileTransfers.map((f) => [f.at, f.user, f.path, f.direction, f.size])));
  if (v.search) {
    const n = v.search.matches.length;
    parts.push(
      n
        ? table(['WHEN', 'OFFSET', 'KIND', `MATCHES FOR "${cellText(v.search.q)}"${v.search.truncated ? ' (first 500)' : ''}`], v.search.matches.map((m) => [m.at, `+${m.offset.toFixed(1)}s`, m.kind, m.text]))
        : `nothing typed or displayed matches "${cellText(v.search.q)}"\n`,
    );
  }
  return parts.join('\n');
}

/** Adds `logs` to the `sessions` command (registered by sessions.ts, which must run first). */
export function registerSessionLogs(program: Command, io: CliIO): void {
  const sessions = program.commands.find((c) => c.name() === 'sessions') ?? program.command('sessions').description('inspect recorded sessions');
  sessions
    .command('logs')
    .description('the Session Logs of a completed session: info, commands, events; --search over what was typed and displayed')
    .argument('<id>', 'session ID (the number in the ID column)', parseIntOption('ID', 1, Number.MAX_SAFE_INTEGER))
    .option('--csv', 'print CSV (as the console exports it)')
    .option('--json', 'print JSON')
    .option('--search <text>', 'find text typed or displayed in the session')
    .action(async (id: number, opts: { csv?: boolean; json?: boolean; search?: string }, cmd: Command) => {
      const view = await withAdmin(cmd, io, (s) => logsOf(s).openLocal(s.actor, id, { q: opts.search }));
      if (opts.csv) return io.stdout(sessionLogsCsv(view));
      if (opts.json) return io.stdout(json(sessionLogsJson(view)));
      io.stdout(render(view));
    });
}
