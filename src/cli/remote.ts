// Commands that talk to a running server's API instead of the data directory, so they work on any machine:
// `vigil login`, `vigil sessions watch|drop|block|unblock ID`.

import type { Command } from 'commander';
import WebSocket from 'ws';
import { envOf, parseIntOption, readSecretFromStdin, UsageError, type CliIO } from './context.js';
import { json } from './output.js';

const DEFAULT_SERVER = 'http://127.0.0.1:8080';
const REQUEST_TIMEOUT_MS = 30_000;

interface RemoteOptions {
  server?: string;
  token?: string;
}

/** The API base, from --server, else VIGIL_SERVER, else the local default; http(s) only. */
export function serverOf(opts: RemoteOptions, io: CliIO): URL {
  const raw = opts.server || envOf(io, 'VIGIL_SERVER') || DEFAULT_SERVER;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--server must be a URL such as ${DEFAULT_SERVER}, not "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--server must be an http:// or https:// URL, not "${raw}"`);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

function apiUrl(server: URL, path: string): URL {
  return new URL(`api/v1/${path}`, server);
}

function tokenOf(opts: RemoteOptions, io: CliIO): string {
  const token = opts.token || envOf(io, 'VIGIL_TOKEN');
  if (!token) throw new UsageError('no API token: pass --token or set VIGIL_TOKEN (export VIGIL_TOKEN=$(vigil login ...))');
  return token;
}

/** The `detail` of an RFC 9457 problem document, else the HTTP status line. */
function problemDetail(status: number, statusText: string, body: string): string {
  try {
    const doc = JSON.parse(body) as { detail?: unknown; title?: unknown };
    if (typeof doc.detail === 'string' && doc.detail) return doc.detail;
    if (typeof doc.title === 'string' && doc.title) return `${doc.title} (HTTP ${status})`;
  } catch {
    // not JSON
  }
  return `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
}

function unreachable(server: URL, err: unknown): Error {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
  return new Error(`cannot reach ${server.origin}: ${why}`);
}

/** One JSON request to the API; a problem document becomes an Error with its detail. */
async function request<T>(server: URL, method: 'GET' | 'POST', path: string, token: string | null, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(apiUrl(server, path), {
      method,
      headers: {
        accept: 'application/json, application/problem+json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') throw new Error(`${server.origin} did not answer in ${REQUEST_TIMEOUT_MS / 1000} s`);
    throw unreachable(server, err);
  }
  const text = await res.text();
  if (!res.ok) throw new Error(problemDetail(res.status, res.statusText, text));
  return (text ? JSON.parse(text) : undefined) as T;
}

function withRemoteOptions(cmd: Command): Command {
  return cmd
    .option('--server <url>', `Vigil server (default: $VIGIL_SERVER or ${DEFAULT_SERVER})`)
    .option('--token <token>', 'API bearer token (default: $VIGIL_TOKEN; see vigil login)');
}

const parseId = parseIntOption('ID', 1, Number.MAX_SAFE_INTEGER);

/** `vigil login`: prints a bearer token for VIGIL_TOKEN. */
export function registerLogin(program: Command, io: CliIO): void {
  program
    .command('login')
    .description("log in to a Vigil server's API and print a bearer token (export VIGIL_TOKEN=$(vigil login ...))")
    .option('--server <url>', `Vigil server (default: $VIGIL_SERVER or ${DEFAULT_SERVER})`)
    .requiredOption('--username <name>', 'console user name')
    .option('--password-stdin', 'read the password from standard input')
    .option('--totp <code>', 'TOTP code, when the user is enrolled')
    .action(async (opts: { server?: string; username: string; passwordStdin?: boolean; totp?: string }) => {
      const server = serverOf(opts, io);
      if (!opts.passwordStdin) throw new UsageError('pass --password-stdin and the password on standard input');
      const password = await readSecretFromStdin(io);
      if (!password) throw new UsageError('the password on standard input is empty');
      const res = await request<{ token: string }>(server, 'POST', 'auth/login', null, { username: opts.username, password, ...(opts.totp ? { totp: opts.totp } : {}) });
      io.stdout(`${res.token}\n`);
    });
}

interface SessionItem {
  id: number;
  status: string;
  blocked?: boolean;
  [k: string]: unknown;
}

/** `vigil sessions watch|drop|block|unblock ID`, added to the existing `sessions` command. */
export function registerRemote(sessions: Command, io: CliIO): void {
  withRemoteOptions(sessions.command('watch').description('watch a live session in this terminal: its current screen, then live output (Ctrl-C stops)'))
    .argument('<id>', 'session ID (the ID column of vigil sessions list)', parseId)
    .action(async (id: number, opts: RemoteOptions) => {
      await watch(serverOf(opts, io), tokenOf(opts, io), id, io);
    });

  const action = (name: 'drop' | 'block' | 'unblock', description: string) =>
    withRemoteOptions(sessions.command(name).description(description))
      .argument('<id>', 'session ID (the ID column of vigil sessions list)', parseId)
      .option('--json', 'print the session as JSON');

  action('drop', 'disconnect an active session (the user sees "You have been disconnected")')
    .option('--reason <text>', 'why, for the session events and audit trail')
    .action(async (id: number, opts: RemoteOptions & { json?: boolean; reason?: string }) => {
      const item = await request<SessionItem>(serverOf(opts, io), 'POST', `sessions/${id}/drop`, tokenOf(opts, io), opts.reason ? { reason: opts.reason } : {});
      io.stdout(opts.json ? json(item) : `session ${id} dropped (status ${item.status})\n`);
    });
  action('block', 'Hold on!: discard the user\'s input and prevent new sessions until released').action(
    async (id: number, opts: RemoteOptions & { json?: boolean }) => {
      const item = await request<SessionItem>(serverOf(opts, io), 'POST', `sessions/${id}/block`, tokenOf(opts, io));
      io.stdout(opts.json ? json(item) : `session ${id} blocked: the user's input is discarded\n`);
    },
  );
  action('unblock', 'release a blocked session: the user may interact again').action(async (id: number, opts: RemoteOptions & { json?: boolean }) => {
    const item = await request<SessionItem>(serverOf(opts, io), 'POST', `sessions/${id}/unblock`, tokenOf(opts, io));
    io.stdout(opts.json ? json(item) : `session ${id} released: the user may interact again\n`);
  });
}

type LiveMessage =
  | { type: 'snapshot'; cols: number; rows: number; data: string; seq: number }
  | { type: 'output'; data: string; seq: number }
  | { type: 'resize'; cols: number; rows: number }
  | { type: 'end'; status: string };

/** A note when the local terminal is smaller than the session's. */
function sizeNote(cols: number, rows: number, io: CliIO): void {
  const out = process.stdout;
  if (!out.isTTY) return;
  if (out.columns < cols || out.rows < rows) {
    io.stderr(`vigil: note: the session's terminal is ${cols}x${rows}, larger than this one (${out.columns}x${out.rows}); the view may be garbled\r\n`);
  }
}

/** Streams the Live Stream WebSocket to stdout until the session ends (resolves), Ctrl-C (resolves) or a failure (rejects). */
async function watch(server: URL, token: string, id: number, io: CliIO): Promise<void> {
  const url = apiUrl(server, `sessions/${id}/live`);
  url.protocol = server.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, handshakeTimeout: REQUEST_TIMEOUT_MS });
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
      if (err) reject(err);
      else resolve();
    };
    void io.waitForStopSignal().then(() => {
      io.stderr('\r\nvigil: stopped watching\n');
      finish();
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => (body += s));
      res.on('end', () => finish(new Error(problemDetail(res.statusCode ?? 0, res.statusMessage ?? '', body))));
      res.on('error', (err) => finish(err));
    });
    ws.on('error', (err) => finish(new Error(`cannot reach ${server.origin}: ${err.message}`)));
    ws.on('message', (raw, isBinary) => {
      if (isBinary) return;
      let msg: LiveMessage;
      try {
        msg = JSON.parse(raw.toString()) as LiveMessage;
      } catch {
        return finish(new Error('the server sent a message that is not JSON'));
      }
      switch (msg.type) {
        case 'snapshot':
          // A fresh terminal, then the exact current screen (also after a resynchronisation).
          io.stdout(`\x1bc${msg.data}`);
          sizeNote(msg.cols, msg.rows, io);
          break;
        case 'output':
          io.stdout(msg.data);
          break;
        case 'resize':
          sizeNote(msg.cols, msg.rows, io);
          break;
        case 'end':
          io.stderr(`\r\nvigil: session ${id} ended (${msg.status})\n`);
          finish();
          break;
      }
    });
    ws.on('close', (code, reason) => {
      const why = reason.toString();
      if (code === 4401) return finish(new Error('authentication expired; log in again'));
      finish(new Error(`the live stream closed before the session ended (${code}${why ? ` ${why}` : ''})`));
    });
  });
}
