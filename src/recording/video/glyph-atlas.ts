// Glyph alpha masks drawn once per character with real fonts (@napi-rs/canvas), then blended into frames by hand.
//
// Drawing text per cell per frame with the canvas is ~3× slower than blending cached masks
// (FACTS.md). DejaVu Sans Mono at 15 px has a whole-pixel 9×18 cell (ascent 14, descent 4), and
// its box-drawing glyphs fill the cell, so lines join across cells. Characters it lacks come from
// the next font of the chain that has them (font-chain.ts): symbols and emoticons from DejaVu Sans,
// CJK from a CJK font, centred in their one or two cells; a character no font has is drawn as
// U+FFFD, so it shows.

import { createHash } from 'node:crypto';
import { createCanvas, GlobalFonts, type SKRSContext2D } from '@napi-rs/canvas';
import { covers, resolveFontChain, type ChainFont, type FontChain } from './font-chain.js';

export interface GlyphAtlasOptions {
  /** The fonts, monospace first (default: {@link resolveFontChain}). */
  chain?: FontChain;
  /** Pixel size (default 15). */
  size?: number;
}

/** Distinct masks kept; past it the cache starts again (combining sequences make the set of graphemes unbounded). */
const MAX_MASKS = 50_000;
const REPLACEMENT = 0xfffd;

/** The family name a font file is registered under: once per thread (fonts are global in @napi-rs/canvas). */
function family(path: string): string | null {
  const name = `VigilFont-${createHash('sha256').update(path).digest('hex').slice(0, 12)}`;
  if (GlobalFonts.has(name)) return name;
  return GlobalFonts.registerFromPath(path, name) ? name : null;
}

interface LoadedFont {
  font: ChainFont;
  /** CSS font strings, regular and bold. */
  css: [string, string];
}

export class GlyphAtlas {
  readonly cellWidth: number;
  readonly cellHeight: number;
  /** Pixel row of the text baseline within a cell. */
  readonly baseline: number;
  /** What the chain lacks (see {@link FontChain.missing}). */
  readonly missing: readonly string[];
  private readonly ctx: SKRSContext2D;
  private readonly fonts: LoadedFont[];
  private readonly masks = new Map<string, Uint8Array>();

  constructor(o: GlyphAtlasOptions = {}) {
    const size = o.size ?? 15;
    const chain = o.chain ?? resolveFontChain();
    this.fonts = [];
    for (const font of chain.fonts) {
      const regular = family(font.regular);
      if (!regular) continue;
      const bold = (font.bold && family(font.bold)) || regular;
      this.fonts.push({ font, css: [`${size}px ${regular}`, `${size}px ${bold}`] });
    }
    if (this.fonts.length === 0) throw new Error(`cannot load a video font: ${chain.missing.join('; ') || 'no font could be registered'}`);
    this.missing = chain.missing;
    const probe = createCanvas(8, 8).getContext('2d');
    probe.font = this.fonts[0].css[0];
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
      if (this.masks.size >= MAX_MASKS) this.masks.clear();
      this.masks.set(key, m);
    }
    return m;
  }

  /** The font a grapheme is drawn with (chosen by its first code point), or null when no font has it. */
  fontFor(chars: string): ChainFont | null {
    return this.loadedFor(chars.codePointAt(0) ?? REPLACEMENT)?.font ?? null;
  }

  private loadedFor(cp: number): LoadedFont | null {
    return this.fonts.find((f) => covers(f.font.coverage, cp)) ?? null;
  }

  private draw(chars: string, bold: boolean, width: number): Uint8Array {
    const w = this.cellWidth * width;
    const h = this.cellHeight;
    const ctx = this.ctx;
    ctx.clearRect(0, 0, this.cellWidth * 2, h);
    let font = this.loadedFor(chars.codePointAt(0) ?? REPLACEMENT);
    if (!font) {
      chars = String.fromCodePoint(REPLACEMENT);
      font = this.loadedFor(REPLACEMENT) ?? this.fonts[0];
    }
    ctx.font = font.css[bold ? 1 : 0];
    // The monospace font fills its cell as designed; a fallback glyph (another advance) is centred in its cells.
    const advance = font === this.fonts[0] ? w : ctx.measureText(chars).width;
    ctx.fillText(chars, Math.max(0, (w - advance) / 2), this.baseline, w);
    const rgba = ctx.getImageData(0, 0, w, h).data;
    const out = new Uint8Array(w * h);
    for (let i = 0; i < out.length; i++) out[i] = rgba[i * 4 + 3];
    return out;
  }
}
