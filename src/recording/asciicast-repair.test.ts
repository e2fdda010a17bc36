import { appendFile, copyFile, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEventLine, parseHeader } from './asciicast-format.js';
import { repairRecording } from './asciicast-repair.js';
import { AsciicastWriter } from './asciicast-writer.js';
import { sha256File, verifyRecording } from './integrity.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'vigil-repair-'));
  dirs.push(d);
  return d;
}

/** A closed recording of 200 separate events with multibyte text and escapes. */
async function original(dir: string): Promise<string> {
  const path = join(dir, 'orig.cast');
  let t = 0;
  const w = await AsciicastWriter.open({ path, header: { width: 80, height: 24, timestamp: 1767225600 }, now: () => t });
  for (let i = 0; i < 200; i++) {
    t += 100;
    w.output(Buffer.from(`\x1b[1mline ${i}\x1b[0m ✓ "ok"\r\n`));
  }
  await w.close();
  return path;
}

/** Asserts the file is whole: a header then only event lines, each newline-terminated; returns the event lines. */
async function assertWhole(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  expect(parseHeader(lines[0])).not.toBeNull();
  for (const l of lines.slice(1)) expect(parseEventLine(l)).not.toBeNull();
  return lines.slice(1);
}

describe('repairRecording', () => {
  it('cuts a recording truncated mid-line back to its last whole event', async () => {
    const dir = await tempDir();
    const orig = await original(dir);
    const origLines = (await readFile(orig, 'utf8')).split('\n');
    const size = (await stat(orig)).size;
    for (const cut of [size - 2, size - 7, Math.floor(size / 2), 120, origLines[0].length + 3]) {
      const path = join(dir, `cut-${cut}.cast`);
      await copyFile(orig, path);
      await truncate(path, cut);
      const s = await repairRecording(path);
      expect(s).not.toBeNull();
      const lines = await assertWhole(path);
      expect(lines).toEqual(origLines.slice(1, lines.length + 1));
      expect(lines.length).toBeLessThan(200);
      expect(s!.size).toBe((await stat(path)).size);
      expect(s!.sha256).toBe(await sha256File(path));
      expect(await verifyRecording(path, s!.sha256, s!.size)).toEqual({ ok: true });
      const last = lines.length ? parseEventLine(lines[lines.length - 1])!.time : 0;
      expect(s!.duration).toBe(Math.round(last * 1000) / 1000);
    }
  });

  it('cuts zero-filled blocks and garbage left after the last event', async () => {
    const dir = await tempDir();
    const path = await original(dir);
    const before = (await stat(path)).size;
    await appendFile(path, Buffer.alloc(4096));
    await appendFile(path, '\n[1.0,"o","after garbage"]\n');
    const s = await repairRecording(path);
    expect(s!.size).toBe(before);
    expect((await assertWhole(path)).length).toBe(200);
  });

  it('keeps a whole last event that lost only its newline', async () => {
    const dir = await tempDir();
    const path = await original(dir);
    await truncate(path, (await stat(path)).size - 1);
    const s = await repairRecording(path);
    expect((await assertWhole(path)).length).toBe(200);
    expect(s!.duration).toBe(20);
  });

  it('leaves an intact recording byte for byte', async () => {
    const dir = await tempDir();
    const path = await original(dir);
    const sha = await sha256File(path);
    const s = await repairRecording(path);
    expect(s!.sha256).toBe(sha);
  });

  it('gives a recording torn inside its header a minimal header', async () => {
    const dir = await tempDir();
    for (const content of ['', '{"version":2,"wid']) {
      const path = join(dir, `torn-${content.length}.cast`);
      await writeFile(path, content);
      const s = await repairRecording(path, { fallbackHeader: { width: 100, height: 30, timestamp: 1767225600 } });
      expect(await readFile(path, 'utf8')).toBe('{"version":2,"width":100,"height":30,"timestamp":1767225600}\n');
      expect(s).toMatchObject({ path, size: 61, duration: 0, sha256: await sha256File(path) });
    }
  });

  it('refuses to touch a file that is not an asciicast v2 recording', async () => {
    const dir = await tempDir();
    const path = join(dir, 'other.cast');
    await writeFile(path, 'hello\nworld\n');
    await expect(repairRecording(path)).rejects.toThrow(/not an asciicast v2 recording/);
    expect(await readFile(path, 'utf8')).toBe('hello\nworld\n');
  });

  it('returns null when the file does not exist', async () => {
    expect(await repairRecording(join(await tempDir(), 'missing.cast'))).toBeNull();
  });
});
