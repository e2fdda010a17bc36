import { describe, expect, it } from 'vitest';
import { TerminalMirror } from './terminal-mirror.js';
import { describeTerminal, diffStates, freshTerminal, writeAll } from './mirror-test-helpers.js';
import { Utf8Stream } from './utf8-stream.js';

type Chunk = string | Buffer;
const bytes = (c: Chunk): Buffer => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c);

/**
 * Feeds `chunks` to a mirror and to a reference terminal (the user's screen). After chunk k (every
 * k), a viewer builds a fresh terminal from a snapshot, catches up from snapshot.seq, and then
 * follows the remaining chunks; after every step both terminals must be identical.
 */
async function checkEveryCut(cols: number, rows: number, chunks: Chunk[], resizeAt?: { index: number; cols: number; rows: number }): Promise<void> {
  for (let cut = 0; cut <= chunks.length; cut++) {
    const mirror = new TerminalMirror({ cols, rows });
    const ref = freshTerminal(cols, rows);
    const refText = new Utf8Stream();
    const sent: Buffer[] = [];
    const feed = async (i: number): Promise<void> => {
      if (resizeAt?.index === i) {
        mirror.resize(resizeAt.cols, resizeAt.rows);
        ref.term.resize(resizeAt.cols, resizeAt.rows);
      }
      const b = bytes(chunks[i]);
      mirror.output(b);
      sent.push(b);
      await writeAll(ref.term, refText.decode(b));
    };
    for (let i = 0; i < cut; i++) await feed(i);
    const snap = await mirror.snapshot();
    const viewer = freshTerminal(snap.cols, snap.rows);
    await writeAll(viewer.term, snap.data);
    const viewerText = new Utf8Stream(snap.seq);
    await writeAll(viewer.term, viewerText.decode(Buffer.concat(sent).subarray(snap.seq)));
    const compare = (step: string): void => {
      const diff = diffStates(describeTerminal(viewer.term, viewer.title()), describeTerminal(ref.term, ref.title()));
      expect(diff, `cut after chunk ${cut}, ${step}`).toEqual([]);
    };
    compare('at the snapshot');
    for (let i = cut; i < chunks.length; i++) {
      await feed(i);
      if (resizeAt?.index === i) viewer.term.resize(resizeAt.cols, resizeAt.rows);
      await writeAll(viewer.term, viewerText.decode(bytes(chunks[i])));
      compare(`after chunk ${i}`);
    }
    mirror.dispose();
  }
}

const topFrame = (n: number): string => {
  let s = '\x1b[H\x1b[1;37;44m top - 10:0' + n + ' up 3 days,  load average: 0.1' + n + '\x1b[K\x1b[0m';
  for (let r = 2; r <= 10; r++) {
    s += `\x1b[${r};1H\x1b[${r % 2 ? '32' : '38;5;208'}m${String(1000 + r * n).padStart(6)} root  20   0 ${'█'.repeat(r % 5)}\x1b[0m\x1b[K`;
  }
  return s + '\x1b[12;1H\x1b[7m q:quit \x1b[27m';
};

describe('TerminalMirror snapshots rebuild the exact screen', () => {
  it('coloured text and cursor positioning', async () => {
    await checkEveryCut(40, 10, [
      'plain \x1b[1;31mbold red\x1b[0m \x1b[38;2;10;200;30mrgb\x1b[0m\r\n',
      '\x1b[5;10H\x1b[4;45munder magenta\x1b[0m\x1b[2;3H',
      '\x1b[3;94;103mbright\x1b[K\x1b[0m\r\nnext line',
    ]);
  });

  it('a top-like redraw in the alternate screen, normal screen preserved underneath', async () => {
    await checkEveryCut(50, 12, [
      '$ ls\r\n\x1b[34mdir\x1b[0m  file\r\n$ top\r\n',
      '\x1b[?1049h\x1b[22;0;0t\x1b[?1h\x1b=\x1b[?25l\x1b[H\x1b[2J' + topFrame(1),
      topFrame(2),
      topFrame(3).slice(0, 57),
      topFrame(3).slice(57),
      '\x1b[?1l\x1b>\x1b[?25h\x1b[?1049l',
      '$ echo done\r\ndone\r\n',
    ]);
  });

  it('an unfinished SGR does not leak into the alternate screen', async () => {
    await checkEveryCut(30, 8, ['\x1b[44mblue bg', '\x1b[?1049h', 'in alt\r\n\x1b[0mplain', '\x1b[?1049l']);
  });

  it('hidden cursor, cursor style, bracketed paste, application keys, mouse modes, focus', async () => {
    await checkEveryCut(30, 8, [
      '\x1b[?25l\x1b[5 q\x1b[?2004h', '\x1b[?1h\x1b=\x1b[?1002h\x1b[?1006h\x1b[?1004h', 'x\x1b[?25h\x1b[2 q\x1b[?1003h',
    ]);
  });

  it('scroll region and origin mode', async () => {
    const lines = Array.from({ length: 12 }, (_, i) => `line ${i}\r\n`).join('');
    await checkEveryCut(30, 10, [
      'top\r\n\x1b[3;7r', '\x1b[7;1H' + lines, '\x1b[?6h\x1b[2;4HO', '\x1b[1;1Hhome' + lines, '\x1b[?6l\x1b[r\x1b[10;1Hend\r\n',
    ]);
  });

  it('window title, also split and ended with ST', async () => {
    await checkEveryCut(30, 6, ['\x1b]0;first\x07x', '\x1b]2;sec', 'ond\x1b', '\\y', '\x1b]2;tïtle ✓\x1b\\']);
  });

  it('line-drawing charset, designated and shifted', async () => {
    await checkEveryCut(30, 6, [
      '\x1b(0lqqk\x1b(B ascii\r\n', '\x1b(0', 'x  x\r\n', '\x1b(B\x1b)0\x0emqj\x0f ok\x0e', 'tuv',
    ]);
  });

  it('saved cursor (DECSC) with attributes and charset', async () => {
    await checkEveryCut(30, 8, [
      // DECRC makes the saved charset active while G0 stays ASCII (xterm quirk), until '\x1b(B'.
      '\x1b[4;6H\x1b[1;35m\x1b(0\x1b7', '\x1b(B\x1b[0m\x1b[1;1Hmoved', '\x1b8q restored', '\x1b(B\x1b[?1049h',
      'alt \x1b[2;2H\x1b7', '\x1b[?1049l!',
    ]);
  });

  it('UTF-8 characters split across chunks, wide characters and emoji', async () => {
    const text = Buffer.from('héllo ✓ 漢字 😀 ok');
    const chunks: Chunk[] = [];
    for (let i = 0; i < text.length; i += 3) chunks.push(text.subarray(i, i + 3));
    await checkEveryCut(20, 4, chunks);
  });

  it('chunk boundaries inside escape sequences', async () => {
    const s = 'a\x1b[31mred\x1b[0m\x1b[2;5Hb\x1b]0;t\x07\x1b[?25lc\x1bP1$r\x1b\\d';
    const chunks = s.match(/.{1,2}/gs) as string[];
    await checkEveryCut(20, 4, chunks);
  });

  it('cursor past the last column (pending wrap), insert mode, no autowrap', async () => {
    await checkEveryCut(10, 4, [
      '0123456789', 'X\r\n\x1b[31m01234567漢', '\x1b[0mY', '\x1b[4hAB\x1b[1;1HI', '\x1b[?7l\x1b[2;1H0123456789abc', 'Z',
    ]);
  });

  it('wide characters past the last column with autowrap off', async () => {
    await checkEveryCut(10, 3, ['\x1b[?7l', '\x1b[1;7H\u6f22\u5b57\u30c6', '\x1b[2;8H\u6f22x', '\x1b[?7h\r\nok']);
  });

  it('tab stops', async () => {
    await checkEveryCut(30, 4, ['\x1b[3g\x1b[1;5H\x1bH\x1b[1;13H\x1bH\r', '\ta\tb\tc\r\n', '\x1b[g\ta']);
  });

  it('scrollback beyond the screen', async () => {
    const lines = Array.from({ length: 260 }, (_, i) => `\x1b[3${i % 8}mline ${i}\x1b[0m\r\n`);
    await checkEveryCut(20, 5, [lines.slice(0, 100).join(''), lines.slice(100).join(''), 'tail']);
  });

  it('a resize between chunks', async () => {
    await checkEveryCut(20, 5, ['a long line that wraps around\r\n', 'short\r\n', 'after'], { index: 1, cols: 12, rows: 6 });
  });
});

describe('TerminalMirror flow', () => {
  it('skips to the tail when it falls behind, keeping alternate screen and modes', async () => {
    const mirror = new TerminalMirror({ cols: 40, rows: 10, maxQueueBytes: 64 * 1024, tailBytes: 8 * 1024 });
    mirror.output(Buffer.from('\x1b]0;busy\x07\x1b[?2004h\x1b[?1049h\x1b[?25l\x1b[3;8r'));
    const filler = Buffer.from(Array.from({ length: 3000 }, (_, i) => `\x1b[${(i % 10) + 1};1Hrow ${i} \x1b[3${i % 8}mxxxxxxxx\x1b[0m`).join(''));
    mirror.output(filler);
    const snap = await mirror.snapshot();
    expect(mirror.resyncs).toBe(1);
    expect(snap.resynced).toBe(true);
    expect(snap.seq).toBe(mirror.seq);
    const viewer = freshTerminal(40, 10);
    await writeAll(viewer.term, snap.data);
    expect(viewer.term.buffer.active.type).toBe('alternate');
    expect(viewer.term.modes.bracketedPasteMode).toBe(true);
    expect(viewer.title()).toBe('busy');
    expect(describeTerminal(viewer.term, '').cursorHidden).toBe(true);
    // The last rows painted are in the kept tail, so the screen shows them.
    expect(viewer.term.buffer.active.getLine(9)?.translateToString(true)).toContain('row 2999');
    mirror.dispose();
  });

  it('far behind, still keeps the alternate screen and DEC private modes', async () => {
    const mirror = new TerminalMirror({ cols: 40, rows: 10, maxQueueBytes: 256 * 1024, tailBytes: 8 * 1024 });
    mirror.output(Buffer.from('\x1b[?1049h\x1b[?25l\x1b[?2004h\x1b[?1000h'));
    const row = (i: number): string => `\x1b[${(i % 10) + 1};1Hrow ${i} \x1b[3${i % 8}mxxxxxxxx\x1b[0m`;
    mirror.output(Buffer.from(Array.from({ length: 100000 }, (_, i) => row(i)).join(''))); // ~3 MB
    const snap = await mirror.snapshot();
    expect(mirror.resyncs).toBeGreaterThan(0);
    const viewer = freshTerminal(40, 10);
    await writeAll(viewer.term, snap.data);
    expect(viewer.term.buffer.active.type).toBe('alternate');
    expect(viewer.term.modes.bracketedPasteMode).toBe(true);
    expect(viewer.term.modes.mouseTrackingMode).toBe('vt200');
    expect(describeTerminal(viewer.term, '').cursorHidden).toBe(true);
    expect(viewer.term.buffer.active.getLine(9)?.translateToString(true)).toContain('row 99999');
    mirror.dispose();
  });

  it('after skipping bulk output, the visible screen is exact once the tail has repainted it', async () => {
    const mirror = new TerminalMirror({ cols: 80, rows: 24, maxQueueBytes: 1024 * 1024, tailBytes: 64 * 1024 });
    const user = freshTerminal(80, 24);
    const text = new Utf8Stream();
    const lines = Array.from({ length: 60000 }, (_, i) => `\x1b[3${i % 8}m${String(i).padStart(6)}\x1b[0m log line ✓ été ${'x'.repeat(i % 40)}\r\n`);
    for (let i = 0; i < lines.length; i += 500) {
      const b = Buffer.from(lines.slice(i, i + 500).join('') + (i + 500 >= lines.length ? '\x1b]0;done\x07$ ' : ''));
      mirror.output(b);
      user.term.write(text.decode(b));
    }
    const snap = await mirror.snapshot();
    await writeAll(user.term, '');
    expect(mirror.resyncs).toBeGreaterThan(0);
    const viewer = freshTerminal(80, 24);
    await writeAll(viewer.term, snap.data);
    const screen = (t: typeof user): unknown => {
      const d = describeTerminal(t.term, t.title()) as { normal: { lines: string[] } };
      return { ...d, normal: d.normal.lines.slice(-24) }; // scrollback before the skip is gone
    };
    expect(diffStates(screen(viewer), screen(user))).toEqual([]);
    mirror.dispose();
  });

  it('answers a snapshot at once when idle, at the position of an unfinished sequence', async () => {
    const mirror = new TerminalMirror({ cols: 20, rows: 4 });
    mirror.output(Buffer.from('abc\x1b[3'));
    const snap = await mirror.snapshot();
    expect(snap.seq).toBe(3);
    mirror.dispose();
    await expect(mirror.snapshot()).rejects.toThrow(/disposed/);
  });
});
