// Terminal colours as packed 0xRRGGBB: xterm.js's default theme for the 16 ANSI colours, the 6×6×6 cube and the grey ramp.

/** Default foreground and background (xterm.js defaults). */
export const DEFAULT_FG = 0xffffff;
export const DEFAULT_BG = 0x000000;
/** The status bar under the terminal. */
export const BAR_BG = 0x202020;
export const BAR_FG = 0xb0b0b0;

const ANSI16 = [
  0x2e3436, 0xcc0000, 0x4e9a06, 0xc4a000, 0x3465a4, 0x75507b, 0x06989a, 0xd3d7cf,
  0x555753, 0xef2929, 0x8ae234, 0xfce94f, 0x729fcf, 0xad7fa8, 0x34e2e2, 0xeeeeec,
];

/** The 256-colour palette. */
export const PALETTE: Uint32Array = (() => {
  const p = new Uint32Array(256);
  ANSI16.forEach((c, i) => (p[i] = c));
  const levels = [0, 95, 135, 175, 215, 255];
  for (let i = 0; i < 216; i++) {
    const r = levels[Math.floor(i / 36)], g = levels[Math.floor(i / 6) % 6], b = levels[i % 6];
    p[16 + i] = (r << 16) | (g << 8) | b;
  }
  for (let i = 0; i < 24; i++) {
    const v = 8 + i * 10;
    p[232 + i] = (v << 16) | (v << 8) | v;
  }
  return p;
})();

/** xterm's colour modes (IBufferCell.getFgColorMode() & CM_MASK). */
const CM_MASK = 0x3000000, CM_P16 = 0x1000000, CM_P256 = 0x2000000, CM_RGB = 0x3000000;

/** A cell colour to RGB; `bold` brightens the first 8 colours of a foreground, as xterm.js does by default. */
export function resolveColor(mode: number, color: number, fallback: number, bold = false): number {
  switch (mode & CM_MASK) {
    case CM_P16:
    case CM_P256:
      return PALETTE[bold && color < 8 ? color + 8 : color & 0xff];
    case CM_RGB:
      return color & 0xffffff;
    default:
      return fallback;
  }
}

/** Halves a colour's intensity toward `bg` (SGR 2, dim). */
export function dimColor(fg: number, bg: number): number {
  const mix = (s: number) => ((((fg >> s) & 0xff) + ((bg >> s) & 0xff)) >> 1) << s;
  return mix(16) | mix(8) | mix(0);
}
