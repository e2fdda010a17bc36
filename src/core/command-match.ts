// Turns a command line into the texts rules are matched against: every line, every simple command of `;`/`&&`/`||`/`|`
// chains and substitutions, with shell quoting and escapes undone and common wrappers (sudo, env, bash -c) peeled off.
//
// Why: a rule `^rm\s` must also catch `echo hi; r''m -rf /`, `"rm" -rf /`, `sudo /bin/rm -rf /`, `x && \rm -rf /` and
// a pasted block whose third line is `rm -rf /`. The shell is a full language, so this is a speed bump, not a proof:
// `$a$b` with a=r b=m, `eval $(base64 -d <<<...)` and aliases are not resolved (the log still records what was typed).

/** Longest text a rule is ever run against: bounds the cost of a regular expression on hostile input. */
export const MAX_CANDIDATE_LENGTH = 4096;
/** At most this many candidate texts per command line (a paste of thousands of lines is cut here). */
export const MAX_CANDIDATES = 2000;
/** How deep `bash -c '...'` / `sudo sh -c "..."` strings are re-parsed. */
const MAX_DEPTH = 3;

const WRAPPERS = new Set(['sudo', 'doas', 'env', 'command', 'builtin', 'exec', 'nohup', 'time', 'nice', 'ionice', 'timeout', 'stdbuf', 'chroot', 'setsid', 'xargs', 'unbuffer', 'busybox']);
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'fish', 'su', 'eval']);

/** Removes quotes and backslash escapes as the shell would: r''m, "rm", \rm, $'\x72m' all become rm. */
export function unquote(word: string): string {
  let out = '';
  let i = 0;
  while (i < word.length) {
    const c = word[i];
    if (c === '\\') {
      // Backslash-newline is a line continuation: it vanishes.
      if (word[i + 1] === '\n') i += 2;
      else {
        out += word[i + 1] ?? '';
        i += 2;
      }
    } else if (c === "'") {
      const end = word.indexOf("'", i + 1);
      out += end < 0 ? word.slice(i + 1) : word.slice(i + 1, end);
      i = end < 0 ? word.length : end + 1;
    } else if (c === '$' && word[i + 1] === "'") {
      const r = ansiC(word, i + 2);
      out += r.text;
      i = r.end;
    } else if (c === '$' && word[i + 1] === '"') {
      i += 1;
    } else if (c === '"') {
      i++;
      while (i < word.length && word[i] !== '"') {
        if (word[i] === '\\' && i + 1 < word.length && '"\\$`\n'.includes(word[i + 1])) {
          if (word[i + 1] !== '\n') out += word[i + 1];
          i += 2;
        } else out += word[i++];
      }
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Decodes a $'...' string from `start` (after the opening quote); returns the text and the index after the closing quote. */
function ansiC(s: string, start: number): { text: string; end: number } {
  let out = '';
  let i = start;
  const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"', '?': '?' };
  while (i < s.length && s[i] !== "'") {
    if (s[i] !== '\\') {
      out += s[i++];
      continue;
    }
    const n = s[i + 1] ?? '';
    let m: RegExpExecArray | null;
    if (simple[n] !== undefined) {
      out += simple[n];
      i += 2;
    } else if ((m = /^x([0-9a-fA-F]{1,2})/.exec(s.slice(i + 1, i + 4)))) {
      out += String.fromCharCode(parseInt(m[1], 16));
      i += 1 + m[0].length;
    } else if ((m = /^u([0-9a-fA-F]{1,4})/.exec(s.slice(i + 1, i + 6))) || (m = /^U([0-9a-fA-F]{1,8})/.exec(s.slice(i + 1, i + 10)))) {
      const cp = parseInt(m[1], 16);
      out += cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
      i += 1 + m[0].length;
    } else if ((m = /^[0-7]{1,3}/.exec(s.slice(i + 1, i + 4)))) {
      out += String.fromCharCode(parseInt(m[0], 8) & 0xff);
      i += 1 + m[0].length;
    } else {
      out += '\\' + n;
      i += 2;
    }
  }
  return { text: out, end: Math.min(s.length, i + 1) };
}

/**
 * Splits one line into simple commands at unquoted `;`, `&`, `&&`, `|`, `||`, `|&`, newlines, `(`, `)`, `` ` ``,
 * `$(`, `<(`, `>(` and brace groups. The pieces keep their quoting (unquote them after splitting).
 */
export function splitCommands(line: string): string[] {
  const parts: string[] = [];
  let cur = '';
  const push = () => {
    if (cur.trim()) parts.push(cur.trim());
    cur = '';
  };
  let i = 0;
  let quote: '"' | "'" | null = null;
  while (i < line.length) {
    const c = line[i];
    if (quote === "'") {
      cur += c;
      if (c === "'") quote = null;
      i++;
      continue;
    }
    if (c === '\\') {
      cur += line.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (quote === '"') {
      // Command substitutions still run inside double quotes.
      if (c === '`' || (c === '$' && line[i + 1] === '(')) {
        push();
        i += c === '`' ? 1 : 2;
        continue;
      }
      if (c === ')') {
        push();
        i++;
        continue;
      }
      cur += c;
      if (c === '"') quote = null;
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      // $'...' is a quote too; its backslashes must not end it early.
      if (c === "'" && cur.endsWith('$')) {
        const r = ansiC(line, i + 1);
        cur += line.slice(i, r.end);
        i = r.end;
        continue;
      }
      quote = c;
      cur += c;
      i++;
      continue;
    }
    if (c === ';' || c === '&' || c === '|' || c === '\n' || c === '\r' || c === '(' || c === ')' || c === '`') {
      // `2>&1`, `&>file` and `>|` are redirections, not separators.
      if (c === '&' && (line[i - 1] === '>' || line[i - 1] === '<' || line[i + 1] === '>')) {
        cur += c;
        i++;
        continue;
      }
      if (c === '|' && line[i - 1] === '>') {
        cur += c;
        i++;
        continue;
      }
      if (c === '(' && (cur.endsWith('$') || cur.endsWith('<') || cur.endsWith('>'))) cur = cur.slice(0, -1);
      push();
      i++;
      continue;
    }
    if ((c === '{' || c === '}') && /\s/.test(line[i + 1] ?? ' ') && /(^|\s|;)$/.test(cur)) {
      push();
      i++;
      continue;
    }
    cur += c;
    i++;
  }
  push();
  return parts;
}

/** Shell words of a simple command, quoting kept (split at unquoted blanks). */
function words(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i];
    if (quote) {
      cur += c;
      if (c === '\\' && quote === '"') cur += cmd[++i] ?? '';
      else if (c === quote) quote = null;
    } else if (c === '\\') {
      cur += c + (cmd[++i] ?? '');
    } else if (c === "'" || c === '"') {
      quote = c;
      cur += c;
    } else if (c === ' ' || c === '\t') {
      if (cur) out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

/**
 * The forms of one simple command a rule is tried on: unquoted, then with leading assignments and wrappers
 * (sudo -u x, env, nice -n 5, timeout 10, ...) removed, and with the program's directory dropped (/bin/rm → rm).
 * Strings given to `sh -c`, `bash -c`, `su -c` and `eval` are parsed again as command lines.
 */
function forms(cmd: string, depth: number, out: Set<string>): void {
  const w = words(cmd).map(unquote);
  if (w.length === 0) return;
  add(out, w.join(' '));
  let k = 0;
  for (let guard = 0; guard < 8 && k < w.length; guard++) {
    while (k < w.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(w[k])) k++;
    const prog = basename(w[k] ?? '');
    if (!WRAPPERS.has(prog)) break;
    k++;
    // Options of the wrapper and their values (sudo -u root, nice -n 5, timeout -s KILL 10).
    while (k < w.length && (w[k].startsWith('-') || /^\d+[smhd]?$/.test(w[k]))) {
      const opt = w[k++];
      if (/^-[ugnCDhprtsk]$/.test(opt) && k < w.length && !w[k].startsWith('-')) k++;
    }
    if (k < w.length) add(out, w.slice(k).join(' '));
  }
  if (k < w.length) {
    const rest = [basename(w[k]), ...w.slice(k + 1)].join(' ');
    add(out, rest);
    const prog = basename(w[k]);
    if (SHELLS.has(prog) && depth < MAX_DEPTH) {
      // `sh -c 'cmd'`, `su -c 'cmd' root`, `eval 'cmd'`: the string is itself a command line.
      const raw = words(cmd);
      const start = raw.findIndex((x) => basename(unquote(x)) === prog);
      const args = raw.slice(start + 1);
      const c = prog === 'eval' ? 0 : args.findIndex((a) => /^-[a-zA-Z]*c[a-zA-Z]*$/.test(unquote(a)) || unquote(a) === '--command');
      const script = prog === 'eval' ? args.map(unquote).join(' ') : c >= 0 && args[c + 1] !== undefined ? unquote(args[c + 1]) : null;
      if (script) for (const x of candidatesOf(script, depth + 1)) add(out, x);
    }
  }
}

function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i >= 0 && i < p.length - 1 ? p.slice(i + 1) : p;
}

function add(out: Set<string>, text: string): void {
  if (out.size >= MAX_CANDIDATES) return;
  const t = text.replace(/[ \t]+/g, ' ').trim();
  if (t) out.add(t.length > MAX_CANDIDATE_LENGTH ? t.slice(0, MAX_CANDIDATE_LENGTH) : t);
}

function candidatesOf(text: string, depth: number): Set<string> {
  const out = new Set<string>();
  // Line continuations join lines; every other newline (a pasted block) starts a new command line.
  const joined = text.replace(/\\\r?\n/g, '');
  // Repeated lines and commands are looked at once (a paste of many identical lines stays cheap).
  const lines = new Set(joined.split(/\r\n|\r|\n/));
  const cmds = new Set<string>();
  for (const line of lines) {
    if (out.size >= MAX_CANDIDATES) break;
    if (!line.trim()) continue;
    add(out, unquote(line));
    for (const cmd of splitCommands(line)) {
      if (cmds.has(cmd)) continue;
      cmds.add(cmd);
      forms(cmd, depth, out);
    }
  }
  return out;
}

/** Every text a rule is tried on for this command line (or pasted block), deduplicated, each at most 4 KiB. */
export function commandCandidates(text: string): string[] {
  return [...candidatesOf(text, 0)];
}
