// The SSH listener: admits sockets (per-address limits, login timeout), hands them to ssh2, logs users in and
// turns each session channel into a SessionChannel. Forwarding of any kind is refused.

import net from 'node:net';
import ssh2, { type Connection, type Server } from 'ssh2';
import type { User } from '../../core/types.js';
import { errMessage, type GatewayLogger, type SshAuthenticator } from './auth.js';
import { ConnectionGuard, type Admission, type ConnectionGuardOptions } from './connection-guard.js';
import { SessionChannel, type SessionChannelDeps } from './session-channel.js';
import { parseLogin, type LoginTarget } from './target-syntax.js';

/** Concurrent session channels one SSH connection may hold (OpenSSH's MaxSessions defaults to 10). */
export const MAX_CHANNELS_PER_CONNECTION = 10;

export interface SshGatewayOptions {
  /** Private host keys (OpenSSH or PEM). */
  hostKeys: string[];
  authenticator: SshAuthenticator;
  sessions: SessionChannelDeps;
  logger: GatewayLogger;
  limits?: ConnectionGuardOptions;
}

/** The address the gateway listens on. */
export interface ListenAddress {
  host: string;
  port: number;
}

export class SshGateway {
  private readonly ssh: Server;
  private readonly tcp: net.Server;
  private readonly guard: ConnectionGuard;
  private readonly clients = new Set<Connection>();
  private readonly sockets = new Set<net.Socket>();
  /** Admitted sockets by "ip:port", until ssh2 reports the connection (after the client's version line). */
  private readonly admissions = new Map<string, Admission>();

  constructor(private readonly o: SshGatewayOptions) {
    this.guard = new ConnectionGuard(o.limits);
    const admissions = this.admissions;
    // ssh2's own listener is never used: sockets come from ours (injectSocket), so limits apply before any parsing.
    this.ssh = new ssh2.Server({ hostKeys: o.hostKeys, ident: 'Vigil', keepaliveInterval: 30_000, keepaliveCountMax: 3 }, (client, info) =>
      this.onConnection(client, info.ip ?? 'unknown', admissions.get(`${info.ip}:${info.port}`)),
    );
    this.tcp = net.createServer((socket) => {
      socket.on('error', (err) => o.logger.debug({ err: errMessage(err) }, 'socket error'));
      const admission = this.guard.admit(socket);
      if (!admission) {
        o.logger.warn({ ip: socket.remoteAddress }, 'connection refused: too many connections not logged in');
        socket.destroy();
        return;
      }
      const key = `${socket.remoteAddress}:${socket.remotePort}`;
      admissions.set(key, admission);
      this.sockets.add(socket);
      socket.once('close', () => {
        admissions.delete(key);
        this.sockets.delete(socket);
      });
      socket.setNoDelay(true);
      this.ssh.injectSocket(socket);
    });
    this.tcp.on('error', (err) => o.logger.error({ err: errMessage(err) }, 'ssh listener error'));
  }

  listen(host: string, port: number): Promise<ListenAddress> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.tcp.once('error', onError);
      this.tcp.listen(port, host, () => {
        this.tcp.off('error', onError);
        const a = this.tcp.address() as net.AddressInfo;
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  /** Stops accepting connections and closes the ones still open. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.tcp.close(() => resolve()));
    for (const c of this.clients) c.end();
    // Give clients a moment to close cleanly, then cut whatever is left.
    await new Promise((r) => setTimeout(r, 100));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private onConnection(client: Connection, ip: string, admission: Admission | undefined): void {
    const { logger, authenticator } = this.o;
    this.clients.add(client);
    let login: { user: User; target: LoginTarget } | null = null;
    const channels = new Set<SessionChannel>();
    client.on('error', (err: Error) => logger.debug({ ip, err: errMessage(err) }, 'ssh connection error'));
    client.on('authentication', (ctx) => {
      void authenticator.handle(ctx, ip, (user) => {
        login = { user, target: parseLogin(ctx.username) };
      });
    });
    client.on('ready', () => {
      admission?.loggedIn();
      if (!login) {
        // Cannot happen (ready follows our accept), but never serve a connection without a user.
        client.end();
        return;
      }
      const conn = { user: login.user, login: login.target, ip };
      client.on('session', (accept, reject) => {
        // Each session channel costs a target connection: bound them per user connection.
        if (channels.size >= MAX_CHANNELS_PER_CONNECTION) {
          logger.warn({ user: conn.user.username, ip }, 'session channel refused: too many on one connection');
          return void reject?.();
        }
        const session = accept?.();
        if (!session) return void reject?.();
        const ch = new SessionChannel(session, conn, this.o.sessions);
        channels.add(ch);
        void ch.closed.then(() => channels.delete(ch));
      });
      client.on('tcpip', (_accept, reject, info) => {
        // TODO(forwarding): relay through the target when the grant allows port forwarding.
        logger.warn({ user: conn.user.username, ip, dest: `${info.destIP}:${info.destPort}` }, 'port forwarding refused');
        reject();
      });
      client.on('openssh.streamlocal', (_accept, reject) => reject());
      client.on('request', (_accept, reject, name) => {
        logger.info({ user: conn.user.username, ip, request: name }, 'global request refused');
        reject?.();
      });
    });
    client.on('close', () => {
      this.clients.delete(client);
      for (const ch of [...channels]) ch.connectionClosed();
    });
  }
}
