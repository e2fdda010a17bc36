// The asciicast v2 line format: formatting the header and parsing header and event lines, shared by writer, reader and repair.

import type { RecordingHeader } from '../core/ports.js';

/** Event types Vigil reads: output, input, resize, marker. */
export type AsciicastEventType = 'o' | 'i' | 'r' | 'm';

/** One asciicast v2 event. */
export interface AsciicastEvent {
  /** Seconds since the start of the recording. */
  time: number;
  type: AsciicastEventType;
  data: string;
}

/** The parsed first line of an asciicast v2 file. */
export interface AsciicastHeader {
  version: 2;
  width: number;
  height: number;
  timestamp?: number;
  title?: string;
  command?: string;
  env?: Record<string, string>;
}

const EVENT_TYPES: ReadonlySet<string> = new Set(['o', 'i', 'r', 'm']);

/** The header line (with its newline) Vigil writes; keys in the order the asciicast spec lists them. */
export function formatHeader(h: RecordingHeader): string {
  const out: Record<string, unknown> = {
    version: 2,
    width: h.width,
    height: h.height,
    timestamp: Math.floor(h.timestamp),
  };
  if (h.command !== undefined) out.command = h.command;
  if (h.title !== undefined) out.title = h.title;
  if (h.env !== undefined) out.env = h.env;
  return JSON.stringify(out) + '\n';
}

/** True when the header fields can be written as a valid asciicast v2 header. */
export function isValidRecordingHeader(h: RecordingHeader): boolean {
  return (
    Number.isInteger(h.width) && h.width > 0 && h.width <= 10_000 &&
    Number.isInteger(h.height) && h.height > 0 && h.height <= 10_000 &&
    Number.isFinite(h.timestamp) && h.timestamp >= 0
  );
}

/** Parses a header line; null when it is not a valid asciicast v2 header. */
export function parseHeader(line: string): AsciicastHeader | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  if (o.version !== 2) return null;
  if (!Number.isInteger(o.width) || (o.width as number) <= 0) return null;
  if (!Number.isInteger(o.height) || (o.height as number) <= 0) return null;
  return o as unknown as AsciicastHeader;
}

/**
 * Parses an event line `[time, "type", "data"]`; null when malformed.
 * Any one-letter-or-longer type is accepted here (the format allows extensions); readers filter.
 */
export function parseEventLine(line: string): { time: number; type: string; data: string } | null {
  // Cheap shape check first: repair runs this over every line of a possibly long file.
  if (line.length < 8 || line.charCodeAt(0) !== 0x5b || line.charCodeAt(line.length - 1) !== 0x5d) return null;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (!Array.isArray(v) || v.length !== 3) return null;
  const [time, type, data] = v as unknown[];
  if (typeof time !== 'number' || !Number.isFinite(time) || time < 0) return null;
  if (typeof type !== 'string' || type.length === 0 || typeof data !== 'string') return null;
  return { time, type, data };
}

/** True for the event types of {@link AsciicastEventType}. */
export function isKnownEventType(t: string): t is AsciicastEventType {
  return EVENT_TYPES.has(t);
}

/** Rounds seconds to `decimals` places (durations: 3, event times: 6). */
export function roundSeconds(s: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(s * f) / f;
}
