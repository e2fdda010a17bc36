import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionGuard, sourceOf } from './connection-guard.js';

const servers: net.Server[] = [];
const sockets: net.Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

/** Opens `n` loopback connections from `from` (any 127.0.0.0/8 address) and returns the server-side sockets. */
async function pairs(n: number, from = '127.0.0.1'): Promise<net.Socket[]> {
  const accepted: net.Socket[] = [];
  const server = net.createServer((s) => accepted.push(s));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  for (let i = 0; i < n; i++) {
    const c = net.connect({ port, host: '127.0.0.1', localAddress: from });
    sockets.push(c);
    await new Promise((r) => c.once('connect', r));
  }
  while (accepted.length < n) await new Promise((r) => setTimeout(r, 5));
  sockets.push(...accepted);
  return accepted;
}

/** Destroys a socket and resolves once its 'close' listeners (the guard's among them) have run. */
function destroy(s: net.Socket): Promise<unknown> {
  const gone = new Promise((r) => s.once('close', r));
  s.destroy();
  return gone;
}

/** A logger that keeps what it was told. */
function memoryLogger() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = [];
  return {
    lines,
    warn: (obj: object, msg?: string) => void lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    debug: (obj: object, msg?: string) => void lines.push({ level: 'debug', obj: obj as Record<string, unknown>, msg }),
  };
}

describe('ConnectionGuard', () => {
  it('admits up to the per-source pre-login limit, and frees slots on login and on close', async () => {
    const guard = new ConnectionGuard({ maxUnauthenticatedPerSource: 2 });
    const [a, b, c] = await pairs(3);
    const ta = guard.admit(a)!;
    expect(guard.admit(b)).not.toBeNull();
    expect(guard.admit(c)).toBeNull();
    ta.loggedIn();
    ta.loggedIn();
    expect(guard.pending('127.0.0.1')).toBe(1);
    expect(guard.open('127.0.0.1')).toBe(2);
    await destroy(b);
    expect(guard.pending('127.0.0.1')).toBe(0);
    expect(guard.open('127.0.0.1')).toBe(1);
  });

  it('caps connections per source, logged in or not, until one closes', async () => {
    const guard = new ConnectionGuard({ maxConnectionsPerSource: 2, maxUnauthenticatedPerSource: 10 });
    const [a, b, c, d] = await pairs(4);
    guard.admit(a)!.loggedIn();
    guard.admit(b)!.loggedIn();
    expect(guard.pending('127.0.0.1')).toBe(0);
    expect(guard.admit(c)).toBeNull();
    await destroy(a);
    expect(guard.admit(d)).not.toBeNull();
  });

  it('counts each source apart; the total pre-login cap applies across sources', async () => {
    const guard = new ConnectionGuard({ maxUnauthenticatedPerSource: 1, maxUnauthenticated: 2 });
    const [a1, a2] = await pairs(2, '127.0.0.2');
    const [b1] = await pairs(1, '127.0.0.3');
    const [c1] = await pairs(1, '127.0.0.4');
    expect(guard.admit(a1)).not.toBeNull();
    expect(guard.admit(a2)).toBeNull();
    const tb = guard.admit(b1)!;
    expect(tb).not.toBeNull();
    expect(guard.admit(c1)).toBeNull();
    tb.loggedIn();
    expect(guard.admit(c1)).not.toBeNull();
  });

  it('closes a connection that does not log in in time, and says so', async () => {
    const logger = memoryLogger();
    const guard = new ConnectionGuard({ loginTimeoutMs: 50, logger });
    const [a, b] = await pairs(2);
    guard.admit(a);
    guard.admit(b)!.loggedIn();
    await new Promise((r) => a.once('close', r));
    expect(guard.pending('127.0.0.1')).toBe(0);
    expect(logger.lines.some((l) => l.msg === 'ssh connection closed: not logged in in time' && l.obj.ip === '127.0.0.1')).toBe(true);
    // A connection that logged in keeps going past the deadline.
    await new Promise((r) => setTimeout(r, 100));
    expect(b.destroyed).toBe(false);
  });

  it('logs a throttled source once per interval, with the refusals counted in between', async () => {
    const logger = memoryLogger();
    let now = 1_000;
    const guard = new ConnectionGuard({ maxUnauthenticatedPerSource: 1, logger, throttleLogIntervalMs: 10_000, now: () => now });
    const socks = await pairs(6, '127.0.0.5');
    expect(guard.admit(socks[0]!)).not.toBeNull();
    for (const s of socks.slice(1, 5)) expect(guard.admit(s)).toBeNull();
    const warns = () => logger.lines.filter((l) => l.level === 'warn');
    expect(warns()).toHaveLength(1);
    expect(warns()[0]).toMatchObject({
      msg: 'ssh source throttled: connection refused',
      obj: { ip: '127.0.0.5', limit: 'connections not logged in per source', max: 1, notLoggedIn: 1, refusedSinceLastLine: 0 },
    });
    now += 10_000;
    expect(guard.admit(socks[5]!)).toBeNull();
    expect(warns()).toHaveLength(2);
    expect(warns()[1]!.obj).toMatchObject({ ip: '127.0.0.5', refusedSinceLastLine: 3 });
  });

  it('counts an IPv4 client of a dual-stack listener as its IPv4 address', () => {
    expect(sourceOf({ remoteAddress: '::ffff:10.1.2.3' })).toBe('10.1.2.3');
    expect(sourceOf({ remoteAddress: '2001:db8::1' })).toBe('2001:db8::1');
    expect(sourceOf({ remoteAddress: undefined })).toBe('unknown');
  });
});
