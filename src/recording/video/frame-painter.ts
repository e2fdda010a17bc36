// Paints a headless terminal's screen into an RGB24 frame, redrawing only the cells that changed since the last frame.

import type { IBufferCell, Terminal } from '@xterm/headless';
import type { GlyphAtlas } from './glyph-atlas.js';
import { BAR_BG, BAR_FG, DEFAULT_BG, DEFAULT_FG, dimColor, resolveColor } from './palette.js';

const F_BOLD = 1, F_UNDERLINE = 2, F_STRIKE = 4;

/** Cursor visibility is private in xterm (coreService.isCursorHidden). */
function cursorHidden(term: Terminal): boolean {
  return (term as unknown as { _core?: { coreService?: { isCursorHidden?: boolean } } })._core?.coreService?.isCursorHidden === true;
}

export class FramePainter {
  readonly width: number;
  readonly height: number;
  /** The current frame, rgb24, row-major; changed in place by paint() and status(). */
  readonly frame: Buffer;
  private readonly cw: number;
  private readonly ch: number;
  private readonly chars: string[];
  private readonly fg: Uint32Array;
  private readonly bg: Uint32Array;
  private readonly flags: Uint8Array;
  private readonly widths: Uint8Array;
  private cell: IBufferCell | null = null;
  private barText = '';

  /** A frame for terminals up to `cols`×`rows`, with a one-line status bar under it when `bar`. */
  constructor(private readonly atlas: GlyphAtlas, private readonly cols: number, private readonly rows: number, private readonly bar = true) {
    this.cw = atlas.cellWidth;
    this.ch = atlas.cellHeight;
    // yuv420p needs even dimensions.
    this.width = (cols * this.cw + 1) & ~1;
    this.height = ((rows + (bar ? 1 : 0)) * this.ch + 1) & ~1;
    this.frame = Buffer.alloc(this.width * this.height * 3);
    const n = cols * rows;
    this.chars = new Array<string>(n).fill('');
    this.fg = new Uint32Array(n).fill(DEFAULT_FG);
    this.bg = new Uint32Array(n).fill(DEFAULT_BG);
    this.flags = new Uint8Array(n);
    this.widths = new Uint8Array(n).fill(1);
    if (bar) this.fillRect(0, rows * this.ch, this.width, this.height - rows * this.ch, BAR_BG);
  }

  /** Brings the frame up to date with the terminal's screen; true when any pixel changed. */
  paint(term: Terminal): boolean {
    const buf = term.buffer.active;
    const cell = (this.cell ??= buf.getNullCell());
    const showCursor = !cursorHidden(term);
    const cx = buf.cursorX, cy = buf.cursorY;
    let changed = false;
    for (let y = 0; y < this.rows; y++) {
      const line = y < term.rows ? buf.getLine(buf.viewportY + y) : undefined;
      for (let x = 0; x < this.cols; x++) {
        let chars = '', width = 1, fg = DEFAULT_FG, bg = DEFAULT_BG, flags = 0;
        if (line && x < term.cols) {
          line.getCell(x, cell);
          width = cell.getWidth();
          if (width === 0) {
            // Second half of a wide character: drawn with it.
            if (this.widths[y * this.cols + x] !== 0) { this.widths[y * this.cols + x] = 0; this.chars[y * this.cols + x] = '\0'; }
            continue;
          }
          chars = cell.getChars();
          const bold = cell.isBold() !== 0;
          fg = resolveColor(cell.getFgColorMode(), cell.getFgColor(), DEFAULT_FG, bold);
          bg = resolveColor(cell.getBgColorMode(), cell.getBgColor(), DEFAULT_BG);
          if (cell.isInverse()) [fg, bg] = [bg, fg];
          if (cell.isDim()) fg = dimColor(fg, bg);
          if (cell.isInvisible()) fg = bg;
          flags = (bold ? F_BOLD : 0) | (cell.isUnderline() ? F_UNDERLINE : 0) | (cell.isStrikethrough() ? F_STRIKE : 0);
          if (width === 2 && x === term.cols - 1) width = 1;
        }
        if (showCursor && x === cx && y === cy) [fg, bg] = [bg, fg];
        const i = y * this.cols + x;
        if (this.chars[i] === chars && this.fg[i] === fg && this.bg[i] === bg && this.flags[i] === flags && this.widths[i] === width) continue;
        this.chars[i] = chars; this.fg[i] = fg; this.bg[i] = bg; this.flags[i] = flags; this.widths[i] = width;
        this.drawCell(x * this.cw, y * this.ch, chars, Math.min(width, this.cols - x), fg, bg, flags);
        changed = true;
      }
    }
    return changed;
  }

  /** Sets the status bar text; true when it changed. */
  status(text: string): boolean {
    if (!this.bar || text === this.barText) return false;
    this.barText = text;
    const y = this.rows * this.ch;
    const chars = Array.from(text);
    for (let x = 0; x < this.cols; x++) this.drawCell(x * this.cw, y, chars[x] ?? '', 1, BAR_FG, BAR_BG, 0);
    return true;
  }

  private drawCell(px: number, py: number, chars: string, width: number, fg: number, bg: number, flags: number): void {
    const w = this.cw * width;
    const mask = this.atlas.mask(chars, (flags & F_BOLD) !== 0, width);
    const fr = fg >> 16, fgG = (fg >> 8) & 0xff, fb = fg & 0xff;
    const br = bg >> 16, bgG = (bg >> 8) & 0xff, bb = bg & 0xff;
    const underline = flags & F_UNDERLINE ? this.atlas.baseline + 1 : -1;
    const strike = flags & F_STRIKE ? Math.round(this.ch * 0.55) : -1;
    const frame = this.frame;
    for (let row = 0; row < this.ch; row++) {
      let o = ((py + row) * this.width + px) * 3;
      const full = row === underline || row === strike;
      const m0 = row * w;
      for (let col = 0; col < w; col++, o += 3) {
        const a = full ? 255 : mask ? mask[m0 + col] : 0;
        if (a === 0) { frame[o] = br; frame[o + 1] = bgG; frame[o + 2] = bb; }
        else if (a === 255) { frame[o] = fr; frame[o + 1] = fgG; frame[o + 2] = fb; }
        else {
          frame[o] = br + (((fr - br) * a + 127) / 255) | 0;
          frame[o + 1] = bgG + (((fgG - bgG) * a + 127) / 255) | 0;
          frame[o + 2] = bb + (((fb - bb) * a + 127) / 255) | 0;
        }
      }
    }
  }

  private fillRect(x0: number, y0: number, w: number, h: number, color: number): void {
    for (let y = y0; y < y0 + h; y++) {
      for (let x = x0; x < x0 + w; x++) {
        const o = (y * this.width + x) * 3;
        this.frame[o] = color >> 16; this.frame[o + 1] = (color >> 8) & 0xff; this.frame[o + 2] = color & 0xff;
      }
    }
  }
}
