import { describe, expect, it } from 'vitest';
import { formatTarget, parseLogin, splitCredentialLabel } from './target-syntax.js';

describe('parseLogin', () => {
  it('reads user, account and device', () => {
    expect(parseLogin('alice[root@web01]')).toEqual({ kind: 'direct', user: 'alice', target: { account: 'root', device: 'web01' } });
  });
  it('splits at the last @ inside the brackets, so an account may hold an @', () => {
    expect(parseLogin('alice[svc@corp@db-1.example]')).toEqual({ kind: 'direct', user: 'alice', target: { account: 'svc@corp', device: 'db-1.example' } });
  });
  it('treats a plain name as a menu request', () => {
    expect(parseLogin('alice')).toEqual({ kind: 'menu', user: 'alice' });
    expect(parseLogin('bob.smith@corp')).toEqual({ kind: 'menu', user: 'bob.smith@corp' });
  });
  it('keeps the user but refuses malformed targets, with a reason', () => {
    for (const login of ['alice[root@web01', 'alice[root]', 'alice[@web01]', 'alice[root@]', 'alice[]', 'alice[r[oot@web01]]', 'alice[ro ot@web01]', 'alice[root@web01]x']) {
      const r = parseLogin(login);
      expect(r.kind, login).toBe('malformed');
      expect(r.user).toBe('alice');
      if (r.kind === 'malformed') expect(r.problem.length).toBeGreaterThan(5);
    }
  });
  it('refuses an over-long login', () => {
    expect(parseLogin(`alice[root@${'x'.repeat(600)}]`).kind).toBe('malformed');
  });
  it('formats and splits labels', () => {
    expect(formatTarget({ account: 'root', device: 'web01' })).toBe('root@web01');
    expect(splitCredentialLabel('svc@corp@db')).toEqual({ account: 'svc@corp', device: 'db' });
    expect(splitCredentialLabel('nodevice@')).toBeNull();
  });
});
