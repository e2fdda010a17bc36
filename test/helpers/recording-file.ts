// A recording as the product stores it (plain, partly sealed, or compressed after close), read whole for a test.

import fs from 'node:fs';
import { castReadStream } from '../../src/recording/cast-source.js';

/** The recording's bytes, read through Vigil's reader (the .cast on disk may be sealed or compressed). */
export async function recordingBytes(castPath: string): Promise<Buffer> {
  return Buffer.concat(await castReadStream(castPath).toArray());
}

/** Writes the recording as one plain asciicast file at `to` (what a download gives), for tools like asciinema. */
export async function plainCopy(castPath: string, to: string): Promise<string> {
  fs.writeFileSync(to, await recordingBytes(castPath));
  return to;
}
