// SGR (Select Graphic Rendition) that reproduces a cell's or the pen's attributes exactly.

import type { IBufferCell } from '@xterm/headless';

const CM_MASK = 0x3000000, CM_P16 = 0x1000000, CM_P256 = 0x2000000, CM_RGB = 0x3000000;

/** Cell or attribute data: the methods both xterm's IBufferCell and its AttributeData have. */
type Attrs = Pick<IBufferCell, 'isBold' | 'isDim' | 'isItalic' | 'isUnderline' | 'isBlink' | 'isInverse' |
  'isInvisible' | 'isStrikethrough' | 'isOverline' | 'getFgColorMode' | 'getBgColorMode' | 'getFgColor' | 'getBgColor'>;

/** SGR that sets exactly these attributes, starting from a reset. */
export function sgrFor(a: Attrs): string {
  const p: number[] = [0];
  if (a.isBold()) p.push(1);
  if (a.isDim()) p.push(2);
  if (a.isItalic()) p.push(3);
  if (a.isUnderline()) p.push(4);
  if (a.isBlink()) p.push(5);
  if (a.isInverse()) p.push(7);
  if (a.isInvisible()) p.push(8);
  if (a.isStrikethrough()) p.push(9);
  if (a.isOverline()) p.push(53);
  pushColor(p, a.getFgColorMode() & CM_MASK, a.getFgColor(), 30);
  pushColor(p, a.getBgColorMode() & CM_MASK, a.getBgColor(), 40);
  return `\x1b[${p.join(';')}m`;
}

function pushColor(p: number[], mode: number, color: number, base: 30 | 40): void {
  if (mode === CM_P16) p.push(color < 8 ? base + color : base + 60 + (color - 8));
  else if (mode === CM_P256) p.push(base + 8, 5, color);
  else if (mode === CM_RGB) p.push(base + 8, 2, (color >>> 16) & 0xff, (color >>> 8) & 0xff, color & 0xff);
}
