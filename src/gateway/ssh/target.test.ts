import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceRepo } from '../../core/ports.js';
import type { Credential, Device } from '../../core/types.js';
import { generateEd25519KeyPair, publicKeyLine } from './host-key.js';
import { TargetConnector } from './target.js';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('TargetConnector failure reasons', () => {
  const servers: net.Server[] = [];
  const sockets: net.Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  /** A TCP listener that does `onSocket` with each connection; returns its port. */
  async function listen(onSocket: (s: net.Socket) => void): Promise<number> {
    const server = net.createServer((s) => {
      sockets.push(s);
      onSocket(s);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as net.AddressInfo).port;
  }

  async function reasonFor(port: number): Promise<string> {
    const connector = new TargetConnector({
      devices: {} as DeviceRepo,
      encryptedSecret: async () => 'sealed',
      secretBox: { seal: (s) => s, open: () => 'pw' },
      logger: quiet as never,
      connectTimeoutMs: 5000,
    });
    const pinned = publicKeyLine(generateEd25519KeyPair().private);
    const device: Device = { id: 1, name: 'web01', host: '127.0.0.1', port, hostKey: pinned, trustOnFirstUse: false, createdAt: new Date() };
    const credential: Credential = { id: 1, deviceId: 1, deviceName: 'web01', account: 'root', kind: 'password', createdAt: new Date() };
    try {
      await connector.connect(device, credential);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('connected');
  }

  it('does not call a connection dropped before the handshake a host key mismatch', async () => {
    const port = await listen((s) => s.end());
    const reason = await reasonFor(port);
    expect(reason).not.toMatch(/mismatch/);
    expect(reason).toMatch(/^target unreachable/);
  });
});
