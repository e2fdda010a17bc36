// End to end: a full scenario through the real API and gateway (users with passwords, a TOTP-enrolled user, vaulted
// password and private key, sessions with the OpenSSH client), then every GET route of the OpenAPI document, the
// database files (with WAL), the recordings and Vigil's own output are searched for every secret: none may appear.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEd25519KeyPair } from '../../src/gateway/ssh/host-key.js';
import { exampleOf, operationsOf, type OpenApiDocument } from '../helpers/fuzz.js';
import { sshExec } from '../helpers/ssh-client.js';
import { sshKeyboard, totpCode } from '../helpers/ssh-totp.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { requireTool } from '../helpers/tools.js';
import { ADMIN_PASSWORD, newDataDir, startVigilProcess, type VigilProcess } from '../helpers/vigil.js';
import { apiBase } from '../helpers/vigil-api.js';
import { gunzipSync } from 'node:zlib';

const skip = requireTool('sshd', 'ssh', 'sshpass', 'ssh-keygen');

/** Passwords with random parts, so that none can appear by chance or from another test. */
const secretWord = (name: string) => `${name}-${randomBytes(9).toString('base64url')}`;
const PASSWORDS = { bob: secretWord('Bob'), tina: secretWord('Tina'), aud: secretWord('Aud') };

/** A six-digit code valid for none of the steps a server accepts now (±1). */
function wrongCode(secret: string): string {
  const valid = new Set([-1, 0, 1].map((d) => totpCode(secret, d)));
  for (let n = 0; ; n++) if (!valid.has(String(n).padStart(6, '0'))) return String(n).padStart(6, '0');
}

/** Base32 (RFC 4648) to bytes. */
function base32Bytes(s: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of s.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  return Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)));
}

/** Every `n`-character slice of each line of a PEM/OpenSSH key body, and of the lines joined (header and footer are not secret). */
function slicesOf(pem: string, n: number): Set<string> {
  const lines = pem.split(/\r?\n/).filter((l) => l && !l.startsWith('-----'));
  const out = new Set<string>();
  for (const text of [...lines, lines.join('')]) for (let i = 0; i + n <= text.length; i++) out.add(text.slice(i, i + n));
  return out;
}

/**
 * The 16-character slices of a key that carry its secret. Every unencrypted OpenSSH ed25519 key shares its framing
 * ("openssh-key-v1", "none", "ssh-ed25519", lengths): a slice with 8 characters in a row that other, fresh keys also
 * have is framing, not secret, and is left out (the rest have at least 9 characters of key material).
 */
function keySlices(pem: string): string[] {
  const framing = new Set<string>();
  for (let i = 0; i < 3; i++) for (const s of slicesOf(generateEd25519KeyPair({ comment: 'format' }).private, 8)) framing.add(s);
  return [...slicesOf(pem, 16)].filter((s) => ![...Array(9).keys()].some((i) => framing.has(s.slice(i, i + 8))));
}

interface Needle {
  name: string;
  bytes: Buffer;
}

/** The names of the needles found in `hay`. */
function found(hay: Buffer, needles: readonly Needle[]): string[] {
  return [...new Set(needles.filter((n) => hay.indexOf(n.bytes) !== -1).map((n) => n.name))];
}

/** Every regular file under `dir`. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe.skipIf(skip)('secrets never leave the vault (full scenario, every GET route, database, logs)', () => {
  let sshd: Sshd;
  let vigil: VigilProcess;
  let dataDir: string;
  let base: string;
  const masterKey = randomBytes(32);
  let totpSecret = '';
  /** The answer that legitimately carries the TOTP secret once: it proves the scanner finds what it looks for. */
  let enrolmentAnswer = '';
  const tokens: Record<string, string> = {};
  const responses: Array<{ label: string; body: Buffer }> = [];

  async function api(method: string, url: string, token: string | null, body?: unknown): Promise<Response> {
    return fetch(`${base}${url}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }
  async function ok<T>(method: string, url: string, token: string | null, body?: unknown): Promise<T> {
    const res = await api(method, url, token, body);
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }
  const login = (username: string, password: string, totp?: string) => api('POST', '/api/v1/auth/login', null, { username, password, ...(totp ? { totp } : {}) });

  beforeAll(async () => {
    dataDir = newDataDir();
    sshd = await startSshd();
    vigil = await startVigilProcess({ dataDir, env: { VIGIL_MASTER_KEY: masterKey.toString('hex') } });
    base = `http://127.0.0.1:${Number(new URL(await apiBase(vigil)).port)}`;

    tokens.admin = (await ok<{ token: string }>('POST', '/api/v1/auth/login', null, { username: 'admin', password: ADMIN_PASSWORD })).token;
    const admin = tokens.admin;
    await ok('POST', '/api/v1/users', admin, { username: 'bob', password: PASSWORDS.bob, roles: ['PAM User'] });
    await ok('POST', '/api/v1/users', admin, { username: 'tina', password: PASSWORDS.tina, roles: ['PAM User'] });
    await ok('POST', '/api/v1/users', admin, { username: 'aud', password: PASSWORDS.aud, roles: ['PAM Auditor'] });
    // An administrator changes a password too (PATCH), as happens in real life.
    const audId = (await ok<{ items: Array<{ id: number; username: string }> }>('GET', '/api/v1/users', admin)).items.find((u) => u.username === 'aud')!.id;
    PASSWORDS.aud = secretWord('Aud2');
    await ok('PATCH', `/api/v1/users/${audId}`, admin, { password: PASSWORDS.aud });

    // tina enrols TOTP through the API.
    const tinaFirst = (await ok<{ token: string }>('POST', '/api/v1/auth/login', null, { username: 'tina', password: PASSWORDS.tina })).token;
    const startRes = await api('POST', '/api/v1/me/totp', tinaFirst);
    enrolmentAnswer = await startRes.text();
    totpSecret = (JSON.parse(enrolmentAnswer) as { secret: string }).secret;
    await ok('POST', '/api/v1/me/totp/confirm', tinaFirst, { code: totpCode(totpSecret) });
    // Her token stays good after enrolling (it was a full one); a wrong code with the right password at the console.
    tokens.tina = tinaFirst;
    expect((await login('tina', PASSWORDS.tina, wrongCode(totpSecret))).status).toBe(401);
    tokens.aud = ((await (await login('aud', PASSWORDS.aud)).json()) as { token: string }).token;
    expect((await login('bob', 'not-bobs-password')).status).toBe(401);

    // The vault: a password credential and a private-key credential.
    await ok('POST', '/api/v1/devices', admin, { name: 'web01', host: '127.0.0.1', port: sshd.port, hostKey: sshd.hostKeyLine });
    await ok('POST', '/api/v1/devices', admin, { name: 'web02', host: '127.0.0.1', port: sshd.port, hostKey: sshd.hostKeyLine });
    const pw = await ok<{ id: number }>('POST', '/api/v1/credentials', admin, { device: 'web01', account: sshd.user, password: sshd.password });
    const key = await ok<{ id: number }>('POST', '/api/v1/credentials', admin, { device: 'web02', account: sshd.user, privateKey: sshd.privateKey });
    const users = (await ok<{ items: Array<{ id: number; username: string }> }>('GET', '/api/v1/users', admin)).items;
    for (const name of ['bob', 'tina']) {
      const userId = users.find((u) => u.username === name)!.id;
      for (const credentialId of [pw.id, key.id]) await ok('POST', '/api/v1/grants', admin, { userId, credentialId });
    }

    // Sessions through Vigil with the OpenSSH client: password logins, a TOTP login, and refused attempts.
    for (const device of ['web01', 'web02']) {
      const r = await sshExec({ port: vigil.sshPort, login: `bob[${sshd.user}@${device}]`, password: PASSWORDS.bob }, `echo hello-from-${device}; id -un`);
      expect(r.stdout, r.stderr).toBe(`hello-from-${device}\n${sshd.user}\n`);
    }
    const wrong = await sshKeyboard({ port: vigil.sshPort, login: `tina[${sshd.user}@web01]`, password: PASSWORDS.tina, code: wrongCode(totpSecret) }, 'true');
    expect(wrong.code).toBe(255);
    // The enrolment spent the current step's code; the next step's is fresh (and within the drift window).
    const tina = await sshKeyboard({ port: vigil.sshPort, login: `tina[${sshd.user}@web02]`, password: PASSWORDS.tina, code: totpCode(totpSecret, 1) }, 'echo tina-was-here');
    expect(tina.stdout, tina.stderr).toBe('tina-was-here\n');
    const badPw = await sshExec({ port: vigil.sshPort, login: `bob[${sshd.user}@web01]`, password: `${PASSWORDS.bob}x` }, 'true');
    expect(badPw.code).not.toBe(0);
  }, 180_000);

  afterAll(async () => {
    await vigil?.stop();
    await sshd?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  function needles(): Needle[] {
    const text = (name: string, s: string): Needle[] => [{ name, bytes: Buffer.from(s, 'utf8') }];
    const raw = base32Bytes(totpSecret);
    return [
      ...text('admin password', ADMIN_PASSWORD),
      ...text('bob password', PASSWORDS.bob),
      ...text('tina password', PASSWORDS.tina),
      ...text('aud password', PASSWORDS.aud),
      ...text('vault password', sshd.password),
      ...keySlices(sshd.privateKey).map((s) => ({ name: 'vault private key', bytes: Buffer.from(s) })),
      ...text('TOTP secret (base32)', totpSecret),
      ...text('TOTP secret (base32)', totpSecret.toLowerCase()),
      { name: 'TOTP secret (raw)', bytes: raw },
      ...text('TOTP secret (raw)', raw.toString('hex')),
      ...text('TOTP secret (raw)', raw.toString('base64').replace(/=+$/, '')),
      { name: 'master key', bytes: masterKey },
      ...text('master key', masterKey.toString('hex')),
      ...text('master key', masterKey.toString('hex').toUpperCase()),
      ...text('master key', masterKey.toString('base64').replace(/=+$/, '')),
      ...text('master key', masterKey.toString('base64url')),
    ];
  }

  it('the scanner finds what it looks for (the one answer that shows the TOTP secret, the key file itself)', () => {
    expect(found(Buffer.from(enrolmentAnswer), needles())).toContain('TOTP secret (base32)');
    expect(found(Buffer.from(sshd.privateKey), needles())).toEqual(['vault private key']);
    expect(found(Buffer.from(JSON.stringify({ k: masterKey.toString('hex') })), needles())).toEqual(['master key']);
  });

  it('no GET route of the OpenAPI document answers with a secret, for any caller or id', async () => {
    const doc = (await ok<OpenApiDocument>('GET', '/api/v1/openapi.json', null))!;
    const sessions = (await ok<{ items: Array<{ id: number }> }>('GET', '/api/v1/sessions?pageSize=200', tokens.admin!)).items;
    expect(sessions.length).toBeGreaterThanOrEqual(3);
    const users = (await ok<{ items: Array<{ id: number }> }>('GET', '/api/v1/users', tokens.admin!)).items;
    const idsFor = (p: string, name: string): string[] => (p.includes('/users/') || name === 'userId' ? users.map((u) => String(u.id)) : sessions.map((s) => String(s.id)));
    /** Query values that make a route show more (search, CSV export, a chunk, the download). */
    const interesting: Record<string, string[]> = { q: ['hello', 'tina', sshd.user], format: ['csv'], t: ['0'], download: ['1'], pageSize: ['200'], limit: ['1000'] };

    const gets = operationsOf(doc).filter((o) => o.method === 'GET');
    expect(gets.length).toBeGreaterThan(20);
    let requests = 0;
    for (const op of gets) {
      let urls = [op.path];
      for (const p of op.pathParams) urls = urls.flatMap((u) => idsFor(op.path, p.name).map((id) => u.replace(`{${p.name}}`, id)));
      const queries = [''];
      for (const q of op.queryParams) for (const v of interesting[q.name] ?? (q.required ? [String(exampleOf(doc, q.schema))] : [])) queries.push(`?${q.name}=${encodeURIComponent(v)}`);
      for (const url of urls) {
        for (const query of queries) {
          for (const [who, token] of Object.entries(tokens)) {
            const body = op.streams ? await readStream(`${base}${url}${query}`, token) : Buffer.from(await (await api('GET', url + query, token)).arrayBuffer());
            responses.push({ label: `GET ${url}${query} as ${who}`, body });
            requests++;
          }
        }
      }
    }
    expect(requests).toBeGreaterThan(100);
    const leaks = responses.flatMap((r) => found(r.body, needles()).map((n) => `${n} in ${r.label}`));
    expect(leaks).toEqual([]);
    // The scan did read real content: the sessions' output and the users are in the answers.
    const all = Buffer.concat(responses.map((r) => r.body)).toString('utf8');
    expect(all).toContain('hello-from-web02');
    expect(all).toContain('tina-was-here');
    expect(all).toContain('"username":"tina"');
  });

  it('the database, its WAL, the recordings and every other file of the data directory hold no secret, before and after a stop', async () => {
    const scanFiles = () =>
      filesUnder(dataDir).flatMap((f) => {
        // Compressed recordings are scanned as what they hold.
        const hits = found(f.endsWith('.gz') ? gunzipSync(fs.readFileSync(f)) : fs.readFileSync(f), needles());
        return hits.map((n) => `${n} in ${path.relative(dataDir, f)}`);
      });
    const running = filesUnder(dataDir).map((f) => path.relative(dataDir, f));
    expect(running).toEqual(expect.arrayContaining(['vigil.db', 'vigil.db-wal']));
    expect(running.some((f) => f.endsWith('.cast'))).toBe(true);
    expect(scanFiles()).toEqual([]);
    await vigil.stop();
    expect(scanFiles()).toEqual([]);
    // What was scanned holds the data: the vaulted secrets are there, sealed.
    expect(fs.readFileSync(path.join(dataDir, 'vigil.db')).toString('latin1')).toMatch(/v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:/);
  });

  it("Vigil's own output (debug logs on stdout and stderr) holds no secret", () => {
    const out = Buffer.from(vigil.stdout() + vigil.stderr());
    expect(out.length).toBeGreaterThan(1000);
    expect(vigil.stdout()).toContain('login succeeded');
    expect(found(out, needles())).toEqual([]);
  });
});

/** The first second of an event stream. */
async function readStream(url: string, token: string): Promise<Buffer> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 1000);
  const chunks: Buffer[] = [];
  try {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: ac.signal });
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  } catch (err) {
    if (!ac.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks);
}
