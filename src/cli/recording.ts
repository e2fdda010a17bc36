// `vigil recording verify`: checks a session's recording against the size and SHA-256 stored when it closed (SPEC §3).

import type { Command } from 'commander';
import { VigilError } from '../core/errors.js';
import type { SessionRepo } from '../core/ports.js';
import type { SessionRecord } from '../core/types.js';
import { UsageError, withAdmin, type CliIO } from './context.js';
import { iso } from './output.js';

/** A session by its number (ID column) or its Session ID hash. */
async function findSession(sessions: Pick<SessionRepo, 'get' | 'bySessionId'>, ref: string): Promise<SessionRecord> {
  let s: SessionRecord | null;
  if (/^\d{1,15}$/.test(ref)) s = await sessions.get(Number(ref));
  else if (/^[0-9a-f]{16,64}$/i.test(ref)) s = await sessions.bySessionId(ref.toLowerCase());
  else throw new UsageError(`"${ref.slice(0, 80)}" is neither a session number nor a Session ID`);
  if (!s) throw VigilError.notFound(`session ${ref}`);
  return s;
}

/** Why a session's recording cannot be checked at all, or null when it can. */
function uncheckable(s: SessionRecord): string | null {
  if (s.purgedAt) return `its recording was purged on ${iso(s.purgedAt)}`;
  if (!s.recordingPath) return `it has no recording (status ${s.status})`;
  if (s.status === 'active') return 'it is still active: the size and SHA-256 are stored when it closes';
  if (!s.recordingSha256) return 'no SHA-256 was stored for its recording (it could not be closed properly)';
  return null;
}

export function registerRecording(program: Command, io: CliIO): void {
  const recording = program.command('recording').description('session recordings');

  recording
    .command('verify')
    .description('check a recording against the size and SHA-256 stored when its session closed (exit status 1 if it differs)')
    .argument('<id>', 'session number (ID column) or Session ID')
    .action(async (ref: string, _opts: object, cmd: Command) => {
      const { session, result } = await withAdmin(cmd, io, async (s) => {
        const session = await findSession(s.admin.store.sessions, ref);
        const reason = uncheckable(session);
        if (reason) throw new Error(`session ${session.id} cannot be verified: ${reason}`);
        const result = await s.admin.verifyRecording(session.recordingPath!, session.recordingSha256!, session.recordingSize ?? undefined);
        return { session, result };
      });
      const name = `session ${session.id} (${session.sessionId})`;
      if (!result.ok) throw new Error(`${name}: ${result.problem ?? 'recording does not match'}`);
      io.stdout(`OK ${name}: ${session.recordingPath} ${session.recordingSize ?? '?'} bytes, SHA-256 ${session.recordingSha256}\n`);
    });
}
