// `vigil purge`: removes the recordings of sessions past the retention (SPEC §6), shows what would go, and sweeps orphan files.

import type { Command } from 'commander';
import { dataPaths } from '../core/config.js';
import { FsPurgeFiles } from '../core/purge-files.js';
import { OrphanSweep, type OrphanFile, type SweepReport } from '../core/orphan-sweep.js';
import { PurgeService, type PurgedSession, type PurgeReport } from '../core/purge-service.js';
import { SettingsService } from '../core/settings-service.js';
import type { AdminContext } from '../main.js';
import { dataDirOf, parseIntOption, UsageError, withAdmin, type CliIO } from './context.js';
import { cellText, iso, json, table } from './output.js';

/** The purge and the orphan sweep over an open data directory (the purge wired as `vigil serve` wires its hourly job). */
function purgeOf(admin: AdminContext, dataDir: string): { purge: PurgeService; sweep: OrphanSweep } {
  const { store, clock } = admin;
  const paths = dataPaths(dataDir);
  const settings = new SettingsService({ settings: store.settings, audit: store.audit, clock, users: store.users });
  const files = new FsPurgeFiles({ recordingsDir: paths.recordings, videosDir: paths.videos, root: paths.root });
  return {
    purge: new PurgeService({ repo: store.purge, files, clock, retentionDays: () => settings.retentionDays() }),
    sweep: new OrphanSweep({ repo: store.purge, files, audit: store.audit, clock }),
  };
}

interface PurgeOptions {
  dryRun?: boolean;
  retentionDays?: number;
  orphans?: boolean;
  removeOrphans?: boolean;
  json?: boolean;
}

interface Outcome {
  report: PurgeReport;
  sessions: PurgedSession[];
  sweep: SweepReport | null;
  orphans: OrphanFile[];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function printJson(io: CliIO, o: Outcome): void {
  const r = o.report;
  io.stdout(
    json({
      dryRun: r.dryRun,
      retentionDays: r.retentionDays,
      cutoff: iso(r.cutoff),
      sessions: o.sessions.map((s) => ({ id: s.id, sessionId: s.sessionId, startedAt: iso(s.startedAt), endedAt: iso(s.endedAt), resumed: s.resumed, files: s.files })),
      totals: { sessions: r.sessions, files: r.files, resumed: r.resumed, skipped: r.skipped, failed: r.failed },
      failures: r.failures,
      ...(o.sweep ? { orphans: { scanned: o.sweep.scanned, found: o.sweep.orphans, removed: o.sweep.removed, files: o.orphans, failures: o.sweep.failures } } : {}),
    }),
  );
}

function printText(io: CliIO, o: Outcome): void {
  const r = o.report;
  const window = `retention ${r.retentionDays} days: sessions that ended before ${cellText(r.cutoff)}`;
  if (r.dryRun) {
    io.stdout(`dry run, nothing changed; ${window}\n`);
    for (const s of o.sessions) {
      io.stdout(`session ${s.id} ${s.sessionId} ended ${cellText(s.endedAt ?? s.startedAt)}${s.resumed ? ' (purge interrupted earlier; finishing it)' : ''}: ${plural(s.files.length, 'file')}\n`);
      for (const f of s.files) io.stdout(`  ${f}\n`);
    }
    io.stdout(`would purge ${plural(r.sessions, 'session')}, ${plural(r.files, 'file')}\n`);
  } else {
    const extra = [r.resumed ? `${r.resumed} finished after an interrupted run` : '', r.skipped ? `${r.skipped} skipped (protected or taken by another run meanwhile)` : ''].filter(Boolean);
    io.stdout(`purged ${plural(r.sessions, 'session')}, ${plural(r.files, 'file')} removed; ${window}${extra.length ? `; ${extra.join('; ')}` : ''}\n`);
    for (const f of r.failures) io.stdout(`not purged: session ${f.id} ${f.sessionId}: ${f.problem}\n`);
  }
  if (o.sweep) {
    const verb = o.sweep.removed > 0 ? `, ${o.sweep.removed} removed` : '';
    io.stdout(`orphan files: ${o.sweep.orphans} of ${plural(o.sweep.scanned, 'file')} scanned${verb}\n`);
    if (o.orphans.length > 0) io.stdout(table(['REASON', 'REMOVED', 'FILE'], o.orphans.map((f) => [f.reason, f.removed, f.path])));
    for (const f of o.sweep.failures) io.stdout(`not removed: ${f.path}: ${f.problem}\n`);
  }
}

export function registerPurge(program: Command, io: CliIO): void {
  program
    .command('purge')
    .description(
      'remove the recordings of completed sessions past the retention, with their keyframes, compressed copies and videos ' +
        '(never active sessions, never protected ones); the sessions, their logs and events stay, with a "Files purged" event',
    )
    .option('--dry-run', 'print exactly which sessions and files would go, and change nothing')
    .option('--retention-days <n>', 'retention for this run instead of the retention.days setting', parseIntOption('--retention-days', 1, 3650))
    .option('--orphans', 'also list files under recordings/ and videos/ that no session accounts for (untouched for 1 hour or more)')
    .option('--remove-orphans', 'also remove those orphan files; files whose name is no Session ID are only listed')
    .option('--json', 'print JSON')
    .action(async (opts: PurgeOptions, cmd: Command) => {
      if (opts.dryRun && opts.removeOrphans) throw new UsageError('--remove-orphans cannot be used with --dry-run (use --orphans to list them)');
      const dataDir = dataDirOf(cmd, io);
      const outcome = await withAdmin(cmd, io, async (s): Promise<Outcome> => {
        const { purge, sweep: orphanSweep } = purgeOf(s.admin, dataDir);
        const actor = { userId: null, name: s.actor };
        const sessions: PurgedSession[] = [];
        const report = await purge.run({ actor, dryRun: opts.dryRun, retentionDays: opts.retentionDays, onSession: (x) => sessions.push(x) });
        const orphans: OrphanFile[] = [];
        const sweep = opts.orphans || opts.removeOrphans ? await orphanSweep.run({ actor, remove: opts.removeOrphans, onFile: (f) => orphans.push(f) }) : null;
        return { report, sessions, sweep, orphans };
      });
      (opts.json ? printJson : printText)(io, outcome);
      const failed = outcome.report.failed + (outcome.sweep?.failures.length ?? 0);
      if (failed > 0) throw new Error(`${plural(failed, 'item')} could not be removed; sessions not purged stay marked and the next run retries them`);
    });
}
