// A headless terminal for replaying recordings synchronously: keyframes, seeks, the terminal player and video frames.
//
// Replays run off the relay path (a worker thread, the CLI), so they write synchronously: xterm's
// asynchronous write() waits a timer tick per call (~1.3 ms, FACTS.md), which dominates when a
// recording is replayed event by event. Snapshots reuse the live mirror's serializer, which
// appends the state @xterm/addon-serialize loses.

import xtermHeadless from '@xterm/headless';
import type { Terminal } from '@xterm/headless';
import { createSerializer } from '../../hub/mirror/terminal-serializer.js';

const { Terminal: HeadlessTerminal } = xtermHeadless;

/** The private parts used here: synchronous writes and the parser state (0 is GROUND). */
interface Core {
  writeSync(data: string): void;
  _inputHandler: { _parser: { currentState: number } };
}

function coreOf(term: Terminal): Core {
  // Private field of the public Terminal wrapper; checked so an upgrade that renames it fails loudly.
  const core = (term as unknown as { _core?: Core })._core;
  if (typeof core?.writeSync !== 'function' || typeof core._inputHandler?._parser?.currentState !== 'number') {
    throw new Error('@xterm/headless internals changed: recordings cannot be replayed');
  }
  return core;
}

export interface ReplayTerminalOptions {
  cols: number;
  rows: number;
  /** Scrollback lines; keyframes hold the screen only (0, the default). */
  scrollback?: number;
}

/** A headless xterm.js written to synchronously, with snapshots that a fresh terminal restores exactly. */
export class ReplayTerminal {
  readonly term: Terminal;
  private readonly core: Core;
  private readonly serialize: (title: string) => string;
  private title = '';

  constructor(o: ReplayTerminalOptions) {
    this.term = new HeadlessTerminal({
      cols: clampSize(o.cols, 2), rows: clampSize(o.rows, 1), scrollback: o.scrollback ?? 0, allowProposedApi: true, logLevel: 'off',
    });
    this.core = coreOf(this.term);
    this.serialize = createSerializer(this.term);
    this.term.onTitleChange((t) => {
      this.title = t;
    });
  }

  get cols(): number {
    return this.term.cols;
  }
  get rows(): number {
    return this.term.rows;
  }
  /** The last window title set (OSC 0/2). */
  get windowTitle(): string {
    return this.title;
  }

  /** Parses `data` now. */
  write(data: string): void {
    if (data.length > 0) this.core.writeSync(data);
  }

  /** Applies an asciicast "r" event ("COLSxROWS"); malformed sizes are ignored, as players do. */
  resizeTo(spec: string): void {
    const m = /^(\d{1,5})x(\d{1,5})$/.exec(spec);
    if (!m) return;
    const cols = clampSize(Number(m[1]), 2);
    const rows = clampSize(Number(m[2]), 1);
    if (cols !== this.term.cols || rows !== this.term.rows) this.term.resize(cols, rows);
  }

  /** True when the parser is between sequences: the only places a snapshot is valid (FACTS.md). */
  get atGround(): boolean {
    return this.core._inputHandler._parser.currentState === 0;
  }

  /** A string that rebuilds this terminal's screen and state in a fresh terminal of the same size. */
  snapshot(): string {
    return this.serialize(this.title);
  }

  dispose(): void {
    this.term.dispose();
  }
}

/** xterm's limits: at least 2x1; recordings of absurd sizes are clamped rather than refused. */
function clampSize(n: number, min: number): number {
  return Math.max(min, Math.min(Number.isFinite(n) ? Math.floor(n) : 80, 1000));
}
