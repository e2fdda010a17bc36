// Typed system settings: the known keys, their zod schemas and defaults; every change validated and audited.

import { z } from 'zod';
import type { Clock } from './clock.js';
import { VigilError } from './errors.js';
import type { AuditRepo, SettingsRepo, UserRepo } from './ports.js';

/** Each known setting: its schema (which also gives its default) and a line for help texts. */
export const SETTINGS = {
  'retention.days': {
    schema: z.number().int().min(1).max(3650).default(90),
    description: 'days a completed session recording is kept before the purge removes it (1-3650)',
  },
  'auditors.default': {
    schema: z.array(z.number().int().positive()).max(1000).default([]),
    description: 'user ids added as auditors to every new session',
  },
  'recording.onFailure': {
    schema: z.enum(['drop', 'continue']).default('drop'),
    description: 'what happens to a session whose recording fails: drop it, or let it continue unrecorded',
  },
  'auth.requireTotp': {
    schema: z.boolean().default(false),
    description: 'require TOTP of every user: one without it may log in to the console only to enrol, and the gateway refuses them',
  },
} as const;

export type SettingKey = keyof typeof SETTINGS;
/** The value type of each setting. */
export type Settings = { [K in SettingKey]: z.output<(typeof SETTINGS)[K]['schema']> };

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

export function isSettingKey(key: string): key is SettingKey {
  return Object.prototype.hasOwnProperty.call(SETTINGS, key);
}

export interface SettingsServiceOptions {
  settings: SettingsRepo;
  audit: AuditRepo;
  clock: Clock;
  /** When given, user ids in auditors.default must name existing users. */
  users?: Pick<UserRepo, 'get'>;
}

function checkKey(key: string): SettingKey {
  if (!isSettingKey(key)) throw VigilError.badRequest(`unknown setting "${key.slice(0, 100)}"; settings are ${SETTING_KEYS.join(', ')}`, { key });
  return key;
}

function issues(err: z.ZodError): string {
  return err.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

/** Reads and changes settings; a stored value that no longer validates is reported, never silently replaced by the default. */
export class SettingsService {
  constructor(private readonly o: SettingsServiceOptions) {}

  /** The default of a setting. */
  static defaultOf<K extends SettingKey>(key: K): Settings[K] {
    return SETTINGS[key].schema.parse(undefined) as Settings[K];
  }

  /** The value of a known setting (its default when never set). Throws BadRequest for an unknown key. */
  async get<K extends SettingKey>(key: K): Promise<Settings[K]>;
  async get(key: string): Promise<unknown>;
  async get(key: string): Promise<unknown> {
    const k = checkKey(key);
    const raw = await this.o.settings.get<unknown>(k, undefined);
    const r = SETTINGS[k].schema.safeParse(raw);
    // Falling back to the default here could, for retention, purge recordings an administrator meant to keep.
    if (!r.success) throw VigilError.unavailable(`setting ${k} holds an invalid stored value (${issues(r.error)}); set it again`);
    return r.data;
  }

  /** Every known setting. */
  async all(): Promise<Settings> {
    const out: Record<string, unknown> = {};
    for (const k of SETTING_KEYS) out[k] = await this.get(k);
    return out as Settings;
  }

  /** Validates and stores a setting, with an audit entry; on any error nothing is changed. Returns the stored and the previous value. */
  async set(key: string, value: unknown, actor: string): Promise<{ key: SettingKey; value: unknown; previous: unknown }> {
    const k = checkKey(key);
    if (value === undefined || value === null) throw VigilError.badRequest(`setting ${k} needs a value`, { key: k });
    const r = SETTINGS[k].schema.safeParse(value);
    if (!r.success) throw VigilError.badRequest(`invalid value for ${k}: ${issues(r.error)}`, { key: k });
    let stored: unknown = r.data;
    if (k === 'auditors.default') stored = await this.checkAuditors(r.data as number[]);
    const previous = await this.o.settings.get<unknown>(k, SettingsService.defaultOf(k));
    await this.o.settings.set(k, stored);
    await this.o.audit.append({ at: this.o.clock.now(), actor, action: 'settings.set', target: k, details: JSON.stringify({ value: stored, previous }) });
    return { key: k, value: stored, previous };
  }

  /** The retention in days (what the purge reads). */
  retentionDays(): Promise<number> {
    return this.get('retention.days');
  }

  private async checkAuditors(ids: number[]): Promise<number[]> {
    const unique = [...new Set(ids)];
    if (this.o.users) {
      for (const id of unique) {
        if (!(await this.o.users.get(id))) throw VigilError.badRequest(`invalid value for auditors.default: no user has id ${id}`, { key: 'auditors.default' });
      }
    }
    return unique;
  }
}
