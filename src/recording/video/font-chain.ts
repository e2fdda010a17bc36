// The fonts a video's glyphs are drawn with: a monospace font first, then fallbacks for what it lacks (symbols, CJK), found through fontconfig with the characters each covers.
//
// The canvas (Skia) would also fall back on its own, to whatever font the machine happens to have
// and silently to nothing: the chain makes the choice explicit, the same on every machine that has
// the same Debian packages, and tells what is missing. A character no font covers is drawn as
// U+FFFD (a visible replacement), never as nothing.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** One font of the chain. */
export interface ChainFont {
  /** What it is for (shown in messages): "monospace", "symbols", "CJK". */
  role: string;
  family: string;
  regular: string;
  /** The bold face's file, or null to draw bold with the regular one. */
  bold: string | null;
  /** Sorted, disjoint [first, last] code point ranges it has glyphs for; null when unknown (no fontconfig): taken as everything. */
  coverage: Uint32Array | null;
}

export interface FontChain {
  /** In order of preference; the first is the monospace font that sets the cell size. */
  fonts: ChainFont[];
  /** What could not be found, as sentences (e.g. for a warning or a failing test). */
  missing: string[];
}

/** Debian's packages for each role, and where they put their files (used when fontconfig is absent). */
const KNOWN = {
  mono: { family: 'DejaVu Sans Mono', package: 'fonts-dejavu-core', regular: '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf', bold: '/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf' },
  symbols: { family: 'DejaVu Sans', package: 'fonts-dejavu-core', regular: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', bold: '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf' },
  /** Preferred CJK families, best first (any other font fontconfig lists for Chinese comes after them). */
  cjk: ['WenQuanYi Zen Hei', 'Noto Sans CJK SC', 'Noto Sans CJK JP', 'Noto Sans Mono CJK SC', 'Droid Sans Fallback'],
  cjkPackage: 'fonts-wqy-zenhei',
} as const;

/** fontconfig's weights: regular and bold. */
const REGULAR = 80, BOLD = 200;

interface FcFace {
  file: string;
  index: number;
  family: string;
  weight: number;
  slant: number;
  width: number;
  charset: string;
}

/** `fc-list PATTERN`, one face per line; null when fontconfig is not installed. */
function fcList(pattern: string): FcFace[] | null {
  let out: string;
  try {
    out = execFileSync('fc-list', [pattern, '-f', '%{file}\t%{index}\t%{family[0]}\t%{weight}\t%{slant}\t%{width}\t%{charset}\n'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 16 << 20 });
  } catch {
    return null;
  }
  return out.split('\n').filter(Boolean).map((line) => {
    const [file, index, family, weight, slant, width, charset] = line.split('\t');
    return { file, index: Number(index), family: family ?? '', weight: Number(weight), slant: Number(slant), width: Number(width || 100), charset: charset ?? '' };
  });
}

/** fontconfig's charset text ("20-7e a0-17f 3000") as sorted ranges. */
export function parseCharset(text: string): Uint32Array {
  const ranges: number[] = [];
  for (const part of text.trim().split(/\s+/)) {
    if (!part) continue;
    const [a, b] = part.split('-');
    const first = parseInt(a, 16), last = b === undefined ? first : parseInt(b, 16);
    if (Number.isFinite(first) && Number.isFinite(last)) ranges.push(first, last);
  }
  return Uint32Array.from(ranges);
}

/** True when `cp` is in the ranges (binary search). */
export function covers(coverage: Uint32Array | null, cp: number): boolean {
  if (!coverage) return true;
  let lo = 0, hi = coverage.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < coverage[mid * 2]) hi = mid - 1;
    else if (cp > coverage[mid * 2 + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/** The upright, normal-width face of `weight`, or null. The canvas registers a collection's first face, so only index 0 counts. */
function pick(faces: FcFace[], weight: number): FcFace | null {
  return faces.find((f) => f.index === 0 && f.slant === 0 && f.width === 100 && f.weight === weight) ?? null;
}

/** A family by name from fontconfig's faces of it, or at Debian's path when there is no fontconfig (`listed` null; coverage unknown). */
function byFamily(role: string, known: { family: string; package: string; regular: string; bold: string }, listed: FcFace[] | null): ChainFont | null {
  if (listed) {
    const faces = listed.filter((f) => f.family === known.family);
    const regular = pick(faces, REGULAR);
    if (!regular) return null;
    return { role, family: known.family, regular: regular.file, bold: pick(faces, BOLD)?.file ?? null, coverage: parseCharset(regular.charset) };
  }
  if (!existsSync(known.regular)) return null;
  return { role, family: known.family, regular: known.regular, bold: existsSync(known.bold) ? known.bold : null, coverage: null };
}

/** A font with Chinese (and so the CJK ideographs; the ones Debian ships cover kana and Hangul too). */
function cjkFont(): ChainFont | null {
  const faces = fcList(':lang=zh-cn') ?? [];
  const rank = (f: FcFace) => {
    const i = (KNOWN.cjk as readonly string[]).indexOf(f.family);
    return i < 0 ? KNOWN.cjk.length : i;
  };
  // Regular or medium (WenQuanYi Zen Hei has only medium, 100), upright, closest to regular.
  const regular = faces
    .filter((f) => f.index === 0 && f.slant === 0 && f.weight >= 50 && f.weight < BOLD)
    .sort((a, b) => rank(a) - rank(b) || Math.abs(a.weight - REGULAR) - Math.abs(b.weight - REGULAR))[0];
  if (!regular) return null;
  const bold = pick(faces.filter((f) => f.family === regular.family), BOLD);
  return { role: 'CJK', family: regular.family, regular: regular.file, bold: bold?.file ?? null, coverage: parseCharset(regular.charset) };
}

let cached: FontChain | null = null;

/** The chain on this machine: DejaVu Sans Mono, DejaVu Sans (symbols, emoticons), a CJK font. Resolved once per thread. */
export function resolveFontChain(): FontChain {
  if (cached) return cached;
  const monoFaces = fcList(KNOWN.mono.family);
  const fc = monoFaces !== null;
  const fonts: ChainFont[] = [];
  const missing: string[] = [];
  if (!fc) missing.push('fontconfig (fc-list) is not installed: fallback fonts cannot be found (install fontconfig)');
  const mono = byFamily('monospace', KNOWN.mono, monoFaces);
  if (mono) fonts.push(mono);
  else missing.push(`no ${KNOWN.mono.family} (install ${KNOWN.mono.package})`);
  const symbols = byFamily('symbols', KNOWN.symbols, fc ? (fcList(KNOWN.symbols.family) ?? []) : null);
  if (symbols) fonts.push(symbols);
  else missing.push(`no ${KNOWN.symbols.family} for symbols (install ${KNOWN.symbols.package})`);
  const cjk = fc ? cjkFont() : null;
  if (cjk) fonts.push(cjk);
  else missing.push(`no CJK font: Chinese, Japanese and Korean text is drawn as U+FFFD (install ${KNOWN.cjkPackage})`);
  cached = { fonts, missing };
  return cached;
}
