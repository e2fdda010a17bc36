// Recording integrity: the SHA-256 of a file and a check of a recording against the size and hash stored at close.

import { createHash } from 'node:crypto';
import { castReadStream, castStat } from './cast-source.js';

/** Hex SHA-256 of a recording's bytes (decompressed when it is stored compressed), streamed (bounded memory). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of castReadStream(path, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/** Outcome of {@link verifyRecording}; `problem` says what broke, in words fit for a user. */
export interface VerifyResult {
  ok: boolean;
  problem?: string;
}

/** Checks a recording against the size and SHA-256 stored when it was closed. The size is checked first (cheap). */
export async function verifyRecording(path: string, expectedSha256: string, expectedSize?: number): Promise<VerifyResult> {
  let size: number;
  try {
    const st = castStat(path);
    if (!st) return { ok: false, problem: 'recording file is missing' };
    size = st.size;
  } catch (err) {
    return { ok: false, problem: `recording cannot be read: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (expectedSize !== undefined && size !== expectedSize) {
    return { ok: false, problem: `recording size differs: ${size} bytes on disk, ${expectedSize} expected` };
  }
  const actual = await sha256File(path);
  if (actual !== expectedSha256.toLowerCase()) {
    return { ok: false, problem: `recording SHA-256 differs: ${actual} on disk, ${expectedSha256.toLowerCase()} expected` };
  }
  return { ok: true };
}
