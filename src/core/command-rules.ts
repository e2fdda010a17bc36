// Audited-command rules: a regular expression, a scope, a criticality and an action; validation, matching and risk.

import type { Clock } from './clock.js';
import { commandCandidates } from './command-match.js';
import { VigilError } from './errors.js';
import { hasPermission, type Actor } from './permissions.js';
import type { AuditRepo } from './ports.js';

export type Criticality = 'low' | 'medium' | 'high';
export const CRITICALITIES: readonly Criticality[] = ['low', 'medium', 'high'];
/** allow_log: run it and log the match; deny: never reaches the target, the user is told; interrupt: the session is dropped. */
export type RuleAction = 'allow_log' | 'deny' | 'interrupt';
export const RULE_ACTIONS: readonly RuleAction[] = ['allow_log', 'deny', 'interrupt'];

/** Where a rule applies. Written `global`, `device:NAME`, `credential:ACCOUNT@DEVICE` or `user:NAME`. */
export type RuleScope =
  | { kind: 'global' }
  | { kind: 'device'; device: string }
  | { kind: 'credential'; credential: string }
  | { kind: 'user'; user: string };

export interface CommandRule {
  id: number;
  name: string;
  pattern: string;
  scope: RuleScope;
  criticality: Criticality;
  action: RuleAction;
  createdAt: Date;
  createdBy: string;
}

export interface NewCommandRule {
  name: string;
  pattern: string;
  scope: RuleScope;
  criticality: Criticality;
  action: RuleAction;
  createdAt: Date;
  createdBy: string;
}

/** Storage of rules. */
export interface RuleRepo {
  list(): Promise<CommandRule[]>;
  byName(name: string): Promise<CommandRule | null>;
  /** Throws Conflict when the name is taken. */
  create(r: NewCommandRule): Promise<CommandRule>;
  /** Returns false when there was no such rule. */
  remove(name: string): Promise<boolean>;
}

/** Longest accepted pattern. */
export const MAX_PATTERN_LENGTH = 512;
const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9 _.:@-]{0,63}$/;

/** What a rule's scope is compared with: the session's device, credential label (account@device) and Vigil user. */
export interface SessionScope {
  device: string;
  credential: string;
  user: string;
}

export function formatScope(s: RuleScope): string {
  switch (s.kind) {
    case 'global':
      return 'global';
    case 'device':
      return `device:${s.device}`;
    case 'credential':
      return `credential:${s.credential}`;
    case 'user':
      return `user:${s.user}`;
  }
}

/** Parses `global`, `device:NAME`, `credential:ACCOUNT@DEVICE` or `user:NAME`; BadRequest otherwise. */
export function parseScope(raw: string): RuleScope {
  const text = raw.trim();
  if (text === 'global') return { kind: 'global' };
  const m = /^(device|credential|user):(\S{1,200})$/.exec(text);
  if (!m) throw VigilError.badRequest('scope must be global, device:NAME, credential:ACCOUNT@DEVICE or user:NAME', { field: 'scope' });
  const value = m[2];
  if (m[1] === 'device') return { kind: 'device', device: value };
  if (m[1] === 'user') return { kind: 'user', user: value };
  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1) throw VigilError.badRequest('a credential scope is written credential:ACCOUNT@DEVICE', { field: 'scope' });
  return { kind: 'credential', credential: value };
}

export function ruleApplies(rule: Pick<CommandRule, 'scope'>, s: SessionScope): boolean {
  const sc = rule.scope;
  switch (sc.kind) {
    case 'global':
      return true;
    case 'device':
      return sc.device === s.device;
    case 'credential':
      return sc.credential === s.credential;
    case 'user':
      return sc.user === s.user;
  }
}

/**
 * Compiles a rule's pattern, refusing what could make matching slow: longer than 512 characters, or a quantified
 * group that itself contains a quantifier (`(a+)+`, `(\w*x?)*`: exponential backtracking). Candidate texts are at
 * most 4 KiB, which bounds the rest.
 */
export function compilePattern(pattern: string): RegExp {
  if (typeof pattern !== 'string' || pattern.length === 0) throw VigilError.badRequest('a pattern is required', { field: 'pattern' });
  if (pattern.length > MAX_PATTERN_LENGTH) throw VigilError.badRequest(`the pattern must be at most ${MAX_PATTERN_LENGTH} characters`, { field: 'pattern' });
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (err) {
    throw VigilError.badRequest(`invalid regular expression: ${err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err)}`, { field: 'pattern' });
  }
  if (nestedQuantifier(pattern)) {
    throw VigilError.badRequest('the pattern repeats a group that itself repeats (like (a+)+): it could take exponential time; rewrite it without nesting', { field: 'pattern' });
  }
  return re;
}

/** True when a group containing a quantifier is itself quantified. */
function nestedQuantifier(p: string): boolean {
  const stack: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') stack.push(false);
    else if (c === ')') {
      const inner = stack.pop() ?? false;
      const next = p[i + 1];
      const quantified = next === '*' || next === '+' || (next === '{' && /^\{\d+,\d*\}/.test(p.slice(i + 1)) && !/^\{(\d+),\1\}/.test(p.slice(i + 1)));
      if (inner && quantified) return true;
      if (inner && stack.length) stack[stack.length - 1] = true;
    } else if ((c === '*' || c === '+' || c === '{') && stack.length) {
      if (c !== '{' || /^\{\d+(,\d*)?\}/.test(p.slice(i))) stack[stack.length - 1] = true;
    }
  }
  return false;
}

/** A rule ready to match. */
export interface CompiledRule {
  rule: CommandRule;
  re: RegExp;
}

export function compileRules(rules: readonly CommandRule[]): CompiledRule[] {
  const out: CompiledRule[] = [];
  for (const rule of rules) {
    try {
      out.push({ rule, re: compilePattern(rule.pattern) });
    } catch {
      // A stored rule that no longer compiles (changed limits) never matches; `rules list` still shows it.
    }
  }
  return out;
}

/** The strongest rule a command line matched, and on which text. */
export interface RuleMatch {
  rule: CommandRule;
  /** The normalised part of the command that matched (e.g. `rm -rf /` out of `ls; r''m -rf /`). */
  matched: string;
}

const ACTION_RANK: Record<RuleAction, number> = { allow_log: 0, deny: 1, interrupt: 2 };
const CRITICALITY_RANK: Record<Criticality, number> = { low: 0, medium: 1, high: 2 };

/**
 * Tries every applicable rule on every candidate of every text (a reconstructed line, the typed keys, a pasted
 * block). Returns the strongest match: interrupt over deny over allow_log, then the higher criticality, then the
 * older rule. Null when nothing matched.
 */
export function matchCommand(rules: readonly CompiledRule[], texts: readonly string[], scope: SessionScope, opts: { enforcingOnly?: boolean } = {}): RuleMatch | null {
  const applicable = rules.filter((r) => ruleApplies(r.rule, scope) && (!opts.enforcingOnly || r.rule.action !== 'allow_log'));
  if (applicable.length === 0) return null;
  const candidates = new Set<string>();
  for (const t of texts) if (t) for (const c of commandCandidates(t)) candidates.add(c);
  let best: RuleMatch | null = null;
  for (const r of applicable) {
    if (best && !stronger(r.rule, best.rule)) continue;
    for (const c of candidates) {
      if (r.re.test(c)) {
        best = { rule: r.rule, matched: c };
        break;
      }
    }
  }
  return best;
}

function stronger(a: CommandRule, b: CommandRule): boolean {
  if (ACTION_RANK[a.action] !== ACTION_RANK[b.action]) return ACTION_RANK[a.action] > ACTION_RANK[b.action];
  if (CRITICALITY_RANK[a.criticality] !== CRITICALITY_RANK[b.criticality]) return CRITICALITY_RANK[a.criticality] > CRITICALITY_RANK[b.criticality];
  return a.id < b.id;
}

/** Weights of the risk score: a high match counts as much as nine low ones. */
export const CRITICALITY_WEIGHT: Record<Criticality, number> = { low: 1, medium: 3, high: 9 };

/** A session's risk: `score` is the sum of the weights of its matched commands; `max` the highest criticality seen. */
export interface SessionRisk {
  score: number;
  max: Criticality | null;
  matches: number;
}

export function riskOf(criticalities: ReadonlyArray<Criticality | null>): SessionRisk {
  let score = 0;
  let max: Criticality | null = null;
  let matches = 0;
  for (const c of criticalities) {
    if (!c) continue;
    matches++;
    score += CRITICALITY_WEIGHT[c];
    if (max === null || CRITICALITY_RANK[c] > CRITICALITY_RANK[max]) max = c;
  }
  return { score, max, matches };
}

export interface RuleInput {
  name: string;
  pattern: string;
  scope?: string;
  criticality?: Criticality;
  action?: RuleAction;
}

/** Who may change rules (PAM and system administrators) and who may read them (also session reviewers). */
function mayManage(a: Actor): boolean {
  return hasPermission(a, 'PAM.Vault.Manage') || hasPermission(a, 'System.Settings.Manage');
}
function mayRead(a: Actor): boolean {
  return mayManage(a) || hasPermission(a, 'PAM.SessionManagement.Logs') || hasPermission(a, 'PAM.SessionManagement.View');
}

/** Managing rules from the API and the CLI: validated, audited. `onChange` lets the live enforcer reload at once. */
export class CommandRules {
  private readonly listeners = new Set<() => void>();
  constructor(private readonly o: { rules: RuleRepo; audit: Pick<AuditRepo, 'append'>; clock: Clock }) {}

  onChange(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  async list(actor: Actor | null): Promise<CommandRule[]> {
    if (actor && !mayRead(actor)) throw VigilError.denied('You may not view command rules');
    return this.o.rules.list();
  }

  /** Adds a rule; `actor` null is the local CLI (its name is given as `by`). */
  async add(actor: Actor | null, input: RuleInput, by = actor?.username ?? 'cli'): Promise<CommandRule> {
    if (actor && !mayManage(actor)) throw VigilError.denied('You may not manage command rules');
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (!RULE_NAME.test(name)) throw VigilError.badRequest('a rule name is 1-64 letters, digits, spaces or _.:@- and starts with a letter or digit', { field: 'name' });
    compilePattern(input.pattern);
    const scope = parseScope(input.scope ?? 'global');
    const criticality = input.criticality ?? 'medium';
    const action = input.action ?? 'allow_log';
    if (!CRITICALITIES.includes(criticality)) throw VigilError.badRequest(`criticality must be one of ${CRITICALITIES.join(', ')}`, { field: 'criticality' });
    if (!RULE_ACTIONS.includes(action)) throw VigilError.badRequest(`action must be one of ${RULE_ACTIONS.join(', ')}`, { field: 'action' });
    if (await this.o.rules.byName(name)) throw VigilError.conflict(`a rule named "${name}" already exists`);
    const rule = await this.o.rules.create({ name, pattern: input.pattern, scope, criticality, action, createdAt: this.o.clock.now(), createdBy: by });
    await this.o.audit.append({ at: this.o.clock.now(), actor: by, action: 'command-rule.add', target: name, details: JSON.stringify({ pattern: rule.pattern, scope: formatScope(scope), criticality, action }) });
    this.changed();
    return rule;
  }

  async remove(actor: Actor | null, name: string, by = actor?.username ?? 'cli'): Promise<void> {
    if (actor && !mayManage(actor)) throw VigilError.denied('You may not manage command rules');
    const rule = await this.o.rules.byName(name);
    if (!rule || !(await this.o.rules.remove(name))) throw VigilError.notFound(`command rule "${name}"`);
    await this.o.audit.append({ at: this.o.clock.now(), actor: by, action: 'command-rule.remove', target: name, details: JSON.stringify({ pattern: rule.pattern, scope: formatScope(rule.scope), action: rule.action }) });
    this.changed();
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
