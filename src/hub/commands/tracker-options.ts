// The command tracker's options and the state of a line awaiting its commit.

import type { Clock } from '../../core/clock.js';
import type { CommandAssemblerOptions } from './command-assembler.js';

export interface CommandTrackerOptions extends CommandAssemblerOptions {
  cols: number;
  rows: number;
  clock: Clock;
  /** Output bytes queued beyond which the tracker skips to the tail (default 2 MiB). */
  maxBacklog?: number;
  tailBytes?: number;
  batchBytes?: number;
  commitTimeoutMs?: number;
  /** Output queued, while nobody needs the screen, beyond which all but the tail is dropped unparsed (default 256 KiB). */
  lazyBacklog?: number;
  /** How long output must pause before it is parsed when nobody needs the screen (default 50 ms). */
  idleParseMs?: number;
  /**
   * No pty: nothing is echoed by design and each line of input is read by the shell as the bytes it is sent (no
   * line editing: control characters and escape sequences are part of the line; only a line feed ends it, and an
   * unfinished last line runs when the input ends). The lines are the commands; the screen plays no part.
   */
  keysOnly?: boolean;
}

export interface Pending {
  at: number;
  prompt: string;
  keys: string;
  certain: boolean;
  /** Typed before the previous line was committed: its echo may come after other output (see lineFeed). */
  typeahead: boolean;
  /** The line on screen when Enter was handled. */
  lineAtEnter: string;
}
