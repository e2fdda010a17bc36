// Limits connections that have not logged in yet: per source address, in total, and in time.

import type { Socket } from 'node:net';

export interface ConnectionGuardOptions {
  /** Connections not yet logged in allowed per source address (default 20). */
  maxPerIp?: number;
  /** Connections not yet logged in allowed in total (default 500). */
  maxTotal?: number;
  /** A connection that has not logged in after this long is closed (default 30 s). */
  authTimeoutMs?: number;
}

/** A connection admitted by the guard; `loggedIn()` releases its pre-login slot and stops the timer. */
export interface Admission {
  loggedIn(): void;
}

export class ConnectionGuard {
  private readonly perIp = new Map<string, number>();
  private total = 0;
  private readonly maxPerIp: number;
  private readonly maxTotal: number;
  private readonly authTimeoutMs: number;

  constructor(o: ConnectionGuardOptions = {}) {
    this.maxPerIp = o.maxPerIp ?? 20;
    this.maxTotal = o.maxTotal ?? 500;
    this.authTimeoutMs = o.authTimeoutMs ?? 30_000;
  }

  /** Pre-login connections from an address right now. */
  pending(ip: string): number {
    return this.perIp.get(ip) ?? 0;
  }

  /** Admits a fresh socket, or returns null when a limit is reached (the caller destroys it). */
  admit(socket: Socket): Admission | null {
    const ip = socket.remoteAddress ?? 'unknown';
    const n = this.perIp.get(ip) ?? 0;
    if (n >= this.maxPerIp || this.total >= this.maxTotal) return null;
    this.perIp.set(ip, n + 1);
    this.total++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      this.total--;
      const left = (this.perIp.get(ip) ?? 1) - 1;
      if (left <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, left);
    };
    // Slow or silent clients (a half-done handshake, a port scanner) lose their slot after the timeout.
    const timer = setTimeout(() => socket.destroy(), this.authTimeoutMs);
    timer.unref();
    socket.once('close', release);
    return { loggedIn: release };
  }
}
