// The largest terminal a recording uses (header and resize events): the size of every frame of its video.

import { openCastSync } from '../cast-source.js';
import { parseHeader, type AsciicastHeader } from '../asciicast-format.js';
import { SyncCastLines } from '../keyframes/cast-lines.js';

const RESIZE = Buffer.from(',"r","', 'latin1');

/** Reads the header and scans for resize events without parsing output events (I/O bound). */
export function scanGeometry(castPath: string): { header: AsciicastHeader; cols: number; rows: number } {
  const src = openCastSync(castPath);
  try {
    const lines = new SyncCastLines(src, 0);
    const first = lines.next();
    const header = first ? parseHeader(first.bytes.toString('utf8')) : null;
    if (!header) throw new Error('not an asciicast v2 recording');
    let cols = header.width;
    let rows = header.height;
    for (let line = lines.next(); line; line = lines.next()) {
      const at = line.bytes.subarray(0, 48).indexOf(RESIZE);
      // The type sits right after the time, within the first few dozen bytes.
      if (at < 0 || at > 40) continue;
      const m = /^(\d{1,5})x(\d{1,5})"/.exec(line.bytes.toString('latin1', at + RESIZE.length, at + RESIZE.length + 13));
      if (m) {
        cols = Math.max(cols, Number(m[1]));
        rows = Math.max(rows, Number(m[2]));
      }
    }
    return { header, cols: Math.min(cols, 1000), rows: Math.min(rows, 1000) };
  } finally {
    src.close();
  }
}
