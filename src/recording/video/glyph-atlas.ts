// Glyph alpha masks drawn once per character with a real monospace font (@napi-rs/canvas), then blended into frames by hand.
//
// Drawing text per cell per frame with the canvas is ~3× slower than blending cached masks
// (FACTS.md). DejaVu Sans Mono at 15 px has a whole-pixel 9×18 cell (ascent 14, descent 4), and
// its box-drawing glyphs fill the cell, so lines join across cells.

import { createHash } from 'node:crypto';
import { createCanvas, GlobalFonts, type SKRSContext2D } from '@napi-rs/canvas';

export interface GlyphAtlasOptions {
  /** Regular and bold TrueType files of a monospace font. */
  regular: string;
  bold: string;
  /** Pixel size (default 15). */
  size?: number;
}

/** Debian's fonts-dejavu-core. */
export const DEJAVU_MONO: GlyphAtlasOptions = {
  regular: '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf',
  bold: '/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf',
};

/** The family name a font file is registered under: once per process (fonts are process-wide in @napi-rs/canvas). */
function family(path: string): string | null {
  const name = `VigilMono-${createHash('sha256').update(path).digest('hex').slice(0, 12)}`;
  if (GlobalFonts.has(name)) return name;
  return GlobalFonts.registerFromPath(path, name) ? name : null;
}

export class GlyphAtlas {
  readonly cellWidth: number;
  readonly cellHeight: number;
  /** Pixel row of the text baseline within a cell. */
  readonly baseline: number;
  private readonly ctx: SKRSContext2D;
  private readonly fonts: [string, string];
  private readonly masks = new Map<string, Uint8Array>();

  constructor(o: GlyphAtlasOptions = DEJAVU_MONO) {
    const size = o.size ?? 15;
    const regular = family(o.regular);
    if (!regular) throw new Error(`cannot load the video font ${o.regular}`);
    const bold = family(o.bold) ?? regular;
    this.fonts = [`${size}px ${regular}`, `${size}px ${bold}`];
    const probe = createCanvas(8, 8).getContext('2d');
    probe.font = this.fonts[0];
    const m = probe.measureText('M');
    this.cellWidth = Math.round(m.width);
    this.baseline = Math.round(m.fontBoundingBoxAscent);
    this.cellHeight = this.baseline + Math.round(m.fontBoundingBoxDescent);
    this.ctx = createCanvas(this.cellWidth * 2, this.cellHeight).getContext('2d');
    this.ctx.fillStyle = '#ffffff';
    this.ctx.textBaseline = 'alphabetic';
  }

  /**
   * The alpha mask (row-major, `cellWidth * width` by `cellHeight`) of `chars` (one grapheme,
   * combining marks included), or null for blank cells.
   */
  mask(chars: string, bold: boolean, width: number): Uint8Array | null {
    if (chars === '' || chars === ' ') return null;
    const key = (bold ? 'b' : 'r') + width + chars;
    let m = this.masks.get(key);
    if (!m) {
      m = this.draw(chars, bold, width);
      this.masks.set(key, m);
    }
    return m;
  }

  private draw(chars: string, bold: boolean, width: number): Uint8Array {
    const w = this.cellWidth * width;
    const h = this.cellHeight;
    const ctx = this.ctx;
    ctx.clearRect(0, 0, this.cellWidth * 2, h);
    ctx.font = this.fonts[bold ? 1 : 0];
    ctx.fillText(chars, 0, this.baseline, w);
    const rgba = ctx.getImageData(0, 0, w, h).data;
    const out = new Uint8Array(w * h);
    for (let i = 0; i < out.length; i++) out[i] = rgba[i * 4 + 3];
    return out;
  }
}
