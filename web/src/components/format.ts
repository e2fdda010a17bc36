// How dates, durations and sizes read in the console.

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** "2026-11-27 20:33:43" in the browser's time zone; "" for null. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "01:02:03" from seconds. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '';
  const s = Math.max(0, Math.floor(seconds));
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** "1.5 MB" from bytes. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Session duration: stored for ended sessions, running for active ones. */
export function sessionSeconds(s: { startedAt: string; endedAt: string | null; durationSeconds: number | null }, now: number): number | null {
  if (s.durationSeconds !== null && s.durationSeconds !== undefined) return s.durationSeconds;
  const start = Date.parse(s.startedAt);
  if (Number.isNaN(start)) return null;
  const end = s.endedAt ? Date.parse(s.endedAt) : now;
  return Math.max(0, (end - start) / 1000);
}

/** datetime-local input value → ISO string (UTC), "" stays "". */
export function localInputToIso(v: string): string {
  if (!v) return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/** "account@device" for a session's target, whether the credential is given as the account or already as account@device. */
export function targetOf(s: { credential: string; device: string }): string {
  return s.credential.includes('@') ? s.credential : `${s.credential}@${s.device}`;
}
