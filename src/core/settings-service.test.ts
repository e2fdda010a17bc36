import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { isVigilError } from './errors.js';
import { SETTING_KEYS, SettingsService } from './settings-service.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite-store.js';

let dir: string;
let store: SqliteStore;
let settings: SettingsService;
let userId: number;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-settings-'));
  const clock = new ManualClock();
  store = await openSqliteStore(join(dir, 'vigil.db'), clock);
  settings = new SettingsService({ settings: store.settings, audit: store.audit, clock, users: store.users });
  userId = (await store.users.create({ username: 'carol', passwordHash: null, roles: [] })).id;
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** Everything a failed change must leave as it was. */
async function snapshot() {
  return { stored: await store.settings.all(), audit: await store.audit.list() };
}

async function expectBadRequest(p: Promise<unknown>, message: RegExp): Promise<void> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(isVigilError(err, 'BadRequest'), String(err)).toBe(true);
  expect((err as Error).message).toMatch(message);
}

describe('SettingsService', () => {
  it('gives the defaults for settings never set', async () => {
    expect(await settings.all()).toEqual({ 'retention.days': 90, 'auditors.default': [], 'recording.onFailure': 'drop', 'auth.requireTotp': false });
    expect(SETTING_KEYS).toEqual(['retention.days', 'auditors.default', 'recording.onFailure', 'auth.requireTotp']);
    expect(await settings.retentionDays()).toBe(90);
  });

  it('stores valid values, with an audit entry naming who changed what from what', async () => {
    expect(await settings.set('retention.days', 30, 'cli:root')).toEqual({ key: 'retention.days', value: 30, previous: 90 });
    await settings.set('auditors.default', [userId, userId], 'cli:root');
    await settings.set('recording.onFailure', 'continue', 'admin');
    expect(await settings.all()).toEqual({ 'retention.days': 30, 'auditors.default': [userId], 'recording.onFailure': 'continue', 'auth.requireTotp': false });
    expect(await settings.get('retention.days')).toBe(30);
    const [last, , first] = await store.audit.list();
    expect(first).toMatchObject({ actor: 'cli:root', action: 'settings.set', target: 'retention.days', details: JSON.stringify({ value: 30, previous: 90 }) });
    expect(last).toMatchObject({ actor: 'admin', target: 'recording.onFailure', details: JSON.stringify({ value: 'continue', previous: 'drop' }) });
    expect(await settings.set('retention.days', 3650, 'a')).toMatchObject({ previous: 30 });
    expect(await settings.set('retention.days', 1, 'a')).toMatchObject({ value: 1 });
  });

  it('refuses unknown keys and bad values with a clear message, changing nothing', async () => {
    await settings.set('retention.days', 45, 'a');
    const before = await snapshot();
    await expectBadRequest(settings.set('retention.dayz', 10, 'a'), /unknown setting "retention\.dayz"; settings are retention\.days, auditors\.default, recording\.onFailure/);
    await expectBadRequest(settings.set('__proto__', 10, 'a'), /unknown setting/);
    await expectBadRequest(settings.get('nope'), /unknown setting "nope"/);
    const bad: Array<[string, unknown, RegExp]> = [
      ['retention.days', 0, /invalid value for retention\.days: .*>=\s*1/],
      ['retention.days', 3651, /invalid value for retention\.days: .*<=\s*3650/],
      ['retention.days', 1.5, /expected int/],
      ['retention.days', '90', /expected number/],
      ['retention.days', null, /needs a value/],
      ['auditors.default', 'carol', /expected array/],
      ['auditors.default', [0], /auditors\.default: 0: .*>\s*0/],
      ['auditors.default', [1.5], /expected int/],
      ['auditors.default', [userId, 999], /no user has id 999/],
      ['recording.onFailure', 'maybe', /invalid value for recording\.onFailure: .*"drop"\|"continue"/],
      ['recording.onFailure', true, /invalid value for recording\.onFailure/],
    ];
    for (const [key, value, message] of bad) await expectBadRequest(settings.set(key, value, 'a'), message);
    expect(await snapshot()).toEqual(before);
  });

  it('reports a stored value that no longer validates instead of falling back to the default', async () => {
    await store.settings.set('retention.days', -5);
    const err = await settings.retentionDays().then(() => null, (e: unknown) => e);
    expect(isVigilError(err, 'Unavailable')).toBe(true);
    expect((err as Error).message).toMatch(/setting retention\.days holds an invalid stored value.*set it again/);
    await settings.set('retention.days', 60, 'a');
    expect(await settings.retentionDays()).toBe(60);
  });

  it('gives the default of each setting', () => {
    expect(SettingsService.defaultOf('retention.days')).toBe(90);
    expect(SettingsService.defaultOf('auditors.default')).toEqual([]);
    expect(SettingsService.defaultOf('recording.onFailure')).toBe('drop');
  });
});
