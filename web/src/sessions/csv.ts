// CSV text (RFC 4180) for exports, guarded against spreadsheet formula injection, and the browser download of it.

import type { SessionItem } from '../api/wire';
import { formatDateTime, formatDuration, sessionSeconds } from '../components/format';

/**
 * One field: quoted when it holds a comma, quote, CR or LF; a leading =, +, -, @, tab or CR is
 * prefixed with ' so a spreadsheet shows it rather than evaluating it (a session's user or command is attacker-chosen text).
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows → CSV text with CRLF line ends. */
export function toCsv(rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

export const SESSION_CSV_HEADER = ['ID', 'Session ID', 'User', 'Origin IP', 'Credential', 'Device', 'Protocol', 'Start', 'End', 'Time', 'Status', 'Prevent purge', 'Blocked'];

/** The Remote Sessions columns of one session, as exported. */
export function sessionCsvRow(s: SessionItem, now: number): unknown[] {
  return [
    s.id,
    s.sessionId,
    s.user,
    s.originIp,
    s.credential,
    s.device,
    s.protocol,
    formatDateTime(s.startedAt),
    formatDateTime(s.endedAt),
    formatDuration(sessionSeconds(s, now)),
    s.status,
    s.preventPurge ? 'Yes' : 'No',
    s.blocked ? 'Yes' : 'No',
  ];
}

/** Offers `content` as a file download. */
export function downloadFile(filename: string, content: Blob | string, type = 'text/csv;charset=utf-8'): void {
  // The BOM makes spreadsheet programs read UTF-8 user names correctly.
  const blob = typeof content === 'string' ? new Blob(['\ufeff', content], { type }) : content;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
