import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionGuard } from './connection-guard.js';

const servers: net.Server[] = [];
const sockets: net.Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

/** Opens `n` loopback connections and returns the server-side sockets. */
async function pairs(n: number): Promise<net.Socket[]> {
  const accepted: net.Socket[] = [];
  const server = net.createServer((s) => accepted.push(s));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  for (let i = 0; i < n; i++) {
    const c = net.connect(port, '127.0.0.1');
    sockets.push(c);
    await new Promise((r) => c.once('connect', r));
  }
  while (accepted.length < n) await new Promise((r) => setTimeout(r, 5));
  sockets.push(...accepted);
  return accepted;
}

describe('ConnectionGuard', () => {
  it('admits up to the per-address limit, and frees slots on login and on close', async () => {
    const guard = new ConnectionGuard({ maxPerIp: 2 });
    const [a, b, c] = await pairs(3);
    const ta = guard.admit(a)!;
    expect(guard.admit(b)).not.toBeNull();
    expect(guard.admit(c)).toBeNull();
    ta.loggedIn();
    ta.loggedIn();
    expect(guard.pending('127.0.0.1')).toBe(1);
    b.destroy();
    await new Promise((r) => b.once('close', r));
    expect(guard.pending('127.0.0.1')).toBe(0);
  });
  it('closes a connection that does not log in in time', async () => {
    const guard = new ConnectionGuard({ authTimeoutMs: 50 });
    const [a] = await pairs(1);
    guard.admit(a);
    await new Promise((r) => a.once('close', r));
    expect(guard.pending('127.0.0.1')).toBe(0);
  });
});
