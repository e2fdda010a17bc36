// Names the calling thread for the operating system (Linux: /proc/thread-self/comm), so that `top -H`, `ps -L`
// and the benches tell Vigil's workers apart instead of showing a row of "node". Best effort: elsewhere, or when
// /proc is not mounted, nothing happens.

import { writeFileSync } from 'node:fs';

/** At most 15 bytes are kept by Linux. */
export function nameThread(name: string): void {
  try {
    writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
  } catch {
    // Not Linux, or no /proc: the thread keeps its inherited name.
  }
}
