import { describe, expect, it } from 'vitest';
import type { SessionItem } from '../api/wire';
import { csvField, SESSION_CSV_HEADER, sessionCsvRow, toCsv } from './csv';

describe('CSV export', () => {
  it('quotes fields holding commas, quotes or line breaks, doubling inner quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rlf')).toBe('"cr\rlf"');
  });

  it('writes empty fields for null and undefined, numbers as they are', () => {
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(42)).toBe('42');
    expect(csvField(-1)).toBe('-1');
  });

  it('defuses text a spreadsheet would run as a formula', () => {
    expect(csvField('=HYPERLINK("http://evil")')).toBe(`"'=HYPERLINK(""http://evil"")"`);
    expect(csvField('+1+1')).toBe("'+1+1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('-rf /')).toBe("'-rf /");
  });

  it('joins rows with CRLF and ends with one', () => {
    expect(toCsv([['a', 'b'], ['1', 'x,y']])).toBe('a,b\r\n1,"x,y"\r\n');
  });

  it('exports the Remote Sessions columns of a session', () => {
    const s = {
      id: 3,
      sessionId: 'f00d',
      user: 'alice',
      originIp: '192.0.2.1',
      credential: 'root',
      device: 'web01',
      protocol: 'SSH',
      startedAt: '2026-03-01T09:00:00.000Z',
      endedAt: null,
      durationSeconds: 65,
      status: 'active',
      preventPurge: true,
      blocked: false,
    } as unknown as SessionItem;
    const row = sessionCsvRow(s, Date.parse('2026-03-01T09:01:05Z'));
    expect(row).toHaveLength(SESSION_CSV_HEADER.length);
    expect(row.slice(0, 7)).toEqual([3, 'f00d', 'alice', '192.0.2.1', 'root', 'web01', 'SSH']);
    expect(row.slice(8)).toEqual(['', '00:01:05', 'active', 'Yes', 'No']);
  });
});
