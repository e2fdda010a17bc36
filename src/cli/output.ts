// How commands print: aligned plain-text tables for people, JSON for scripts.

/** A table cell; null and undefined print as "-". */
export type Cell = string | number | boolean | Date | null | undefined;

/** Renders a value for a table: dates as "YYYY-MM-DD HH:MM:SSZ", control characters made visible. */
export function cellText(v: Cell): string {
  if (v === null || v === undefined || v === '') return '-';
  if (v instanceof Date) return v.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  // Stored text (commands, comments) may hold terminal escapes; never let them reach the terminal raw.
  return String(v).replace(/\p{Cc}/gu, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Columns aligned with two spaces between them; the last column is not padded. */
export function table(headers: string[], rows: Cell[][]): string {
  const text = rows.map((r) => r.map(cellText));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...text.map(line)].join('\n') + '\n';
}

/** Pretty JSON with a final newline; dates become ISO strings. */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** "H:MM:SS" for a duration in seconds. */
export function duration(seconds: number | null): string | null {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return null;
  const s = Math.floor(seconds);
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** ISO string or null, for JSON output. */
export function iso(d: Date | null | undefined): string | null {
  return d ? d.toISOString() : null;
}
