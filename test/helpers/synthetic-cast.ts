// Synthetic asciicast recordings for keyframe, player and video tests and benches: interactive sessions and tricky terminal state.

import { closeSync, openSync, writeSync } from 'node:fs';

/** A deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type CastEvent = [number, 'o' | 'i' | 'r', string];

/** Writes a recording to `path` with buffered appends: the header, then events as they are pushed. */
export class CastFile {
  private readonly fd: number;
  private parts: string[] = [];
  private size = 0;
  bytes = 0;

  constructor(path: string, cols: number, rows: number, timestamp = 1_772_355_600) {
    this.fd = openSync(path, 'w', 0o600);
    this.push(JSON.stringify({ version: 2, width: cols, height: rows, timestamp, env: { TERM: 'xterm-256color' } }) + '\n');
  }

  event(time: number, type: 'o' | 'i' | 'r', data: string): void {
    this.push(`[${Math.round(time * 1e6) / 1e6},"${type}",${JSON.stringify(data)}]\n`);
  }

  private push(line: string): void {
    this.parts.push(line);
    this.size += line.length;
    if (this.size >= 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.parts.length === 0) return;
    const buf = Buffer.from(this.parts.join(''), 'utf8');
    writeSync(this.fd, buf);
    this.bytes += buf.length;
    this.parts = [];
    this.size = 0;
  }

  close(): number {
    this.flush();
    closeSync(this.fd);
    return this.bytes;
  }
}

const NAMES = ['etc', 'var', 'usr', 'home', 'srv', 'opt', 'tmp', 'boot', 'lib', 'bin', 'nginx.conf', 'app.log', 'backup.tar.gz', 'deploy.sh', 'README.md'];
const COMMANDS = ['ls -la /etc', 'cat /var/log/syslog', 'systemctl status nginx', 'df -h', 'grep -r error /var/log', 'vim /etc/hosts', 'top', 'ps aux'];

/** A coloured `ls -l`-like listing of `n` lines. */
function listing(rand: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const name = NAMES[Math.floor(rand() * NAMES.length)];
    const dir = !name.includes('.');
    const size = String(Math.floor(rand() * 99999)).padStart(6);
    s += `${dir ? 'd' : '-'}rwxr-xr-x 2 root root ${size} Mar  1 09:${String(i % 60).padStart(2, '0')} ` +
      (dir ? `\x1b[01;34m${name}\x1b[0m` : name.endsWith('.sh') ? `\x1b[01;32m${name}\x1b[0m` : name) + '\r\n';
  }
  return s;
}

/** A `top`-like full-screen redraw (cursor addressing, colours, inverse header). */
export function topScreen(rand: () => number, cols: number, rows: number, tick: number): string {
  let s = '\x1b[H';
  s += `\x1b[1mtop - 09:${String(tick % 60).padStart(2, '0')}:00 up 12 days,  load average: ${(rand() * 4).toFixed(2)}\x1b[0m\x1b[K\r\n`;
  s += `Tasks: \x1b[1m${120 + Math.floor(rand() * 30)}\x1b[0m total, \x1b[32m1 running\x1b[0m\x1b[K\r\n`;
  s += `\x1b[7m${'  PID USER      PR  NI    VIRT    RES  %CPU COMMAND'.padEnd(cols)}\x1b[0m\r\n`;
  for (let r = 3; r < rows - 1; r++) {
    const cpu = (rand() * 100).toFixed(1).padStart(5);
    const color = Number(cpu) > 50 ? '\x1b[38;5;196m' : '\x1b[38;2;120;200;120m';
    s += `${String(1000 + r * 7).padStart(5)} root      20   0  ${String(Math.floor(rand() * 900000)).padStart(6)} ${String(Math.floor(rand() * 90000)).padStart(6)} ${color}${cpu}\x1b[0m ${COMMANDS[r % COMMANDS.length].split(' ')[0]}\x1b[K\r\n`;
  }
  return s;
}

export interface InteractiveOptions {
  seconds: number;
  cols?: number;
  rows?: number;
  seed?: number;
  /** Printed once at this time, alone on a line (OCR tests). */
  marker?: { time: number; text: string };
}

/**
 * An interactive session: prompts, typed commands echoed key by key, coloured listings, a `top`
 * redrawing every 3 s for a while, and idle gaps. Returns the recording's duration and when the
 * marker was printed (its requested time, or later if a command was still running then).
 */
export function writeInteractiveCast(path: string, o: InteractiveOptions): { duration: number; markerTime: number | null } {
  const cols = o.cols ?? 80;
  const rows = o.rows ?? 24;
  const rand = prng(o.seed ?? 7);
  const cast = new CastFile(path, cols, rows);
  let t = 0.2;
  let markerDone = !o.marker;
  let markerTime: number | null = null;
  const prompt = '\x1b[01;32mroot@web01\x1b[0m:\x1b[01;34m~\x1b[0m# ';
  cast.event(t, 'o', prompt);
  while (t < o.seconds) {
    if (!markerDone && o.marker && t >= o.marker.time - 3) {
      t = Math.max(t, o.marker.time);
      markerTime = t;
      cast.event(t, 'o', `\r\n${o.marker.text}\r\n` + prompt);
      markerDone = true;
      t += 1;
      continue;
    }
    const cmd = COMMANDS[Math.floor(rand() * COMMANDS.length)];
    for (const ch of cmd) {
      t += 0.05 + rand() * 0.15;
      cast.event(t, 'i', ch);
      cast.event(t + 0.002, 'o', ch);
    }
    t += 0.3;
    cast.event(t, 'i', '\r');
    if (cmd === 'top') {
      cast.event(t + 0.01, 'o', '\x1b[?1049h\x1b[?25l');
      for (let k = 0; k < 10 && t < o.seconds; k++) {
        cast.event(t + 0.02, 'o', topScreen(rand, cols, rows, k));
        t += 3;
      }
      cast.event(t, 'i', 'q');
      cast.event(t + 0.01, 'o', '\x1b[?25h\x1b[?1049l');
    } else {
      cast.event(t + 0.05, 'o', '\r\n' + listing(rand, 5 + Math.floor(rand() * 30)));
    }
    t += 0.1;
    cast.event(t, 'o', prompt);
    // Thinking time, sometimes a long idle stretch.
    t += rand() < 0.15 ? 20 + rand() * 100 : 1 + rand() * 4;
  }
  const end = Math.max(t, o.seconds);
  cast.event(end, 'o', 'exit\r\n');
  cast.close();
  return { duration: end, markerTime };
}

/** Awkward terminal state: scroll regions, origin mode, charsets, alternate screen, titles, wide characters, sequences cut across events. */
export function trickyChunks(rand: () => number): string[] {
  const pieces = [
    '\x1b]2;build server\x07', '\x1b[3;20r', '\x1b[?6h', '\x1b[5;5Hinside region', '\x1b[?6l', '\x1b(0lqqqk\x1b(B', '\x1b[?25l',
    '\x1b[38;5;208morange\x1b[0m', '\x1b[48;2;10;20;200mblue bg\x1b[0m', '\x1b7', '\x1b[10;10H', '宽字符 wide', '\x1b8', '\x1b[?1049h',
    '\x1b[2J\x1b[Halt screen \x1b[1;4mbold underline\x1b[0m', '\x1b[?1049l', '\x1b[4h insert \x1b[4l', '\x1b[?7l' + 'x'.repeat(100) + '\x1b[?7h',
    '\x1b[?1000h\x1b[?1006h', '\x1b[?1000l', '\x1b[3g\x1b[5G\x1bH\tTAB', '\x1b[2 q', '\x1b[7mreverse\x1b[27m', 'plain line\r\n',
  ];
  const out: string[] = [];
  for (let i = 0; i < 400; i++) {
    let s = pieces[Math.floor(rand() * pieces.length)];
    if (rand() < 0.3) s += listing(rand, 1 + Math.floor(rand() * 3));
    // Cut some events in the middle of an escape sequence.
    if (rand() < 0.2 && out.length > 0) {
      const cut = Math.floor(rand() * s.length);
      out[out.length - 1] += s.slice(0, cut);
      s = s.slice(cut);
    }
    out.push(s);
  }
  return out;
}
