// The recordings play in the real asciinema tool (it must be installed in CI).
import { execFile } from 'node:child_process';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { AsciicastWriter } from './asciicast-writer.js';

async function onPath(cmd: string): Promise<boolean> {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    if (!d) continue;
    try {
      await access(join(d, cmd), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

const hasAsciinema = (await onPath('asciinema')) && (await onPath('script'));
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('asciinema compatibility', () => {
  it.skipIf(!hasAsciinema && process.env.CI !== 'true')('asciinema cat prints a recording written by Vigil', async () => {
    expect(hasAsciinema, 'asciinema and script must be on PATH in CI').toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'vigil-asciinema-'));
    dirs.push(dir);
    const path = join(dir, 'play.cast');
    const w = await AsciicastWriter.open({ path, header: { width: 80, height: 24, timestamp: 1767225600, env: { TERM: 'xterm' } } });
    const text = Buffer.from('\x1b[32mVIGIL-MARKER-ok\x1b[0m caf\u00e9 \u2713\r\n', 'utf8');
    w.output(text.subarray(0, 29));
    w.output(text.subarray(29));
    w.resize(100, 30);
    w.output(Buffer.from([0, 0, 0x41, 0x0d, 0x0a]));
    await w.close();
    // asciinema cat opens /dev/tty, so it runs under script(1).
    const { stdout } = await promisify(execFile)('script', ['-qec', `asciinema cat '${path}'`, '/dev/null'], { timeout: 30_000 });
    expect(stdout).toContain('VIGIL-MARKER-ok');
    expect(stdout).toContain('caf\u00e9 \u2713');
  });
});
