// The console's HTTP client: JSON in and out, cookie session, X-CSRF-Token on state-changing calls, problem documents as ApiError.

import type { Problem } from './wire';

/** A problem document with any extension members the server added (e.g. `totpRequired`). */
export type ProblemDocument = Problem & Record<string, unknown>;

const CSRF_KEY = 'vigil.csrf';
export const API_BASE = '/api/v1';

/** An API refusal or failure, carrying the RFC 9457 problem document when the server sent one. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: ProblemDocument | null;

  constructor(status: number, problem: ProblemDocument | null, fallback: string) {
    super(problem ? problemMessage(status, problem) || fallback : fallback);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

/** The words to show for a problem: its detail, with an unknown route said plainly. */
function problemMessage(status: number, p: Problem): string {
  if (status === 404 && /^no route /.test(p.detail ?? '')) return `This server does not offer this yet (${p.detail}).`;
  return p.detail || p.title;
}

export type QueryValue = string | number | boolean | null | undefined;

export interface ApiClientOptions {
  base?: string;
  fetch?: typeof fetch;
  /** Where the CSRF token survives a page reload (sessionStorage in the browser). */
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;
}

/** Builds "?a=1&b=x" from the defined, non-empty values. */
export function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

function isProblem(v: unknown): v is ProblemDocument {
  return typeof v === 'object' && v !== null && ('title' in v || 'detail' in v);
}

export class ApiClient {
  private readonly base: string;
  private readonly fetchFn: typeof fetch;
  private readonly storage: ApiClientOptions['storage'];
  private csrf: string | null;
  private unauthenticatedListeners = new Set<() => void>();

  constructor(opts: ApiClientOptions = {}) {
    this.base = opts.base ?? API_BASE;
    // Bound so that a stored `window.fetch` is not called with the client as `this`.
    this.fetchFn = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.storage = opts.storage === undefined ? safeSessionStorage() : opts.storage;
    this.csrf = this.storage?.getItem(CSRF_KEY) ?? null;
  }

  get csrfToken(): string | null {
    return this.csrf;
  }

  setCsrfToken(token: string | null): void {
    this.csrf = token;
    if (token) this.storage?.setItem(CSRF_KEY, token);
    else this.storage?.removeItem(CSRF_KEY);
  }

  /** Called on any 401 (the session cookie expired or was revoked). */
  onUnauthenticated(cb: () => void): () => void {
    this.unauthenticatedListeners.add(cb);
    return () => this.unauthenticatedListeners.delete(cb);
  }

  url(path: string, query?: Record<string, QueryValue>): string {
    return `${this.base}${path}${queryString(query)}`;
  }

  async raw(method: string, path: string, opts: { query?: Record<string, QueryValue>; body?: unknown; accept?: string; signal?: AbortSignal } = {}): Promise<Response> {
    const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    // Cookie-authenticated requests that change state must prove they come from this page.
    if (method !== 'GET' && method !== 'HEAD' && this.csrf) headers['X-CSRF-Token'] = this.csrf;
    let res: Response;
    try {
      res = await this.fetchFn(this.url(path, opts.query), {
        method,
        headers,
        credentials: 'same-origin',
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: opts.signal,
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') throw err;
      throw new ApiError(0, null, 'Cannot reach the Vigil server. Check the connection and try again.');
    }
    if (!res.ok) {
      let problem: ProblemDocument | null = null;
      try {
        const body: unknown = await res.json();
        if (isProblem(body)) problem = { ...body, status: typeof body.status === 'number' ? body.status : res.status };
      } catch {
        // Not a problem document (proxy error page, empty body): the status text says enough.
      }
      if (res.status === 401 && !path.startsWith('/auth/login')) for (const cb of this.unauthenticatedListeners) cb();
      throw new ApiError(res.status, problem, fallbackMessage(res.status, res.statusText));
    }
    return res;
  }

  async request<T>(method: string, path: string, opts: { query?: Record<string, QueryValue>; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
    const res = await this.raw(method, path, opts);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T>(path: string, query?: Record<string, QueryValue>, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, { query, signal });
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, { body: body ?? {} });
  }
  put<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PUT', path, { body: body ?? {} });
  }
  patch<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { body: body ?? {} });
  }
  delete<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('DELETE', path, { body });
  }
}

function fallbackMessage(status: number, statusText: string): string {
  // HEAD answers and some proxies carry no body.
  if (status === 404) return 'Not found: this server does not offer it (yet).';
  if (status === 403) return 'You do not have permission to do this.';
  if (status === 401) return 'Your session has expired. Please log in again.';
  if (status >= 500) return `The server failed (${status}${statusText ? ` ${statusText}` : ''}). Try again.`;
  return `Request failed (${status}${statusText ? ` ${statusText}` : ''}).`;
}

function safeSessionStorage(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
}

/**
 * Lets the browser download `url` to disk (streamed, never held in this page's memory). Callers check first,
 * with a call that logs nothing, that the file exists: an error page would otherwise be saved as the file.
 */
export function browserDownload(url: string, filename: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/** Plain words for any error a call may throw. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The one client of the running console. */
export const api = new ApiClient();
