import { describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError, queryString } from './client';

function fakeFetch(status = 200, body: unknown = { ok: true }) {
  return vi.fn(async (_url: RequestInfo | URL, _init?: RequestInit) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }));
}

function headersOf(f: ReturnType<typeof fakeFetch>, call = 0): Record<string, string> {
  return (f.mock.calls[call]![1]!.headers ?? {}) as Record<string, string>;
}

describe('API client', () => {
  it('sends X-CSRF-Token on POST, PUT, PATCH and DELETE, and not on GET', async () => {
    const f = fakeFetch();
    const c = new ApiClient({ fetch: f, storage: null });
    c.setCsrfToken('csrf-123');
    await c.get('/sessions');
    await c.post('/sessions/1/drop', {});
    await c.put('/sessions/1/auditors', { userIds: [] });
    await c.patch('/users/1', { disabled: true });
    await c.delete('/sessions/1/prevent-purge', { justification: 'x' });
    expect(headersOf(f, 0)['X-CSRF-Token']).toBeUndefined();
    for (const i of [1, 2, 3, 4]) expect(headersOf(f, i)['X-CSRF-Token']).toBe('csrf-123');
    expect(f.mock.calls[4]![1]!.method).toBe('DELETE');
    expect(f.mock.calls[4]![1]!.body).toBe('{"justification":"x"}');
  });

  it('keeps the CSRF token across reloads in the storage it is given, and forgets it on logout', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v), removeItem: (k: string) => void store.delete(k) };
    new ApiClient({ fetch: fakeFetch(), storage }).setCsrfToken('t1');
    expect(new ApiClient({ fetch: fakeFetch(), storage }).csrfToken).toBe('t1');
    new ApiClient({ fetch: fakeFetch(), storage }).setCsrfToken(null);
    expect(new ApiClient({ fetch: fakeFetch(), storage }).csrfToken).toBeNull();
  });

  it('turns a problem document into an ApiError whose message is the detail', async () => {
    const c = new ApiClient({ fetch: fakeFetch(409, { type: 'urn:x', title: 'Conflict', status: 409, detail: 'session is not active' }), storage: null });
    const err = await c.post('/sessions/1/drop').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(409);
    expect((err as ApiError).message).toBe('session is not active');
  });

  it('says plainly when a route does not exist yet, and when the server cannot be reached', async () => {
    const c = new ApiClient({ fetch: fakeFetch(404, { title: 'Not Found', status: 404, detail: 'no route GET /api/v1/sessions/1/logs' }), storage: null });
    await expect(c.get('/sessions/1/logs')).rejects.toThrow(/does not offer this yet/);
    const down = new ApiClient({ fetch: vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))), storage: null });
    await expect(down.get('/sessions')).rejects.toThrow(/Cannot reach the Vigil server/);
  });

  it('tells listeners about a 401 (expired session), except for the login call itself', async () => {
    const c = new ApiClient({ fetch: fakeFetch(401, { title: 'Unauthorized', status: 401, detail: 'log in again' }), storage: null });
    const heard = vi.fn();
    c.onUnauthenticated(heard);
    await c.post('/auth/login', { username: 'a', password: 'b' }).catch(() => undefined);
    expect(heard).not.toHaveBeenCalled();
    await c.get('/sessions').catch(() => undefined);
    expect(heard).toHaveBeenCalledOnce();
  });

  it('builds query strings from the set values only', () => {
    expect(queryString({ a: 1, b: '', c: undefined, d: null, e: 'x y', f: false })).toBe('?a=1&e=x+y&f=false');
    expect(queryString({})).toBe('');
  });
});
