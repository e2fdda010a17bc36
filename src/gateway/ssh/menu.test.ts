import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseChoice, readLine, renderMenu } from './menu.js';

const entries = [
  { credentialId: 4, label: 'root@web01' },
  { credentialId: 9, label: 'deploy@db01' },
];

describe('menu', () => {
  it('lists the credentials numbered from 1', () => {
    const text = renderMenu('alice', entries);
    expect(text).toContain('1) root@web01');
    expect(text).toContain('2) deploy@db01');
    expect(text).toContain('(1-2)');
  });
  it('parses a choice', () => {
    expect(parseChoice(' 2 ', entries)).toEqual({ kind: 'entry', entry: entries[1] });
    expect(parseChoice('q', entries)).toEqual({ kind: 'quit' });
    expect(parseChoice('0', entries).kind).toBe('invalid');
    expect(parseChoice('3', entries).kind).toBe('invalid');
    expect(parseChoice('1; rm -rf /', entries).kind).toBe('invalid');
    expect(parseChoice('', entries).kind).toBe('invalid');
  });
});

describe('readLine', () => {
  it('echoes, handles backspace and returns type-ahead to the stream', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const p = readLine(input, output, { echo: true });
    input.write(Buffer.from('3\x7f2\rls\n'));
    expect(await p).toBe('2');
    expect(output.read().toString()).toBe('3\b \b2\r\n');
    expect(input.read().toString()).toBe('ls\n');
  });
  it('returns null on Ctrl-C and at end of input', async () => {
    const a = new PassThrough();
    const pa = readLine(a, new PassThrough(), { echo: false });
    a.write('1\x03');
    expect(await pa).toBeNull();
    const b = new PassThrough();
    const pb = readLine(b, new PassThrough(), { echo: false });
    b.end('12');
    expect(await pb).toBeNull();
  });
});
