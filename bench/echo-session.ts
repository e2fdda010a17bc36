// One load-bench session (bench/load.ts): an interactive pty running `cat` in raw mode, typing a key at a fixed
// interval and timing each echo.

import { performance } from 'node:perf_hooks';
import ssh2, { type ClientChannel, type ConnectConfig } from 'ssh2';

/** Loopback source addresses the sessions come from (127.0.1.1-50), as users from many hosts would. */
export const SOURCES = 50;
const KEYS = 'abcdefghijklmnopqrstuvwxyz';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const log = (s: string) => process.stderr.write(`${s}\n`);

/** One interactive pty session running `cat` in raw mode: every byte typed comes straight back. */
export class EchoSession {
  readonly received: Buffer[] = [];
  receivedBytes = 0;
  /** Everything written to the channel, the set-up command included. */
  typed = '';
  private start = -1;
  private readonly sentAt: number[] = [];
  readonly latencies: number[] = [];
  /** Which keys were Enter (the command log checks each line before the target gets it). */
  readonly isEnter: boolean[] = [];
  private timer: NodeJS.Timeout | null = null;
  private ch!: ClientChannel;
  private client!: ssh2.Client;
  private waiter: (() => void) | null = null;

  constructor(readonly index: number) {}

  async open(cfg: ConnectConfig): Promise<void> {
    this.client = await new Promise<ssh2.Client>((resolve, reject) => {
      const c = new ssh2.Client();
      c.once('ready', () => resolve(c));
      c.once('error', reject);
      c.connect({ readyTimeout: 60_000, keepaliveInterval: 0, ...cfg, localAddress: `127.0.1.${(this.index % SOURCES) + 1}` });
    });
    this.client.on('error', (err: Error) => log(`session ${this.index}: ${err.message}`));
    this.client.setNoDelay(true);
    this.ch = await new Promise<ClientChannel>((resolve, reject) => this.client.shell({ term: 'xterm', cols: 80, rows: 24 }, (e, c) => (e ? reject(e) : resolve(c))));
    this.ch.on('data', (d: Buffer) => this.onData(d));
    const marker = `READY-GO-${this.index}`;
    this.write(`stty raw -echo; echo ${marker.replace('-', "''-")}; exec cat\r`);
    await this.until(() => this.text().includes(marker));
    // `exec cat` follows the echo at once; give it a moment, then count echoes from here.
    await sleep(300);
    this.start = this.receivedBytes;
  }

  private write(s: string): void {
    this.typed += s;
    this.ch.write(s);
  }

  private onData(d: Buffer): void {
    const now = performance.now();
    this.received.push(d);
    this.receivedBytes += d.length;
    if (this.start >= 0) {
      // cat echoes byte for byte: the k-th byte after the start is the k-th key's echo.
      while (this.latencies.length < Math.min(this.sentAt.length, this.receivedBytes - this.start)) this.latencies.push(now - this.sentAt[this.latencies.length]!);
    }
    this.waiter?.();
  }

  text(): string {
    return Buffer.concat(this.received).toString('latin1');
  }

  until(cond: () => boolean, timeoutMs = 60_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`session ${this.index}: timed out; got ${JSON.stringify(this.text().slice(-200))}`)), timeoutMs);
      const check = () => {
        if (!cond()) return;
        clearTimeout(t);
        this.waiter = null;
        resolve();
      };
      this.waiter = check;
      check();
    });
  }

  /** Types one key every `intervalMs`, starting after `phaseMs` so that the sessions' keys spread evenly. */
  startTyping(phaseMs: number, intervalMs: number): void {
    let k = 0;
    const type = () => {
      // Now and then an Enter, so that the command log and rules see lines as they would from a person.
      const key = k % 20 === 19 ? '\r' : KEYS[k % KEYS.length]!;
      k++;
      this.isEnter.push(key === '\r');
      this.sentAt.push(performance.now());
      this.write(key);
    };
    this.timer = setTimeout(() => {
      type();
      this.timer = setInterval(type, intervalMs);
    }, phaseMs);
  }

  stopTyping(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  get keysSent(): number {
    return this.sentAt.length;
  }

  get keysEchoed(): number {
    return this.start < 0 ? 0 : this.receivedBytes - this.start;
  }

  /** Bytes after the start, which must equal the keys typed since. */
  echoed(): string {
    return Buffer.concat(this.received).subarray(this.start).toString('latin1');
  }

  keysTyped(): string {
    return this.typed.slice(this.typed.length - this.keysSent);
  }

  close(): void {
    this.ch.end();
    this.client.end();
  }
}
