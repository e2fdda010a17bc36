// Fuzz of every API route listed in the OpenAPI document: bad bodies, ids and queries, as a System Administrator and
// unauthenticated. Only 4xx problem documents (2xx where the input is valid), never 5xx, and the database unchanged.
//
// Deterministic: VIGIL_FUZZ_SEED=<n> picks other cases (VIGIL_FUZZ_SEED=random a new seed each run); a failure prints the
// seed. VIGIL_FUZZ_VERBOSE=1 prints how many requests were sent.

import type { LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/helpers/api-harness.js';
import {
  BAD_IDS,
  MALFORMED_JSON,
  NASTY_STRINGS,
  NOT_OBJECTS,
  Rng,
  UNKNOWN_IDS,
  changes,
  exampleOf,
  operationsOf,
  overlong,
  pct,
  propertiesOf,
  resolved,
  snapshot,
  typesOf,
  wrongValue,
  type AppendOnly,
  type JsonSchema,
  type OpenApiDocument,
  type Operation,
} from '../../test/helpers/fuzz.js';

const SEED = process.env.VIGIL_FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.VIGIL_FUZZ_SEED ?? 20260301);
/** The API's default body limit (the harness does not change it). */
const BODY_LIMIT = 1024 * 1024;

/**
 * Reads write these: opening Session Logs, the player or a download is itself an event and an audit entry.
 * Nothing else may appear, and no existing row may change.
 */
const READ_RECORDS: AppendOnly[] = [
  { table: 'session_events', column: 'event', allowed: new Set(['Log viewer', 'Session Play', 'Video Download', 'Live Stream']) },
  { table: 'audit_log', column: 'action', allowed: new Set(['session.logs', 'session.play', 'session.recording.download', 'session.video.download', 'session.livestream']) },
];

/** Strings every free-text field gets whatever the seed (each once found a 5xx or is the classic probe). */
const ALWAYS = ['nul\u0000in the middle', "' OR '1'='1", '<script>alert(1)</script>', '\u202Egnp.exe', '%', '"unterminated'];

/** `reject`: the input is invalid, so 4xx; `any`: valid or not, never 5xx. */
type Expect = 'reject' | 'any';
interface Case {
  label: string;
  /** Another method than the operation's (one the path does not have). */
  method?: string;
  url: string;
  headers?: Record<string, string>;
  /** A string is sent as it is (with content-type application/json unless headers say otherwise). */
  payload?: string | object;
  expect: Expect;
}

let h: Harness;
let admin: string;
let doc: OpenApiDocument;
let ops: Operation[];
/** Real values of path parameters, so that a case reaches the body and query validation of its route. */
let real: (op: Operation, name: string) => string;

beforeAll(async () => {
  h = await createHarness({ loginRateLimit: { max: 1_000_000, timeWindowMs: 60_000 } });
  admin = await h.token('sysadmin');
  const completed = await h.completedSession();
  const { live } = await h.startSession();
  await h.store.sessions.setAuditors(completed.id, [h.users.sysadmin.id]);
  const device = await h.store.devices.create({ name: 'web01', host: '192.0.2.1', port: 22, hostKey: null, trustOnFirstUse: true });
  const credential = await h.store.credentials.create(device.id, 'root', 'password', h.secretBox.seal('vault-password-1'));
  const grant = await h.store.grants.add(h.users.owner.id, credential.id, false);
  await h.store.roles.upsert('Fuzz Role', ['PAM.Access.Connect']);
  await h.app.inject({ method: 'POST', url: '/api/v1/command-rules', headers: { authorization: `Bearer ${admin}` }, payload: { name: 'fuzz-rule', pattern: 'rm -rf', action: 'deny' } });
  await h.hub.block(live.id, { userId: h.users.sysadmin.id, username: 'sysadmin' });
  const res = await h.inject('GET', '/api/v1/openapi.json', null);
  doc = res.json() as OpenApiDocument;
  ops = operationsOf(doc);
  real = (op, name) => {
    const p = op.path;
    if (name === 'userId') return String(h.users.owner.id);
    if (name === 'key') return 'retention.days';
    if (name === 'name') return p.includes('command-rules') ? 'fuzz-rule' : 'Fuzz Role';
    if (p.startsWith('/api/v1/users/')) return String(h.users.owner.id);
    if (p.startsWith('/api/v1/devices/')) return String(device.id);
    if (p.startsWith('/api/v1/credentials/')) return String(credential.id);
    if (p.startsWith('/api/v1/grants/')) return String(grant.id);
    if (p.includes('/live')) return String(live.id);
    if (p.includes('sessions/{id}')) return String(completed.id);
    // A route added later with a parameter not named here still runs, with a value of the right shape.
    return String(exampleOf(doc, op.pathParams.find((x) => x.name === name)?.schema ?? {}));
  };
});

afterAll(async () => {
  await h?.close();
});

function urlOf(op: Operation, params: Record<string, string> = {}, query = ''): string {
  let url = op.path;
  for (const p of op.pathParams) url = url.replace(`{${p.name}}`, params[p.name] ?? encodeURIComponent(real(op, p.name)));
  return url + query;
}

/** Every case for one operation. */
function casesFor(op: Operation, rng: Rng): Case[] {
  const base = urlOf(op);
  const example = op.body ? (exampleOf(doc, op.body) as object) : undefined;
  const cases = [...bodyCases(op, rng, base, example), ...pathCases(op, rng, example), ...(op.method === 'GET' && !op.streams ? queryCases(op, rng, base) : [])];
  const others = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => !ops.some((o) => o.path === op.path && o.method === m));
  if (others.length) {
    const method = rng.pick(others);
    cases.push({ label: `method ${method}`, method, url: base, ...(method === 'GET' ? {} : { payload: example ?? {} }), expect: 'reject' });
  }
  return cases;
}

/** Bodies that are not JSON, too large, of another media type, of the wrong shape, or with a field of the wrong type. */
function bodyCases(op: Operation, rng: Rng, base: string, example: object | undefined): Case[] {
  const cases: Case[] = [];
  // GET bodies are not read at all.
  if (op.method !== 'GET') {
    for (const raw of MALFORMED_JSON) cases.push({ label: `malformed JSON ${JSON.stringify(raw.slice(0, 30))}`, url: base, payload: raw, expect: 'reject' });
    cases.push({ label: 'body over the limit', url: base, payload: JSON.stringify({ pad: 'x'.repeat(BODY_LIMIT + 1) }), expect: 'reject' });
    cases.push({ label: 'empty JSON body', url: base, payload: '', expect: 'reject' });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
      cases.push({ label: `content-type ${type}`, url: base, headers: { 'content-type': type }, payload: 'a=1', expect: 'reject' });
    }
  }
  if (!op.body) return cases;
  const whole = typesOf(doc, resolved(doc, op.body));
  for (const v of NOT_OBJECTS) {
    const parsed: unknown = JSON.parse(v);
    if (!whole.has(parsed === null ? 'null' : Array.isArray(parsed) ? 'array' : typeof parsed)) cases.push({ label: `body ${v.slice(0, 30)}`, url: base, payload: v, expect: 'reject' });
  }
  for (const [field, schema] of Object.entries(propertiesOf(doc, op.body))) {
    const wrong = wrongValue(doc, schema, rng);
    if (wrong !== undefined) cases.push({ label: `${field}: wrong type ${JSON.stringify(wrong)}`, url: base, payload: { ...example, [field]: wrong }, expect: 'reject' });
    cases.push(...fieldCases(field, schema, base, example ?? {}));
    // Without a login nothing can change: nasty but well-typed strings are sent too (to the login, for one).
    if (op.public && typesOf(doc, schema).has('string')) {
      for (const s of new Set([...ALWAYS, ...rng.sample(NASTY_STRINGS, 8)])) cases.push({ label: `${field}: ${JSON.stringify(s)}`, url: base, payload: { ...example, [field]: s }, expect: 'any' });
    }
  }
  return cases;
}

/** Path parameters that are malformed (traversal, signs, floats, overflow, injections) or name nothing. */
function pathCases(op: Operation, rng: Rng, example: object | undefined): Case[] {
  const cases: Case[] = [];
  for (const p of op.pathParams) {
    const types = typesOf(doc, p.schema);
    const numeric = types.has('integer') || types.has('number') || /\[0-9\]|\\d/.test(resolved(doc, p.schema).pattern ?? '');
    const values = numeric ? [...BAD_IDS, ...UNKNOWN_IDS] : [...BAD_IDS, ...[...ALWAYS, ...rng.sample(NASTY_STRINGS, 10)].filter((s) => s !== '').map(pct)];
    // With a valid body, so that only the id is wrong.
    for (const v of values) cases.push({ label: `path ${p.name}=${v}`, url: urlOf(op, { [p.name]: v }), ...(example !== undefined ? { payload: example } : {}), expect: 'reject' });
  }
  return cases;
}

/** Query parameters of the wrong type or range, repeated, badly encoded or unknown, and Range headers. */
function queryCases(op: Operation, rng: Rng, base: string): Case[] {
  const cases: Case[] = [];
  for (const q of op.queryParams) {
    for (const [v, e] of queryValues(q.schema, rng)) cases.push({ label: `query ${q.name}=${v}`, url: `${base}?${q.name}=${pct(v)}`, expect: e });
    for (const raw of ['%ED%A0%80', '%FF', '%', '%zz']) cases.push({ label: `query ${q.name} raw ${raw}`, url: `${base}?${q.name}=${raw}`, expect: 'any' });
    cases.push({ label: `query ${q.name} twice`, url: `${base}?${q.name}=1&${q.name}=2`, expect: 'reject' });
  }
  for (const range of ['bytes=999999999999999999999-', 'bytes=-0', 'bytes=5-1', 'bytes=abc', 'bytes=0-0,1-1', 'bytes=-99999999999999999999']) {
    cases.push({ label: `Range: ${range}`, url: base, headers: { range, 'if-range': rng.pick(['"junk"', 'Wed, 21 Oct 2015 07:28:00 GMT', '\u0000']) }, expect: 'any' });
  }
  cases.push({ label: '2000 query parameters', url: `${base}?${Array.from({ length: 2000 }, (_, i) => `p${i}=${i}`).join('&')}`, expect: 'any' });
  cases.push({ label: 'unknown query parameters', url: `${base}?zz%00=1&a[$gt]=&__proto__[x]=1&${'k'.repeat(2000)}=1`, expect: 'any' });
  return cases;
}

/** Per-field cases beyond the wrong type: strings past their limit, and numbers past theirs. */
function fieldCases(field: string, raw: JsonSchema, url: string, example: object): Case[] {
  const s = resolved(doc, raw);
  const out: Case[] = [];
  const types = typesOf(doc, s);
  if (types.has('string') && s.maxLength !== undefined) out.push({ label: `${field}: ${s.maxLength + 1} nasty characters`, url, payload: { ...example, [field]: overlong(s.maxLength) }, expect: 'reject' });
  if (types.has('integer') || types.has('number')) {
    const raw = (n: string) => JSON.stringify({ ...example, [field]: '__N__' }).replace('"__N__"', n);
    for (const n of ['1e309', '-1e309', '99999999999999999999', '-99999999999999999999', '1e-400']) {
      out.push({ label: `${field}: ${n}`, url, payload: raw(n), expect: n === '1e-400' && !types.has('integer') && (s.minimum ?? -1) <= 0 ? 'any' : 'reject' });
    }
  }
  if (types.has('array')) out.push({ label: `${field}: 100000 items`, url, payload: { ...example, [field]: Array.from({ length: 100_000 }, () => 1) }, expect: 'reject' });
  return out;
}

/** Query values: [value, expectation]. */
function queryValues(raw: JsonSchema, rng: Rng): Array<[string, Expect]> {
  const s = resolved(doc, raw);
  const types = typesOf(doc, s);
  const out: Array<[string, Expect]> = [];
  if (s.enum) {
    for (const v of [...rng.sample(NASTY_STRINGS, 6), 'not-one-of-them']) if (!s.enum.includes(v)) out.push([v, 'reject']);
    return out;
  }
  if (types.has('integer') || types.has('number')) {
    out.push(['abc', 'reject'], ['1e309', 'reject'], ['-1e309', 'reject'], ["1' OR '1'='1", 'reject'], ['\u0000', 'reject']);
    if (types.has('integer')) out.push(['1.5', 'reject'], ['99999999999999999999', 'reject']);
    if (s.minimum !== undefined) out.push([String(s.minimum - 1), 'reject']);
    if (s.maximum !== undefined) out.push([String(s.maximum * 10 + 1), 'reject']);
    return out;
  }
  if (types.has('string')) {
    for (const v of new Set([...ALWAYS, ...rng.sample(NASTY_STRINGS, 8)])) out.push([v, v.trim() === '' && (s.minLength ?? 0) > 0 ? 'reject' : 'any']);
    if (s.maxLength !== undefined) out.push([overlong(s.maxLength), 'reject']);
    if (s.format === 'date-time' || s.anyOf) out.push(['2026-13-45', 'reject'], ['yesterday', 'reject']);
  }
  return out;
}

/** Unauthenticated variants: no credentials or bad ones. */
const BAD_AUTH: ReadonlyArray<Record<string, string>> = [
  {},
  { authorization: 'Bearer' },
  { authorization: 'Bearer ' + 'A'.repeat(43) },
  { authorization: 'Bearer ' + 'A'.repeat(300) },
  { authorization: "Bearer ' OR 1=1 --" },
  { authorization: 'Basic c3lzYWRtaW46Y29ycmVjdC1ob3JzZS1iYXR0ZXJ5' },
  { cookie: 'vigil_session=%00%00' },
  { cookie: `vigil_session=${'x'.repeat(300)}` },
];

async function send(op: Operation, c: Case, auth: Record<string, string>): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...auth, ...c.headers };
  let payload: string | undefined;
  if (c.payload !== undefined) {
    payload = typeof c.payload === 'string' ? c.payload : JSON.stringify(c.payload);
    headers['content-type'] ??= 'application/json';
  }
  return h.app.inject({ method: (c.method ?? op.method) as 'GET', url: c.url, headers, ...(payload !== undefined ? { payload } : {}) });
}

/** What is wrong with an answer, or null. */
function judge(res: LightMyRequestResponse, c: Case, mustRefuse: boolean): string | null {
  const status = res.statusCode;
  if (status >= 500) return `${status} ${res.body.slice(0, 300)}`;
  if ((c.expect === 'reject' || mustRefuse) && status < 400) return `accepted with ${status}: ${res.body.slice(0, 200)}`;
  if (status < 400) return null;
  const type = String(res.headers['content-type'] ?? '');
  if (!type.startsWith('application/problem+json')) return `${status} with content-type ${type || '(none)'}: ${res.body.slice(0, 200)}`;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    return `${status} problem that is not JSON: ${res.body.slice(0, 200)}`;
  }
  if (typeof body.type !== 'string' || typeof body.title !== 'string' || body.status !== status || typeof body.detail !== 'string') {
    return `${status} problem without type/title/status/detail: ${res.body.slice(0, 200)}`;
  }
  return null;
}

async function fuzz(mode: 'admin' | 'anonymous'): Promise<{ failures: string[]; requests: number }> {
  const rng = new Rng(SEED + (mode === 'admin' ? 0 : 1));
  const failures: string[] = [];
  let requests = 0;
  const db = h.store.database.db as unknown as Kysely<unknown>;
  for (const op of ops) {
    // A valid request to an event stream never ends; anonymous ones are refused at once.
    if (op.streams && mode === 'admin') continue;
    let cases = casesFor(op, rng);
    if (mode === 'anonymous') cases = rng.sample(cases, 12);
    const before = await snapshot(db);
    for (const c of cases) {
      const auth = mode === 'admin' ? { authorization: `Bearer ${admin}` } : rng.pick(BAD_AUTH);
      const res = await send(op, c, auth);
      requests++;
      const problem = judge(res, c, mode === 'anonymous' && !op.public);
      if (problem) failures.push(`[${mode}] ${op.method} ${op.path} — ${c.label} (${c.url.slice(0, 120)}): ${problem}`);
    }
    for (const p of changes(before, await snapshot(db), READ_RECORDS)) failures.push(`[${mode}] ${op.method} ${op.path} changed the database: ${p}`);
  }
  return { failures, requests };
}

function report(failures: string[]): string {
  const shown = failures.slice(0, 40).join('\n');
  return `reproduce with VIGIL_FUZZ_SEED=${SEED}; ${failures.length} failure(s)\n${shown}${failures.length > 40 ? '\n...' : ''}`;
}

describe(`API fuzz (seed ${SEED})`, () => {
  it('enumerates the routes from the OpenAPI document, including the ones with bodies, ids and queries', () => {
    // A floor, not a list: new routes are picked up without editing this test.
    expect(ops.length).toBeGreaterThan(40);
    expect(ops.some((o) => o.body && o.pathParams.length)).toBe(true);
    expect(ops.some((o) => o.queryParams.length && o.pathParams.length)).toBe(true);
  });

  it('as a System Administrator: bad input gets 4xx problem documents, never 5xx, and changes nothing', async () => {
    const { failures, requests } = await fuzz('admin');
    expect(requests).toBeGreaterThan(1000);
    if (process.env.VIGIL_FUZZ_VERBOSE) console.info(`${requests} requests over ${ops.length} operations`);
    expect(failures, report(failures)).toEqual([]);
  });

  it('unauthenticated or with bad credentials: 4xx problem documents only, and nothing changes', async () => {
    const { failures } = await fuzz('anonymous');
    expect(failures, report(failures)).toEqual([]);
  });
});

describe('injection strings are data', () => {
  const INJECTIONS = ["'; DROP TABLE users; --", "x' OR '1'='1", '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '{{7*7}}${7*7}', 'Ω 田中 \u202Egnp.exe 👩‍👩‍👧‍👦'];
  const api = (method: string, url: string, body?: unknown) => h.inject(method, url, admin, body);

  it('stores them verbatim, returns them as JSON (never HTML), and runs none of them', async () => {
    const usersBefore = (await api('GET', '/api/v1/users')).json().items.length;
    const sessionId = Number(real(ops.find((o) => o.path === '/api/v1/audit/sessions/{id}/comments')!, 'id'));
    for (const [i, text] of INJECTIONS.entries()) {
      const role = await api('POST', '/api/v1/roles', { name: `r${i} ${text}`.slice(0, 64), permissions: [] });
      expect(role.statusCode, text).toBe(200);
      expect(role.json().name).toBe(`r${i} ${text}`.slice(0, 64));
      const comment = await api('POST', `/api/v1/audit/sessions/${sessionId}/comments`, { text });
      expect(comment.statusCode, text).toBe(201);
      const search = await api('GET', `/api/v1/search?q=${pct(text)}`);
      expect(search.statusCode, text).toBe(200);
      expect(search.json().sessions).toEqual([]);
    }
    const roles = (await api('GET', '/api/v1/roles')).json().items.map((r: { name: string }) => r.name);
    for (const [i, text] of INJECTIONS.entries()) expect(roles).toContain(`r${i} ${text}`.slice(0, 64));
    const audit = await api('GET', `/api/v1/audit/sessions/${sessionId}`);
    expect(audit.headers['content-type']).toMatch(/^application\/json/);
    expect(audit.headers['x-content-type-options']).toBe('nosniff');
    expect(audit.json().comments.map((c: { text: string }) => c.text)).toEqual(expect.arrayContaining(INJECTIONS.map((t) => t.trim())));
    // The users table is still there, with the same users.
    expect((await api('GET', '/api/v1/users')).json().items.length).toBe(usersBefore);
    expect((await api('GET', '/api/v1/audit-trail/verify')).json()).toEqual({ ok: true, problems: [] });
  });
});
