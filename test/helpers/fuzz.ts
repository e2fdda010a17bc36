// Bad-input generation for the API fuzz test: routes read from the OpenAPI document, seeded cases per route, and database snapshots.

import { sql, type Kysely } from 'kysely';
import { prng } from './synthetic-cast.js';

/** A JSON Schema as @fastify/swagger writes it into the OpenAPI 3.0 document (only what the generators read). */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  nullable?: boolean;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean | number;
  format?: string;
  pattern?: string;
}

interface OpenApiParameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  schema?: JsonSchema;
}

interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  responses?: Record<string, { content?: Record<string, unknown> }>;
  security?: unknown[];
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** One operation of the document, with what the generators need. */
export interface Operation {
  method: string;
  /** The templated path, e.g. `/api/v1/sessions/{id}`. */
  path: string;
  pathParams: Array<{ name: string; schema: JsonSchema; required: boolean }>;
  queryParams: Array<{ name: string; schema: JsonSchema; required: boolean }>;
  body: JsonSchema | null;
  /** A `text/event-stream` answer: an endless stream when the request is valid. */
  streams: boolean;
  /** Needs no authentication (`security: []`). */
  public: boolean;
}

/** Every operation of an OpenAPI document. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  const out: Operation[] = [];
  for (const [p, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params = op.parameters ?? [];
      const pick = (where: string) => params.filter((x) => x.in === where).map((x) => ({ name: x.name, schema: x.schema ?? {}, required: x.required === true }));
      out.push({
        method: method.toUpperCase(),
        path: p,
        pathParams: pick('path'),
        queryParams: pick('query'),
        body: op.requestBody?.content?.['application/json']?.schema ?? null,
        streams: Object.values(op.responses ?? {}).some((r) => Object.keys(r.content ?? {}).includes('text/event-stream')),
        public: Array.isArray(op.security) && op.security.length === 0,
      });
    }
  }
  return out;
}

/** A seeded generator; the seed is what a failure prints. */
export class Rng {
  private readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = prng(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  /** `n` distinct elements (all when fewer). */
  sample<T>(xs: readonly T[], n: number): T[] {
    const copy = [...xs];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy.slice(0, n);
  }
}

/** Strings that have broken parsers, databases, terminals and HTML: unicode, NUL, RTL, SQL and HTML injection, format strings. */
export const NASTY_STRINGS: readonly string[] = [
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  '" OR ""="',
  '1; SELECT * FROM sqlite_master',
  "admin'--",
  '%',
  '_',
  '\\',
  '*',
  'NEAR(a b)',
  '"unterminated',
  'a AND OR NOT',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '{{7*7}}${7*7}',
  '%s%s%s%n',
  '\u0000',
  'nul\u0000in the middle',
  '\u202Egnp.exe',
  '\u200B\u200C\u200D\uFEFF',
  'Ω≈ç√∫˜µ≤≥÷ 田中さん 👩‍👩‍👧‍👦',
  '\uD800',
  '\uDFFF\uD800',
  'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇',
  '\r\n\r\nSet-Cookie: x=1',
  '\x1b]52;c;ZWNobyBoYWNrZWQ=\x07',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '',
  ' ',
  'null',
  'undefined',
  '__proto__',
  'constructor',
];

/** Path segments that are not a valid id: traversal, signs, floats, overflows, other types and injections. */
export const BAD_IDS: readonly string[] = [
  '../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '..',
  '-1',
  '0',
  '-0',
  '1e309',
  '-1e309',
  '1.5',
  '99999999999999999999',
  '9007199254740993',
  '18446744073709551616',
  'NaN',
  'Infinity',
  'abc',
  'null',
  'true',
  '%00',
  '1%00',
  '%E2%80%AE1',
  '%20',
  "1'%20OR%20'1'%3D'1",
  '%3Cscript%3E',
  '%5B%5D',
  '%7B%7D',
  '%ED%A0%80',
  '%FF%FE',
  '%',
  '%zz',
  '01',
  '0x1',
  '1e0',
  '%2B1',
  '%201',
  '1%20',
  '1.0',
  '1'.repeat(150),
  'x'.repeat(5000),
];

/** Percent-encodes the UTF-8 of a string (lone surrogates become U+FFFD, as encodeURIComponent would refuse them). */
export function pct(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/** Path segments that are well-formed numbers but name nothing. */
export const UNKNOWN_IDS: readonly string[] = ['999999', '9007199254740991', '9999999999999999'];

/** Bodies that are not JSON, or JSON that must be refused before any route sees it. */
export const MALFORMED_JSON: readonly string[] = [
  '{',
  '{"a":',
  "{'a': 1}",
  '{"a": 1}}',
  '[1, 2',
  'NaN',
  '\u0000',
  '{"a": undefined}',
  '{"__proto__": {"isAdmin": true}}',
  '{"constructor": {"prototype": {"isAdmin": true}}}',
];

/** Well-formed JSON that is no object body: deep nesting, and other top-level types. */
export const NOT_OBJECTS: readonly string[] = ['[]', '"string"', '42', 'true', 'null', '['.repeat(50_000) + ']'.repeat(50_000), '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000)];

/** A value for each JSON type; wrong-type mutations choose among the ones the schema does not allow. */
const VALUES_BY_TYPE: Record<string, unknown[]> = {
  string: ['fuzz', '', '\u0000', "' OR 1=1 --"],
  number: [1.5, -1, 0],
  integer: [-1, 0, 1],
  boolean: [true, false],
  null: [null],
  array: [[], [1, 'a', null], [{}]],
  object: [{}, { a: 1 }, { $gt: '' }],
};

function resolve(doc: OpenApiDocument, s: JsonSchema): JsonSchema {
  if (s.$ref) {
    const name = s.$ref.replace('#/components/schemas/', '');
    const target = doc.components?.schemas?.[name];
    if (!target) throw new Error(`unresolved ${s.$ref}`);
    return resolve(doc, target);
  }
  return s;
}

/** The JSON types a schema accepts; empty for "anything". */
export function typesOf(doc: OpenApiDocument, raw: JsonSchema): Set<string> {
  const s = resolve(doc, raw);
  const out = new Set<string>();
  const alts = s.anyOf ?? s.oneOf;
  if (alts) for (const a of alts) for (const t of typesOf(doc, a)) out.add(t);
  if (s.type) for (const t of Array.isArray(s.type) ? s.type : [s.type]) out.add(t);
  if (s.enum) for (const v of s.enum) out.add(v === null ? 'null' : typeof v);
  if (s.nullable) out.add('null');
  return out;
}

/** A value of a type the schema refuses; null when it accepts anything. */
export function wrongValue(doc: OpenApiDocument, s: JsonSchema, rng: Rng): unknown {
  const allowed = typesOf(doc, s);
  if (allowed.size === 0) return undefined;
  const candidates: unknown[] = [];
  for (const [t, values] of Object.entries(VALUES_BY_TYPE)) {
    if (allowed.has(t)) continue;
    // An integer field accepts whole numbers: only 1.5 is of the wrong "type" among numbers.
    if (t === 'number' && allowed.has('integer')) {
      candidates.push(1.5);
      continue;
    }
    if (t === 'integer' && allowed.has('number')) continue;
    candidates.push(...values);
  }
  // Enums of strings refuse other strings too.
  const r = resolve(doc, s);
  if (r.enum && allowed.has('string')) candidates.push('not-one-of-them');
  return candidates.length ? rng.pick(candidates) : undefined;
}

/** A minimal value the schema accepts (required properties only). */
export function exampleOf(doc: OpenApiDocument, raw: JsonSchema): unknown {
  const s = resolve(doc, raw);
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  const alt = s.anyOf ?? s.oneOf;
  if (alt) return exampleOf(doc, alt[0]!);
  if (s.allOf) return Object.assign({}, ...s.allOf.map((x) => exampleOf(doc, x)));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const k of s.required ?? []) out[k] = exampleOf(doc, s.properties?.[k] ?? {});
      return out;
    }
    case 'array':
      return Array.from({ length: s.minItems ?? 0 }, () => exampleOf(doc, s.items ?? {}));
    case 'string':
      return s.format === 'date-time' ? '2026-03-01T09:00:00Z' : 'a'.repeat(Math.max(1, s.minLength ?? 1));
    case 'integer':
    case 'number':
      return Math.max(1, s.minimum ?? 1);
    case 'boolean':
      return false;
    default:
      return 'a';
  }
}

/** The properties of an object body schema. */
export function propertiesOf(doc: OpenApiDocument, raw: JsonSchema): Record<string, JsonSchema> {
  const s = resolve(doc, raw);
  return s.properties ?? {};
}

export function resolved(doc: OpenApiDocument, raw: JsonSchema): JsonSchema {
  return resolve(doc, raw);
}

/** A string of max+1 code points (zod measures strings in code points) made of nasty characters: NUL, RTL, astral, quotes. */
export function overlong(max: number): string {
  const unit = [...'a\u0000\u202E😀<\'"'];
  return Array.from({ length: max + 1 }, (_, i) => unit[i % unit.length]).join('');
}

/** Tables whose rows legitimately record reads: new rows may appear (only of the kinds given), old ones never change. */
export interface AppendOnly {
  table: string;
  /** Column naming what a new row records. */
  column: string;
  allowed: ReadonlySet<string>;
}

export type Snapshot = Map<string, string[]>;

/**
 * Every row of every table, as JSON lines in rowid order (sorted for WITHOUT ROWID tables). SQLite's own tables and
 * virtual (FTS) tables with their shadow tables are skipped: they are indexes derived from the tables compared here.
 */
export async function snapshot(db: Kysely<unknown>): Promise<Snapshot> {
  const tables = await sql<{ name: string; sql: string | null }>`SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`.execute(db);
  const virtual = tables.rows.filter((t) => /^CREATE VIRTUAL TABLE/i.test(t.sql ?? '')).map((t) => t.name);
  const out: Snapshot = new Map();
  for (const t of tables.rows) {
    if (virtual.some((v) => t.name === v || t.name.startsWith(`${v}_`))) continue;
    const withoutRowid = /WITHOUT\s+ROWID/i.test(t.sql ?? '');
    const query = withoutRowid ? sql<Record<string, unknown>>`SELECT * FROM ${sql.table(t.name)}` : sql<Record<string, unknown>>`SELECT * FROM ${sql.table(t.name)} ORDER BY rowid`;
    const rows = (await query.execute(db)).rows.map((r) => JSON.stringify(r));
    out.set(t.name, withoutRowid ? rows.sort() : rows);
  }
  return out;
}

/** What changed between two snapshots beyond the allowed appends: one line per problem, empty when nothing did. */
export function changes(before: Snapshot, after: Snapshot, appendOnly: readonly AppendOnly[]): string[] {
  const problems: string[] = [];
  for (const name of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(name) ?? [];
    const b = after.get(name) ?? [];
    const rule = appendOnly.find((x) => x.table === name);
    if (rule) {
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) problems.push(`${name}: row ${i + 1} changed or removed: ${a[i]!.slice(0, 200)}`);
      for (const row of b.slice(a.length)) {
        const kind = String((JSON.parse(row) as Record<string, unknown>)[rule.column]);
        if (!rule.allowed.has(kind)) problems.push(`${name}: unexpected new row (${rule.column} = ${kind}): ${row.slice(0, 200)}`);
      }
      continue;
    }
    if (a.length !== b.length || a.some((r, i) => r !== b[i])) {
      const removed = a.filter((r) => !b.includes(r));
      const added = b.filter((r) => !a.includes(r));
      problems.push(`${name}: ${removed.length} row(s) removed or changed, ${added.length} added or changed: ${[...removed.map((r) => `- ${r}`), ...added.map((r) => `+ ${r}`)].join(' ').slice(0, 600)}`);
    }
  }
  return problems;
}
