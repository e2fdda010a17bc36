// Deciding what command a line held at Enter, from what the screen showed and what the keys said; and whether a
// shell would wait for more lines (`\` continuation, an open quote, a here-document, a trailing `|`/`&&`/`||`).

/** What the screen and the keys agree a line was. */
export type LineDecision = { kind: 'none' } | { kind: 'hidden' } | { kind: 'command'; text: string };

export interface LineEvidence {
  /** The logical line on screen when Enter took effect (prompt included). */
  line: string;
  /** What the line showed before the first key was typed on it (the prompt). */
  prompt: string;
  /** The keys' version of the line (see LineKeys). */
  keys: string;
  /** The line on screen when the Enter key was handled (before what the command then printed). */
  lineAtEnter?: string;
  /** False when keys alone cannot tell the line (Tab, history, ...). */
  certain: boolean;
}

/**
 * - Nothing typed (keys certain and empty) and nothing recalled: no command.
 * - Keys typed but the line never changed: the input was not echoed (a password prompt): hidden, never its text.
 * - Keys certain: the screen shows them (its line ends with them; a pasted block shows its first or last line) at
 *   Enter or when Enter's line feed came: the keys, exact even when a prompt was redrawn around type-ahead. Shown
 *   neither time: hidden (not echoed, or masked with *), whatever the program printed after on the same line.
 * - Otherwise the screen minus the prompt (history recall, Tab completion, Ctrl-R).
 */
export function decideLine(e: LineEvidence): LineDecision {
  const line = e.line.replace(/\s+$/, '');
  const prompt = e.prompt.replace(/\s+$/, '');
  if (e.certain && e.keys.trim() === '') return { kind: 'none' };
  if (line === prompt) return e.keys.length > 0 ? { kind: 'hidden' } : { kind: 'none' };
  if (e.certain) return showsKeys(line, e.keys) || showsKeys(e.lineAtEnter ?? '', e.keys) ? { kind: 'command', text: e.keys.trim() } : { kind: 'hidden' };
  const screen = stripPrompt(e.line, e.prompt).trim();
  return screen ? { kind: 'command', text: screen } : { kind: 'none' };
}

/** The line ends with the keys (a pasted block shows one of its lines when Enter's echo arrives: its first, redrawn, or its last). */
export function showsKeys(line: string, keys: string): boolean {
  const l = line.replace(/\s+$/, '');
  const k = keys.split('\n').map((x) => x.trimEnd()).filter(Boolean);
  return k.length > 0 && (l.endsWith(k[0]) || l.endsWith(k[k.length - 1]));
}

/** Equal but for trailing blanks. */
export function sameLine(a: string, b: string): boolean {
  return a.replace(/\s+$/, '') === b.replace(/\s+$/, '');
}

/** The line without the prompt: the prompt as a prefix, or else the longest prefix both share. */
export function stripPrompt(line: string, prompt: string): string {
  if (line.startsWith(prompt)) return line.slice(prompt.length);
  let k = 0;
  while (k < line.length && k < prompt.length && line[k] === prompt[k]) k++;
  return line.slice(k);
}

/**
 * True when a POSIX shell would prompt for more (PS2) after this text: an odd trailing backslash, an unclosed quote,
 * an unterminated here-document, or a line ending in `|`, `&&` or `||`.
 */
export function isIncomplete(text: string): boolean {
  let quote: '"' | "'" | null = null;
  const heredocs: string[] = [];
  const lines = text.split('\n');
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li];
    if (heredocs.length && quote === null) {
      // Inside a here-document body: only the delimiter line (tabs allowed for <<-) ends it.
      if (line.replace(/^\t+/, '') === heredocs[0]) heredocs.shift();
      continue;
    }
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quote === "'") {
        if (c === "'") quote = null;
      } else if (c === '\\') {
        i++;
      } else if (quote === '"') {
        if (c === '"') quote = null;
      } else if (c === "'" || c === '"') {
        quote = c;
      } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) {
        break;
      } else if (c === '<' && line[i + 1] === '<' && line[i + 2] !== '<') {
        const m = /^<<-?\s*(['"]?)([A-Za-z0-9_.-]+)\1/.exec(line.slice(i));
        if (m) {
          heredocs.push(m[2]);
          i += m[0].length - 1;
        }
      }
    }
    const last = li === lines.length - 1;
    if (last && quote === null && heredocs.length === 0) {
      const trailing = /(\\+)$/.exec(line);
      if (trailing && trailing[1].length % 2 === 1) return true;
      if (/(\|\||&&|\|)\s*$/.test(line) && !/\\\|\s*$/.test(line)) return true;
    }
  }
  return quote !== null || heredocs.length > 0;
}
