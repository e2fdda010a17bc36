// The HTTP API of a Vigil child process: its base URL (from the line Vigil logs once it listens) and plain JSON calls.

import type { VigilProcess } from './vigil.js';

/** `http://127.0.0.1:PORT/api/v1` of a running Vigil, once it logged that the API listens. */
export function apiBase(v: VigilProcess, timeoutMs = 30_000): Promise<string> {
  const find = () => /\{[^\n]*"msg":"web console and API listening"[^\n]*\}/.exec(v.stdout());
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = find();
      if (!m) return;
      v.child.stdout!.off('data', check);
      clearTimeout(timer);
      resolve(`http://127.0.0.1:${(JSON.parse(m[0]) as { port: number }).port}/api/v1`);
    };
    const timer = setTimeout(() => {
      v.child.stdout!.off('data', check);
      reject(new Error(`the API did not start listening:\n${v.stdout().slice(-3000)}`));
    }, timeoutMs);
    v.child.stdout!.on('data', check);
    check();
  });
}

/** A response as a test reads it: status, headers, parsed body (JSON when it is JSON), and when it arrived. */
export interface ApiResponse {
  status: number;
  headers: Headers;
  body: unknown;
  /** Date.now() when the response was complete. */
  at: number;
}

/** One API call with a bearer token (no CSRF header is needed with a bearer token). */
export async function apiCall(base: string, method: string, path: string, token: string | null, body?: unknown, timeoutMs = 60_000): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let parsed: unknown = text;
  if (/json/.test(res.headers.get('content-type') ?? '')) parsed = text ? (JSON.parse(text) as unknown) : null;
  return { status: res.status, headers: res.headers, body: parsed, at: Date.now() };
}

/** Logs in through the API and returns the bearer token; throws with the response when it fails. */
export async function apiLogin(base: string, username: string, password: string): Promise<string> {
  const r = await apiCall(base, 'POST', '/auth/login', null, { username, password });
  if (r.status !== 200) throw new Error(`login as ${username} failed: ${r.status} ${JSON.stringify(r.body)}`);
  return (r.body as { token: string }).token;
}
