// Searches a recording's displayed text (asciicast "o" events through TextLines) for Session Logs' search box.

import type { RecordingText } from '../../core/session-logs.js';
import { readAsciicast } from '../../recording/asciicast-reader.js';
import { castStorage } from '../../recording/cast-source.js';
import { TextLines } from './text-lines.js';

/** Lines are returned cut to this length around the match. */
const SHOWN = 300;

export class AsciicastRecordingText implements RecordingText {
  async search(recordingPath: string, text: string, limit: number): Promise<Array<{ offset: number; text: string }> | null> {
    if (castStorage(recordingPath) === null) return null;
    const needle = text.toLowerCase();
    const found: Array<{ offset: number; text: string }> = [];
    let time = 0;
    const lines = new TextLines((line) => {
      if (found.length < limit && line.toLowerCase().includes(needle)) found.push({ offset: Math.round(time * 1000) / 1000, text: around(line, needle) });
    });
    for await (const e of readAsciicast(recordingPath)) {
      if (e.type !== 'o') continue;
      time = e.time;
      lines.write(e.data);
      if (found.length >= limit) break;
    }
    lines.flush();
    return found;
  }
}

function around(line: string, needle: string): string {
  if (line.length <= SHOWN) return line;
  const i = line.toLowerCase().indexOf(needle);
  const start = Math.max(0, Math.min(i - 100, line.length - SHOWN));
  return (start > 0 ? '…' : '') + line.slice(start, start + SHOWN) + (start + SHOWN < line.length ? '…' : '');
}
