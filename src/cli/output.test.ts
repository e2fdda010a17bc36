import { describe, expect, it } from 'vitest';
import { cellText, duration, table } from './output.js';

describe('table', () => {
  it('aligns columns and prints empty cells as "-"', () => {
    expect(table(['NAME', 'HOST', 'NOTE'], [['web01', '10.0.0.5', null], ['db', 'db.example', 'x']])).toBe(
      'NAME   HOST        NOTE\nweb01  10.0.0.5    -\ndb     db.example  x\n',
    );
  });
  it('never lets stored text put terminal escapes on the screen', () => {
    expect(cellText('ls\x1b[2J\r\n')).toBe('ls\\x1b[2J\\x0d\\x0a');
    expect(cellText(new Date('2026-01-01T10:00:00.123Z'))).toBe('2026-01-01 10:00:00Z');
  });
  it('formats durations as H:MM:SS', () => {
    expect(duration(3723.9)).toBe('1:02:03');
    expect(duration(null)).toBeNull();
  });
});
