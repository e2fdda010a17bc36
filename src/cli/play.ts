// `vigil sessions play ID [--speed N] [--from SECONDS]`: replays a completed session in this terminal, starting anywhere at once.

import type { Command } from 'commander';
import { UsageError, withAdmin, type CliIO } from './context.js';
import { findRecording, recordCliAccess } from './video.js';

/** Leaves the terminal usable whatever the recording did: attributes, cursor, normal screen, no mouse reporting. */
const RESTORE = '\x1b[0m\x1b[?25h\x1b[?1049l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\r\n';

function positive(name: string, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^\d+(\.\d+)?$/.test(v) || !(n >= 0 && n <= max)) throw new UsageError(`${name} must be a number from 0 to ${max}, not "${v}"`);
    return n;
  };
}

export function registerPlay(sessions: Command, io: CliIO): void {
  sessions
    .command('play')
    .description('replay a completed session in this terminal (best at the size it was recorded)')
    .argument('<id>', 'session number (ID column) or Session ID')
    .option('--speed <n>', 'playback speed, e.g. 2 or 0.5', positive('--speed', 1000), 1)
    .option('--from <seconds>', 'start at this point of the session', positive('--from', 1e9), 0)
    .option('--idle-limit <seconds>', 'shorten pauses longer than this (0 keeps them)', positive('--idle-limit', 1e6), 2)
    .action(async (ref: string, opts: { speed: number; from: number; idleLimit: number }, cmd: Command) => {
      if (opts.speed === 0) throw new UsageError('--speed must be more than 0');
      const { s, playback } = await withAdmin(cmd, io, async ({ admin }) => {
        const found = await findRecording(admin.store.sessions, ref, admin.castStorage);
        await recordCliAccess(admin.store, found, 'Session Play', 'session.play', `vigil sessions play from ${opts.from} s`, admin.clock.now());
        return { s: found, playback: admin.playback };
      });
      io.stderr(`session ${s.id} (${s.sessionId}), ${s.user} on ${s.credential}@${s.device}; Ctrl-C stops\n`);
      let stopped = false;
      const stop = io.waitForStopSignal().then(() => {
        stopped = true;
      });
      try {
        for (const step of playback({ castPath: s.recordingPath, from: opts.from, speed: opts.speed, idleLimit: opts.idleLimit > 0 ? opts.idleLimit : Infinity })) {
          if (step.delayMs > 0) await Promise.race([new Promise((r) => setTimeout(r, step.delayMs)), stop]);
          if (stopped) break;
          io.stdout(step.data);
        }
      } finally {
        io.stdout(RESTORE);
      }
    });
}
