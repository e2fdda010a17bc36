import { readFileSync } from 'node:fs';
import { TerminalMirror } from './terminal-mirror.js';
import { describeTerminal, diffStates, freshTerminal, writeAll } from './mirror-test-helpers.js';

type Ev = { d: string } | { kind: 'resize'; cols: number; rows: number };
const evs: Ev[] = JSON.parse(readFileSync(process.argv[2] ?? '/tmp/fail.json', 'utf8'));
// tokens: split data into escape sequences / single chars
const tokRe = /\x1b\[[0-?]*[ -\/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[ -\/]*[0-~]|[\s\S]/g;
let toks: Ev[] = [];
for (const e of evs) {
  if ('d' in e) for (const m of e.d.match(tokRe) ?? []) toks.push({ d: m });
  else toks.push(e);
}
async function diff(ts: Ev[]): Promise<string[]> {
  const m = new TerminalMirror({ cols: 60, rows: 16 });
  for (const t of ts) {
    if ('d' in t) m.output(Buffer.from(t.d, 'latin1'));
    else m.resize(t.cols, t.rows);
  }
  const s = await m.snapshot();
  const u = freshTerminal(60, 16);
  const dec = new TextDecoder();
  let pos = 0;
  for (const t of ts) {
    if ('d' in t) { const b = Buffer.from(t.d, 'latin1').subarray(0, Math.max(0, s.seq - pos)); pos += Buffer.from(t.d, 'latin1').length; await writeAll(u.term, dec.decode(b, { stream: true })); }
    else if (pos <= s.seq) u.term.resize(t.cols, t.rows);
  }
  const v = freshTerminal(s.cols, s.rows); await writeAll(v.term, s.data);
  const d = diffStates(describeTerminal(v.term, v.title()), describeTerminal(u.term, u.title()));
  m.dispose(); u.term.dispose(); v.term.dispose();
  return d;
}
(async () => {
  console.log('initial', (await diff(toks)).length, toks.length);
  let n = 2;
  while (toks.length >= 2) {
    const size = Math.ceil(toks.length / n);
    let reduced = false;
    for (let i = 0; i < toks.length; i += size) {
      const cand = [...toks.slice(0, i), ...toks.slice(i + size)];
      if ((await diff(cand)).length) { toks = cand; n = Math.max(n - 1, 2); reduced = true; break; }
    }
    if (!reduced) { if (n >= toks.length) break; n = Math.min(toks.length, n * 2); }
  }
  console.log(JSON.stringify(toks));
  console.log((await diff(toks)).map((l) => l.slice(0, 400)));
  const m = new TerminalMirror({ cols: 60, rows: 16 });
  for (const t of toks) if ('d' in t) m.output(Buffer.from(t.d, 'latin1')); else m.resize(t.cols, t.rows);
  console.log(JSON.stringify((await m.snapshot()).data));
})();
