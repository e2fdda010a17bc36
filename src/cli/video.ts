// `vigil sessions video ID -o FILE.mp4`: renders a completed session's recording to MP4 here, from the data directory.

import fs from 'node:fs';
import type { Command } from 'commander';
import { VigilError } from '../core/errors.js';
import type { AuditRepo, EventRepo, SessionRepo } from '../core/ports.js';
import type { SessionEventName, SessionRecord } from '../core/types.js';
import { cliActor, UsageError, withAdmin, type CliIO } from './context.js';

/** A completed session with a recording on disk, by its number (ID column) or Session ID; explains why not otherwise. */
export async function findRecording(sessions: Pick<SessionRepo, 'get' | 'bySessionId'>, ref: string, stored: (castPath: string) => unknown): Promise<SessionRecord & { recordingPath: string }> {
  let s: SessionRecord | null;
  if (/^\d{1,15}$/.test(ref)) s = await sessions.get(Number(ref));
  else if (/^[0-9a-f]{16,64}$/i.test(ref)) s = await sessions.bySessionId(ref.toLowerCase());
  else throw new UsageError(`"${ref.slice(0, 80)}" is neither a session number nor a Session ID`);
  if (!s) throw VigilError.notFound(`session ${ref}`);
  if (s.status === 'active') throw new Error(`session ${s.id} is still active: its video is available once it ends`);
  if (s.purgedAt) throw new Error(`the recording of session ${s.id} was purged`);
  if (!s.recordingPath || !stored(s.recordingPath)) throw new Error(`session ${s.id} has no recording on disk`);
  return s as SessionRecord & { recordingPath: string };
}

/** Writes the session event and audit entry of a CLI read of a recording (as the API does for its users). */
export async function recordCliAccess(
  store: { events: Pick<EventRepo, 'add'>; audit: Pick<AuditRepo, 'append'> },
  s: SessionRecord,
  event: SessionEventName,
  action: string,
  note: string,
  at: Date,
): Promise<void> {
  const actor = cliActor();
  await store.events.add({ sessionId: s.id, userId: null, user: actor, at, event, note });
  await store.audit.append({ at, actor, action, target: `session ${s.id} (${s.sessionId})`, details: JSON.stringify({ user: s.user, note }) });
}

function parseSeconds(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^\d+(\.\d+)?$/.test(v) || !Number.isFinite(n)) throw new UsageError(`${name} must be a number of seconds, not "${v}"`);
    return n;
  };
}

export function registerVideo(sessions: Command, io: CliIO): void {
  sessions
    .command('video')
    .description('render a completed session to an MP4 video (H.264), showing the real session clock')
    .argument('<id>', 'session number (ID column) or Session ID')
    .requiredOption('-o, --output <file>', 'the MP4 file to write')
    .option('--force', 'overwrite the output file')
    .option('--idle-cap <seconds>', 'shorten pauses longer than this (0 keeps them)', parseSeconds('--idle-cap'), 2)
    .action(async (ref: string, opts: { output: string; force?: boolean; idleCap: number }, cmd: Command) => {
      if (!opts.output.toLowerCase().endsWith('.mp4')) throw new UsageError('--output must name an .mp4 file');
      if (fs.existsSync(opts.output) && !opts.force) throw new UsageError(`${opts.output} exists; use --force to overwrite it`);
      const result = await withAdmin(cmd, io, async ({ admin }) => {
        const s = await findRecording(admin.store.sessions, ref, admin.castStorage);
        let shown = -1;
        const r = await admin.renderVideo({
          castPath: s.recordingPath,
          outPath: opts.output,
          startedAt: s.startedAt,
          idleCap: opts.idleCap > 0 ? opts.idleCap : Infinity,
          onProgress: (f) => {
            const pct = Math.floor(f * 100);
            if (pct >= shown + 10) io.stderr(`rendering session ${s.id}: ${(shown = pct)}%\n`);
          },
        });
        await recordCliAccess(admin.store, s, 'Video Download', 'session.video.download', `video (.mp4) by vigil sessions video: ${opts.output}`, admin.clock.now());
        return { s, r };
      });
      const size = fs.statSync(opts.output).size;
      io.stdout(`${opts.output}: session ${result.s.id}, ${result.r.width}x${result.r.height}, ${result.r.videoDuration.toFixed(1)} s of video for ${result.r.duration.toFixed(1)} s of session, ${size} bytes\n`);
    });
}
