// `vigil settings get|set`: the typed system settings (retention, default auditors, recording failure policy).

import type { Command } from 'commander';
import { SETTING_KEYS, SETTINGS, SettingsService } from '../core/settings-service.js';
import type { AdminContext } from '../main.js';
import { withAdmin, type CliIO } from './context.js';
import { json, table } from './output.js';

function settingsOf(admin: AdminContext): SettingsService {
  return new SettingsService({ settings: admin.store.settings, audit: admin.store.audit, clock: admin.clock, users: admin.store.users });
}

/** A value as typed on the command line: JSON when it parses (30, [1,2], "drop"), else the text itself (drop). */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function registerSettings(program: Command, io: CliIO): void {
  const settings = program
    .command('settings')
    .description('system settings')
    .addHelpText('after', `\nSettings:\n${SETTING_KEYS.map((k) => `  ${k.padEnd(20)} ${SETTINGS[k].description} (default ${JSON.stringify(SettingsService.defaultOf(k))})`).join('\n')}\n`);

  settings
    .command('get')
    .description('print one setting as JSON, or every setting')
    .argument('[key]', `one of ${SETTING_KEYS.join(', ')}`)
    .option('--json', 'print JSON')
    .action(async (key: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const values = await withAdmin(cmd, io, (s) => (key === undefined ? settingsOf(s.admin).all() : settingsOf(s.admin).get(key)));
      if (key !== undefined) return io.stdout(`${JSON.stringify(values)}\n`);
      if (opts.json) return io.stdout(json(values));
      const all = values as Record<string, unknown>;
      io.stdout(table(['KEY', 'VALUE', 'DEFAULT'], SETTING_KEYS.map((k) => [k, JSON.stringify(all[k]), JSON.stringify(SettingsService.defaultOf(k))])));
    });

  settings
    .command('set')
    .description('change a setting; the value is JSON (30, [2,5], "drop") or plain text; it is validated and nothing changes when it is refused')
    .argument('<key>', `one of ${SETTING_KEYS.join(', ')}`)
    .argument('<value>', 'the new value')
    .action(async (key: string, value: string, _opts: object, cmd: Command) => {
      const r = await withAdmin(cmd, io, (s) => settingsOf(s.admin).set(key, parseValue(value), s.actor));
      io.stdout(`${r.key} = ${JSON.stringify(r.value)} (was ${JSON.stringify(r.previous)})\n`);
    });
}
