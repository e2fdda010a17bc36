// Admits SSH sockets before any parsing: connections per source address (logged in or not), connections not yet
// logged in (per source and in total), a login deadline, and one throttle log line per source and interval.

import type { Socket } from 'node:net';

/** The limits, as configured (config.ts `sshLimits`). */
export interface ConnectionLimits {
  /** Connections, logged in or not, one source address may hold (default 200). */
  maxConnectionsPerSource?: number;
  /** Connections not yet logged in one source address may hold (default 20). */
  maxUnauthenticatedPerSource?: number;
  /** Connections not yet logged in from all sources together (default 500). */
  maxUnauthenticated?: number;
  /** A connection that has not logged in after this long is closed: handshake and authentication (default 30 s). */
  loginTimeoutMs?: number;
}

/** Where throttling and login timeouts are reported (pino satisfies it). */
export interface GuardLogger {
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface ConnectionGuardOptions extends ConnectionLimits {
  logger?: GuardLogger;
  /** Refusals of one source after its first throttle line are counted, and reported with the next line after this long (default 10 s). */
  throttleLogIntervalMs?: number;
  now?: () => number;
}

/** A connection admitted by the guard; `loggedIn()` releases its pre-login slot and stops the login timer. */
export interface Admission {
  loggedIn(): void;
}

interface SourceCount {
  open: number;
  unauthenticated: number;
}

/** Sources remembered for throttle log lines; beyond this the memory is dropped (a flood from many addresses). */
const MAX_THROTTLE_ENTRIES = 10_000;

/** The client address as a source key: an IPv4 client on a dual-stack listener counts as its IPv4 address. */
export function sourceOf(socket: Pick<Socket, 'remoteAddress'>): string {
  const ip = socket.remoteAddress ?? 'unknown';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

export class ConnectionGuard {
  private readonly sources = new Map<string, SourceCount>();
  private unauthenticated = 0;
  private readonly throttled = new Map<string, { since: number; refused: number }>();
  private readonly max: Required<ConnectionLimits>;
  private readonly now: () => number;

  constructor(private readonly o: ConnectionGuardOptions = {}) {
    this.max = {
      maxConnectionsPerSource: o.maxConnectionsPerSource ?? 200,
      maxUnauthenticatedPerSource: o.maxUnauthenticatedPerSource ?? 20,
      maxUnauthenticated: o.maxUnauthenticated ?? 500,
      loginTimeoutMs: o.loginTimeoutMs ?? 30_000,
    };
    this.now = o.now ?? Date.now;
  }

  /** Pre-login connections from an address right now. */
  pending(ip: string): number {
    return this.sources.get(ip)?.unauthenticated ?? 0;
  }

  /** Connections (logged in or not) from an address right now. */
  open(ip: string): number {
    return this.sources.get(ip)?.open ?? 0;
  }

  /** Admits a fresh socket, or returns null when a limit is reached (logged; the caller destroys the socket). */
  admit(socket: Socket): Admission | null {
    const ip = sourceOf(socket);
    const count = this.sources.get(ip) ?? { open: 0, unauthenticated: 0 };
    const refusal =
      count.open >= this.max.maxConnectionsPerSource
        ? { limit: 'connections per source', max: this.max.maxConnectionsPerSource }
        : count.unauthenticated >= this.max.maxUnauthenticatedPerSource
          ? { limit: 'connections not logged in per source', max: this.max.maxUnauthenticatedPerSource }
          : this.unauthenticated >= this.max.maxUnauthenticated
            ? { limit: 'connections not logged in (all sources)', max: this.max.maxUnauthenticated }
            : null;
    if (refusal) {
      this.throttle(ip, refusal.limit, refusal.max, count);
      return null;
    }
    count.open++;
    count.unauthenticated++;
    this.sources.set(ip, count);
    this.unauthenticated++;

    let authenticating = true;
    const loggedIn = () => {
      if (!authenticating) return;
      authenticating = false;
      clearTimeout(timer);
      this.unauthenticated--;
      count.unauthenticated--;
    };
    // Slow or silent clients (a half-done handshake, a port scanner) lose their slot at the deadline.
    const timer = setTimeout(() => {
      this.o.logger?.debug({ ip, timeoutMs: this.max.loginTimeoutMs }, 'ssh connection closed: not logged in in time');
      socket.destroy();
    }, this.max.loginTimeoutMs);
    timer.unref();
    socket.once('close', () => {
      loggedIn();
      count.open--;
      if (count.open <= 0) this.sources.delete(ip);
    });
    return { loggedIn };
  }

  /** One warn line when a source is first refused, then at most one per interval with the count refused meanwhile. */
  private throttle(ip: string, limit: string, max: number, count: SourceCount): void {
    const t = this.now();
    const seen = this.throttled.get(ip);
    if (seen && t - seen.since < (this.o.throttleLogIntervalMs ?? 10_000)) {
      seen.refused++;
      return;
    }
    if (this.throttled.size >= MAX_THROTTLE_ENTRIES) this.throttled.clear();
    this.throttled.set(ip, { since: t, refused: 0 });
    this.o.logger?.warn(
      {
        ip,
        limit,
        max,
        open: count.open,
        notLoggedIn: count.unauthenticated,
        notLoggedInAllSources: this.unauthenticated,
        refusedSinceLastLine: seen?.refused ?? 0,
      },
      'ssh source throttled: connection refused',
    );
  }
}
