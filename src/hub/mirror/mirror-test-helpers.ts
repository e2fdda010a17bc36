// Test helpers: fresh headless terminals and a cell-by-cell description of everything a user sees.

import xtermHeadless from '@xterm/headless';
import type { IBuffer, Terminal } from '@xterm/headless';
import { charsetDesignator, readInternals } from './xterm-internals.js';
import { sgrFor } from './sgr.js';

const { Terminal: HeadlessTerminal } = xtermHeadless;

/** A headless terminal as a viewer would have it, tracking its title. */
export function freshTerminal(cols: number, rows: number, scrollback = 200): { term: Terminal; title: () => string } {
  const term = new HeadlessTerminal({ cols, rows, scrollback, allowProposedApi: true, logLevel: 'off' });
  let title = '';
  term.onTitleChange((t) => { title = t; });
  return { term, title: () => title };
}

export function writeAll(term: Terminal, data: string | Uint8Array): Promise<void> {
  return new Promise((resolve) => term.write(data, resolve));
}

/**
 * With `lenientWide`, broken wide characters read as what they render as. xterm can leave a wide
 * character whose right half is an empty narrow cell (autowrap off at the last column, moved
 * mid-line by a later widening resize) and a right half without its left one (ICH next to a wide
 * character); output cannot rebuild either mid-line. The first renders as the wide character,
 * the second as a blank.
 */
function describeBuffer(buf: IBuffer, cols: number, lenientWide = false): string[] {
  const lines: string[] = [];
  const cell = buf.getNullCell();
  for (let y = 0; y < buf.length; y++) {
    const line = buf.getLine(y);
    if (!line) continue;
    let s = line.isWrapped ? '↩' : '';
    for (let x = 0; x < cols; x++) {
      line.getCell(x, cell);
      if (lenientWide && !cell.getChars() && cell.getWidth() <= 1) {
        const afterWide = x > 0 && line.getCell(x - 1)?.getWidth() === 2;
        if (afterWide) { s += '0[]'; continue; }
        if (cell.getWidth() === 0) { s += '\x1b[0m1[]'; continue; }
      }
      const attrs = sgrFor(cell).replace(/38;5;([0-7])(;|m)/g, (_, c: string, e: string) => `${30 + +c}${e}`)
        .replace(/38;5;([89]|1[0-5])(;|m)/g, (_, c: string, e: string) => `${90 + +c - 8}${e}`)
        .replace(/48;5;([0-7])(;|m)/g, (_, c: string, e: string) => `${40 + +c}${e}`)
        .replace(/48;5;([89]|1[0-5])(;|m)/g, (_, c: string, e: string) => `${100 + +c - 8}${e}`);
      s += `${attrs}${cell.getWidth()}[${cell.getChars()}]`;
    }
    lines.push(s);
  }
  return lines;
}

/**
 * Everything that affects what a viewer sees now or after more output: both screens with
 * scrollback (chars, width, SGR of every cell, wrapped flags), cursor, modes, margins, saved
 * cursors, charsets, tab stops, mouse encoding, cursor style and visibility, title.
 */
export function describeTerminal(term: Terminal, title: string, lenientWide = false): Record<string, unknown> {
  const st = readInternals(term);
  const active = term.buffer.active;
  const buffers = term.buffer.active.type === 'alternate'
    ? { normal: term.buffer.normal, alternate: term.buffer.alternate } : { normal: term.buffer.normal };
  const perBuffer = Object.fromEntries(Object.entries(buffers).map(([name, b]) => {
    const ib = name === 'normal' ? st.normal : st.alt;
    const tabs = Object.keys(ib.tabs).map(Number).filter((c) => ib.tabs[c] && c <= term.cols).sort((a, c) => a - c);
    return [name, {
      lines: describeBuffer(b, term.cols, lenientWide), baseY: b.baseY, length: b.length,
      margins: [ib.scrollTop, ib.scrollBottom], tabs,
      saved: [ib.savedX, Math.max(0, ib.savedY - ib.ybase), sgrFor(ib.savedCurAttrData),
        ib.savedCharset === undefined ? '-' : charsetDesignator(ib.savedCharset)],
    }];
  }));
  return {
    size: [term.cols, term.rows],
    active: active.type,
    cursor: [active.cursorX, active.cursorY],
    ...perBuffer,
    modes: { ...term.modes },
    attr: sgrFor(st.curAttr),
    cursorHidden: st.isCursorHidden,
    cursorStyle: [st.cursorStyle, st.cursorBlink],
    mouseEncoding: st.mouseEncoding,
    charsets: st.charsets.map((c) => (c === undefined ? '-' : charsetDesignator(c))),
    charset: st.charset === undefined ? '-' : charsetDesignator(st.charset),
    glevel: st.glevel,
    title,
  };
}

/** Paths where two descriptions differ, with both values (empty when equal). */
export function diffStates(a: unknown, b: unknown, path = ''): string[] {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    return Object.is(a, b) ? [] : [`${path}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`];
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const out: string[] = [];
  for (const k of keys) {
    out.push(...diffStates((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`));
  }
  return out;
}
