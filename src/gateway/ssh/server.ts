// The SSH listener: admits sockets (per-address limits, login timeout), hands them to ssh2, logs users in and
// turns each session channel into a SessionChannel. Local forwarding goes to PortForwarder; any other is refused.

import net from 'node:net';
import { performance } from 'node:perf_hooks';
import ssh2, { type Connection, type PseudoTtyInfo, type Server, type Session, type WindowChangeInfo } from 'ssh2';
import type { User } from '../../core/types.js';
import { errMessage, type GatewayLogger, type SshAuthenticator } from './auth.js';
import { ConnectionGuard, type Admission, type ConnectionLimits } from './connection-guard.js';
import { parseFastKey } from './fast-keys.js';
import { PortForwarder } from './port-forward.js';
import { SessionChannel, type SessionChannelDeps } from './session-channel.js';
import { parseLogin, type LoginTarget } from './target-syntax.js';

/** Concurrent session channels one SSH connection may hold (OpenSSH's MaxSessions defaults to 10). */
export const MAX_CHANNELS_PER_CONNECTION = 10;

/** How long a connection Vigil has ended may wait for the peer to close its side before it is cut. */
const HALF_CLOSED_GRACE_MS = 1000;

/**
 * The largest terminal Vigil relays, records and mirrors. A client may ask for any 32-bit size; the live mirror
 * allocates every cell, so one 10000x10000 window-change grew Vigil by 100 MB/s until it died.
 */
export const MAX_TERMINAL = { cols: 1000, rows: 500 };

/** A session channel passes on at most one window-change per this long (the latest size wins). */
export const WINDOW_CHANGE_INTERVAL_MS = 50;

export interface SshGatewayOptions {
  /** Private host keys (OpenSSH or PEM). */
  hostKeys: string[];
  authenticator: SshAuthenticator;
  sessions: SessionChannelDeps;
  logger: GatewayLogger;
  /** Per-source and pre-login limits (config `sshLimits`). */
  limits?: ConnectionLimits;
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
    this.guard = new ConnectionGuard({ ...o.limits, logger: o.logger });
    const admissions = this.admissions;
    // ssh2's own listener is never used: sockets come from ours (injectSocket), so limits apply before any parsing.
    // Parsed here with fast signatures; a key ssh2 cannot parse is passed as given, for ssh2's own error.
    const hostKeys = o.hostKeys.map((k) => {
      const parsed = parseFastKey(k);
      return parsed instanceof Error ? k : { key: parsed };
    });
    this.ssh = new ssh2.Server({ hostKeys, ident: 'Vigil', keepaliveInterval: 30_000, keepaliveCountMax: 3 }, (client, info) =>
      this.onConnection(client, info.ip ?? 'unknown', admissions.get(`${info.ip}:${info.port}`)),
    );
    this.tcp = net.createServer((socket) => {
      socket.on('error', (err) => o.logger.debug({ err: errMessage(err) }, 'socket error'));
      // A refused socket is closed before ssh2 sees a byte of it; the guard logs the throttled source.
      const admission = this.guard.admit(socket);
      if (!admission) {
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
      // ssh2 only half-closes (end()) a connection it gives up on (garbage instead of a banner, a bad packet): a
      // peer that never closes its side would keep the socket, and its slot, until the login deadline.
      socket.once('finish', () => setTimeout(() => socket.destroy(), HALF_CLOSED_GRACE_MS).unref());
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
        guardTerminalRequests(session);
        const ch = new SessionChannel(session, conn, this.o.sessions);
        channels.add(ch);
        void ch.closed.then(() => channels.delete(ch));
      });
      client.on('tcpip', new PortForwarder(client, conn, this.o.sessions).onRequest);
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

/**
 * Guards a session channel's terminal-size requests before the session channel (target, recording, live mirror,
 * command tracker) sees them:
 * - sizes are clamped to MAX_TERMINAL;
 * - window-changes pass at most one per WINDOW_CHANGE_INTERVAL_MS, the latest size last. Each resizes two headless
 *   terminals: a flood of 20,000 in two seconds held every other user's echo up for 3 to 10 s.
 * A window-change is answered at once (in order with the channel's other requests) even when passed on later.
 * ssh2 emits these on the session; its emit is wrapped because a listener cannot hold an event back from the
 * listeners after it (this belongs in session-channel.ts's handlers, and can move there).
 */
function guardTerminalRequests(session: Session): void {
  const emit = session.emit.bind(session);
  let lastPassed = -Infinity;
  let latest: WindowChangeInfo | null = null;
  let timer: NodeJS.Timeout | null = null;
  const pass = (info: WindowChangeInfo) => {
    lastPassed = performance.now();
    emit('window-change', undefined, undefined, info);
  };
  session.once('close', () => {
    if (timer) clearTimeout(timer);
    timer = null;
  });
  session.emit = (event: string | symbol, ...args: unknown[]): boolean => {
    if (event !== 'pty' && event !== 'window-change') return emit(event, ...args);
    const info = args[2] as PseudoTtyInfo | WindowChangeInfo;
    info.cols = Math.min(info.cols, MAX_TERMINAL.cols);
    info.rows = Math.min(info.rows, MAX_TERMINAL.rows);
    if (event === 'pty') return emit(event, ...args);
    (args[0] as (() => void) | undefined)?.();
    const wait = lastPassed + WINDOW_CHANGE_INTERVAL_MS - performance.now();
    if (wait <= 0 && !timer) {
      pass(info);
      return true;
    }
    latest = info;
    timer ??= setTimeout(() => {
      timer = null;
      if (latest) pass(latest);
      latest = null;
    }, Math.max(0, wait));
    return true;
  };
}
