// The video's glyphs: CJK from a CJK font across two cells, symbols from DejaVu Sans, anything else as a visible U+FFFD.

import { describe, expect, it } from 'vitest';
import { ReplayTerminal } from '../keyframes/replay-terminal.js';
import { resolveFontChain, type FontChain } from './font-chain.js';
import { FramePainter } from './frame-painter.js';
import { GlyphAtlas } from './glyph-atlas.js';

const chain = resolveFontChain();
// A machine without the fonts skips with a warning; CI (which installs them in .ci/run) fails instead.
if (chain.missing.length > 0 && process.env.CI === 'true') throw new Error(`video fonts missing in CI: ${chain.missing.join('; ')}`);
if (chain.missing.length > 0) console.warn(`skipping: ${chain.missing.join('; ')}`);

const ink = (m: Uint8Array | null) => (m ? m.reduce((a, b) => a + b, 0) : 0);
const same = (a: Uint8Array | null, b: Uint8Array | null) => !!a && !!b && Buffer.compare(a, b) === 0;

/** Ink in columns [x0, x1) of a mask `w` pixels wide. */
function inkIn(m: Uint8Array, w: number, x0: number, x1: number): number {
  let sum = 0;
  for (let i = 0; i < m.length; i++) if (i % w >= x0 && i % w < x1) sum += m[i];
  return sum;
}

describe.skipIf(chain.missing.length > 0)('glyph atlas font chain', () => {
  const atlas = new GlyphAtlas();
  const cw = atlas.cellWidth;

  it('keeps DejaVu Sans Mono and its 9x18 cell first, and finds symbol and CJK fallbacks through fontconfig', () => {
    expect(chain.fonts.map((f) => f.role)).toEqual(['monospace', 'symbols', 'CJK']);
    expect(chain.fonts[0].family).toBe('DejaVu Sans Mono');
    expect([atlas.cellWidth, atlas.cellHeight]).toEqual([9, 18]);
    expect(atlas.fontFor('A')?.role).toBe('monospace');
    expect(atlas.fontFor('─')?.role).toBe('monospace');
    expect(atlas.fontFor('宽')?.role).toBe('CJK');
    expect(atlas.fontFor('あ')?.role).toBe('CJK');
    expect(atlas.fontFor('한')?.role).toBe('CJK');
    expect(atlas.fontFor('😀')?.role).toBe('symbols');
    expect(atlas.fontFor('\u{10FFFD}')).toBeNull();
  });

  it('draws CJK characters as distinct glyphs spanning both cells of a wide character, not as replacement boxes', () => {
    const replacement = atlas.mask('\uFFFD', false, 2);
    const glyphs = ['宽', '字', '符', '终', '端', 'あ', '한'].map((c) => atlas.mask(c, false, 2)!);
    for (const g of glyphs) {
      expect(g.length).toBe(2 * cw * atlas.cellHeight);
      // A CJK glyph is about an em wide: ink on both sides of the cell boundary.
      expect(inkIn(g, 2 * cw, 0, cw)).toBeGreaterThan(1000);
      expect(inkIn(g, 2 * cw, cw, 2 * cw)).toBeGreaterThan(1000);
      expect(same(g, replacement)).toBe(false);
    }
    expect(new Set(glyphs.map((g) => Buffer.from(g).toString('base64'))).size).toBe(glyphs.length);
  });

  it('draws characters no font has as a visible U+FFFD, and emoticons from DejaVu Sans', () => {
    for (const c of ['\u{10FFFD}', '\u{E0000}']) {
      const m = atlas.mask(c, false, 1);
      expect(ink(m)).toBeGreaterThan(1000);
      expect(same(m, atlas.mask('\uFFFD', false, 1))).toBe(true);
    }
    const smiley = atlas.mask('😀', false, 2);
    expect(ink(smiley)).toBeGreaterThan(1000);
    expect(same(smiley, atlas.mask('\uFFFD', false, 2))).toBe(false);
  });

  it('without a CJK font, CJK text still shows (as U+FFFD) instead of vanishing', () => {
    const monoOnly: FontChain = { fonts: [chain.fonts[0]], missing: [] };
    const bare = new GlyphAtlas({ chain: monoOnly });
    expect(ink(bare.mask('宽', false, 2))).toBeGreaterThan(1000);
    expect(same(bare.mask('宽', false, 2), bare.mask('\uFFFD', false, 2))).toBe(true);
  });

  it('paints a wide character over two columns and clears both when narrow text overwrites it', () => {
    const term = new ReplayTerminal({ cols: 6, rows: 1 });
    const painter = new FramePainter(atlas, 6, 1, false);
    const cellInk = (col: number) => {
      let sum = 0;
      for (let y = 0; y < atlas.cellHeight; y++) for (let x = col * cw; x < (col + 1) * cw; x++) sum += painter.frame[(y * painter.width + x) * 3];
      return sum;
    };
    term.write('宽x\x1b[?25l');
    painter.paint(term.term);
    const wide = atlas.mask('宽', false, 2)!;
    // Column 1 holds the right half of the glyph, exactly as the two-cell mask has it (white on black).
    let right = 0;
    for (let y = 0; y < atlas.cellHeight; y++) for (let x = cw; x < 2 * cw; x++) right += wide[y * 2 * cw + x];
    expect(cellInk(1)).toBe(right);
    expect(cellInk(1)).toBeGreaterThan(1000);
    expect(cellInk(2)).toBe(inkIn(atlas.mask('x', false, 1)!, cw, 0, cw));
    term.write('\r  ');
    expect(painter.paint(term.term)).toBe(true);
    expect([cellInk(0), cellInk(1)]).toEqual([0, 0]);
    term.dispose();
  });
});
