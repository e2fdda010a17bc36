import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { commandCandidates, splitCommands, unquote } from './command-match.js';
import { CommandRules, compilePattern, compileRules, matchCommand, parseScope, riskOf, type CommandRule, type NewCommandRule, type RuleRepo } from './command-rules.js';
import { isVigilError } from './errors.js';
import type { Actor } from './permissions.js';

let id = 0;
function rule(pattern: string, over: Partial<CommandRule> = {}): CommandRule {
  return { id: ++id, name: `r${id}`, pattern, scope: { kind: 'global' }, criticality: 'high', action: 'deny', createdAt: new Date(0), createdBy: 't', ...over };
}
const scope = { device: 'web01', credential: 'root@web01', user: 'alice' };
const denies = (pattern: string, line: string) => matchCommand(compileRules([rule(pattern)]), [line], scope) !== null;

describe('command normalisation', () => {
  it('undoes quoting and escapes as the shell does', () => {
    expect(unquote(`r''m`)).toBe('rm');
    expect(unquote(`"rm"`)).toBe('rm');
    expect(unquote(`\\rm`)).toBe('rm');
    expect(unquote(`$'\\x72\\155'`)).toBe('rm');
    expect(unquote(`"a \\"b\\" c"`)).toBe('a "b" c');
    expect(unquote(`'it''s'`)).toBe('its');
  });

  it('splits chains, pipes, subshells and substitutions, not redirections or quoted separators', () => {
    expect(splitCommands('a; b && c || d | e & f')).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(splitCommands('echo $(id) `whoami` <(ls)')).toEqual(['echo', 'id', 'whoami', 'ls']);
    expect(splitCommands('(cd /; rm x)')).toEqual(['cd /', 'rm x']);
    expect(splitCommands('{ rm x; }')).toEqual(['rm x']);
    expect(splitCommands(`echo "a;b" 'c|d' 2>&1 >|f`)).toEqual([`echo "a;b" 'c|d' 2>&1 >|f`]);
    expect(splitCommands(`echo "x $(rm y)"`)).toEqual(['echo "x', 'rm y', '"']);
  });

  it('peels wrappers and re-parses shell -c strings', () => {
    const c = commandCandidates(`sudo -u root env A=1 nice -n 5 /bin/rm -rf /tmp/x`);
    expect(c).toContain('rm -rf /tmp/x');
    expect(commandCandidates(`bash -c "ls; rm -rf /"`)).toContain('rm -rf /');
    expect(commandCandidates(`su -c 'rm -rf /' root`)).toContain('rm -rf /');
    expect(commandCandidates(`eval 'rm -rf /'`)).toContain('rm -rf /');
    expect(commandCandidates(`FOO=bar rm x`)).toContain('rm x');
  });

  it('checks every line of a pasted block and joins backslash continuations', () => {
    expect(commandCandidates('echo a\necho b\nrm -rf /')).toContain('rm -rf /');
    expect(commandCandidates('rm \\\n-rf /')).toContain('rm -rf /');
  });
});

describe('rule matching', () => {
  it.each([
    'rm -rf /',
    'ls; rm -rf /',
    'true && rm -rf /',
    'false || rm -rf /',
    'cat x | rm -rf /',
    `r''m -rf /`,
    `"rm" -rf /`,
    `\\rm -rf /`,
    'sudo rm -rf /',
    '/bin/rm -rf /',
    `bash -c 'rm -rf /'`,
    'echo $(rm -rf /)',
    'echo ok\nrm -rf /',
    '  rm    -rf   /  ',
  ])('a rule ^rm\\s+-rf catches %j', (line) => {
    expect(denies(String.raw`^rm\s+-rf`, line)).toBe(true);
  });

  it.each(['echo rm -rf', 'firm -rf', 'ls -l', 'echo "rm -rf /"'])('and leaves %j alone', (line) => {
    expect(denies(String.raw`^rm\s+-rf`, line)).toBe(false);
  });

  it('picks interrupt over deny over allow_log, then the higher criticality', () => {
    const rules = compileRules([
      rule('rm', { name: 'log', action: 'allow_log', criticality: 'high' }),
      rule('rm', { name: 'deny-low', action: 'deny', criticality: 'low' }),
      rule('rm', { name: 'deny-med', action: 'deny', criticality: 'medium' }),
    ]);
    expect(matchCommand(rules, ['rm x'], scope)?.rule.name).toBe('deny-med');
    const withInterrupt = compileRules([...rules.map((r) => r.rule), rule('rm', { name: 'stop', action: 'interrupt', criticality: 'low' })]);
    expect(matchCommand(withInterrupt, ['rm x'], scope)?.rule.name).toBe('stop');
    expect(matchCommand(rules, ['rm x'], scope, { enforcingOnly: true })?.rule.name).toBe('deny-med');
  });

  it('applies scopes: device, credential, user', () => {
    const rules = compileRules([
      rule('x', { name: 'dev', scope: parseScope('device:db01') }),
      rule('x', { name: 'cred', scope: parseScope('credential:root@web01') }),
      rule('x', { name: 'usr', scope: parseScope('user:bob') }),
    ]);
    expect(matchCommand(rules, ['x'], scope)?.rule.name).toBe('cred');
    expect(matchCommand(rules, ['x'], { ...scope, credential: 'app@web01' })).toBeNull();
    expect(matchCommand(rules, ['x'], { device: 'db01', credential: 'a@db01', user: 'bob' })?.rule.name).toBe('dev');
  });

  it('refuses invalid, overlong and exponential patterns', () => {
    for (const bad of ['(', 'a'.repeat(513), '(a+)+$', '(\\w*x?)*y', '(?:a|b+){2,}c']) {
      expect(() => compilePattern(bad), bad).toThrow();
    }
    expect(() => compilePattern(String.raw`^(sudo\s+)?rm\s+-(rf|fr)\b`)).not.toThrow();
    expect(() => compilePattern('(ab){3}')).not.toThrow();
  });

  it('stays fast on hostile input: long lines, many pasted lines', () => {
    const rules = compileRules([rule('a.*b.*c.*d'), rule('(x|y)*z')]);
    const t0 = performance.now();
    matchCommand(rules, ['a'.repeat(100_000) + '!', ('x;'.repeat(5000) + '\n').repeat(50)], scope);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('scores risk as the sum of weights, and the highest criticality', () => {
    expect(riskOf([null, 'low', 'high', 'medium', null])).toEqual({ score: 13, max: 'high', matches: 3 });
    expect(riskOf([])).toEqual({ score: 0, max: null, matches: 0 });
  });
});

describe('CommandRules (management)', () => {
  class MemRepo implements RuleRepo {
    rules: CommandRule[] = [];
    async list() {
      return this.rules;
    }
    async byName(n: string) {
      return this.rules.find((r) => r.name === n) ?? null;
    }
    async create(r: NewCommandRule) {
      const c = { ...r, id: this.rules.length + 1 };
      this.rules.push(c);
      return c;
    }
    async remove(n: string) {
      const before = this.rules.length;
      this.rules = this.rules.filter((r) => r.name !== n);
      return this.rules.length < before;
    }
  }
  const actor = (perms: string[]): Actor => ({ userId: 1, username: 'a', roles: [], permissions: new Set(perms) as Actor['permissions'] });
  const audit: string[] = [];
  const svc = () => new CommandRules({ rules: new MemRepo(), audit: { append: async (e) => (audit.push(e.action), { ...e, id: 1, prevHash: '', hash: '' }) }, clock: new ManualClock() });

  it('validates, audits, and tells listeners', async () => {
    const s = svc();
    let changes = 0;
    s.onChange(() => changes++);
    const r = await s.add(actor(['PAM.Vault.Manage']), { name: 'no-rm', pattern: '^rm', scope: 'device:web01', criticality: 'high', action: 'deny' });
    expect(r).toMatchObject({ name: 'no-rm', scope: { kind: 'device', device: 'web01' }, createdBy: 'a' });
    await expect(s.add(null, { name: 'no-rm', pattern: 'x' })).rejects.toSatisfy((e) => isVigilError(e, 'Conflict'));
    await expect(s.add(null, { name: 'bad scope', pattern: 'x', scope: 'host:x' })).rejects.toSatisfy((e) => isVigilError(e, 'BadRequest'));
    await expect(s.add(null, { name: '', pattern: 'x' })).rejects.toSatisfy((e) => isVigilError(e, 'BadRequest'));
    await expect(s.add(actor(['PAM.SessionManagement.Logs']), { name: 'x', pattern: 'x' })).rejects.toSatisfy((e) => isVigilError(e, 'AccessDenied'));
    expect(await s.list(actor(['PAM.SessionManagement.Logs']))).toHaveLength(1);
    await expect(s.list(actor(['PAM.Access.Connect']))).rejects.toSatisfy((e) => isVigilError(e, 'AccessDenied'));
    await s.remove(null, 'no-rm');
    await expect(s.remove(null, 'no-rm')).rejects.toSatisfy((e) => isVigilError(e, 'NotFound'));
    expect(changes).toBe(2);
    expect(audit).toEqual(['command-rule.add', 'command-rule.remove']);
  });
});
