import { readFileSync } from 'node:fs';
import { describeTerminal, diffStates, freshTerminal, writeAll } from './mirror-test-helpers.js';
const f = JSON.parse(readFileSync('/tmp/fail.json', 'utf8'));
type Ev = { d: string } | { kind: 'resize'; cols: number; rows: number };
(async () => {
  const evs: Ev[] = f.events;
  // A: original chunking up to seq; B: the mirror's batches
  const bytes: Buffer[] = []; const resAt: Array<{ at: number; cols: number; rows: number }> = [];
  let pos = 0;
  for (const e of evs) { if ('d' in e) { const b = Buffer.from(e.d, 'latin1'); bytes.push(b); pos += b.length; } else resAt.push({ at: pos, cols: e.cols, rows: e.rows }); }
  const all = Buffer.concat(bytes);
  const A = freshTerminal(60, 16); const da = new TextDecoder();
  pos = 0;
  for (const e of evs) {
    if ('d' in e) { const b = Buffer.from(e.d, 'latin1'); const take = b.subarray(0, Math.max(0, f.seq - pos)); pos += b.length; await writeAll(A.term, da.decode(take, { stream: true })); }
    else if (pos < f.seq || (pos === f.seq && f.log.some((l: any) => l[0] === 'r' && l[1] === pos))) A.term.resize(e.cols, e.rows);
  }
  const B = freshTerminal(60, 16); const dbb = new TextDecoder(); let w = 0;
  for (const l of f.log) {
    if (l[0] === 'w') { if (l[1] > f.seq) break; await writeAll(B.term, dbb.decode(all.subarray(w, l[1]), { stream: true })); w = l[1]; }
    else B.term.resize(l[2], l[3]);
  }
  console.log('A vs B', diffStates(describeTerminal(A.term, A.title()), describeTerminal(B.term, B.title())).map((x) => x.slice(0, 600)));
  const V = freshTerminal(f.cols, f.rows); await writeAll(V.term, f.data);
  console.log('V vs B', diffStates(describeTerminal(V.term, V.title()), describeTerminal(B.term, B.title())).map((x) => x.slice(0, 600)));
  console.log(resAt);
})();
import { createSerializer } from './terminal-serializer.js';
(async () => {
  await new Promise((r) => setTimeout(r, 500));
  const evs: Ev[] = f.events; const bytes: Buffer[] = [];
  for (const e of evs) if ('d' in e) bytes.push(Buffer.from(e.d, 'latin1'));
  const all = Buffer.concat(bytes);
  const B = freshTerminal(60, 16); const dbb = new TextDecoder(); let w = 0;
  for (const l of f.log) { if (l[0] === 'w') { if (l[1] > f.seq) break; await writeAll(B.term, dbb.decode(all.subarray(w, l[1]), { stream: true })); w = l[1]; } else B.term.resize(l[2], l[3]); }
  const data = createSerializer(B.term)(B.title());
  const V = freshTerminal(B.term.cols, B.term.rows); await writeAll(V.term, data);
  const dv = describeTerminal(V.term, '') as any, db = describeTerminal(B.term, '') as any;
  const strip = (l: string) => l.replace(/\x1b\[[0-9;]*m1\[\]/g, '.').replace(/\x1b\[[0-9;]*m\d\[(.*?)\]/g, '$1');
  console.log('B alt:'); db.alternate.lines.forEach((l: string, i: number) => console.log(i, strip(l)));
  console.log('V alt:'); dv.alternate.lines.forEach((l: string, i: number) => console.log(i, strip(l)));
  console.log(db.alternate.baseY, db.alternate.length, dv.alternate.baseY, dv.alternate.length, db.cursor, dv.cursor);
})();
