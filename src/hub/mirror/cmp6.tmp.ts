import { readFileSync } from 'node:fs';
import { describeTerminal, diffStates, freshTerminal, writeAll } from './mirror-test-helpers.js';
import { createSerializer } from './terminal-serializer.js';
const f = JSON.parse(readFileSync('/tmp/fail.json', 'utf8'));
(async () => {
  const evs = f.events;
  const all = Buffer.concat(evs.filter((e: any) => 'd' in e).map((e: any) => Buffer.from(e.d, 'latin1')));
  const B = freshTerminal(60, 16); const db = new TextDecoder(); let w = 0;
  for (const l of f.log) { if (l[0] === 'w') { if (l[1] > f.seq) break; await writeAll(B.term, db.decode(all.subarray(w, l[1]), { stream: true })); w = l[1]; } else if (l[1] <= f.seq) B.term.resize(l[2], l[3]); }
  const data = createSerializer(B.term)(B.title());
  console.log('same data', data === f.data, data.length, f.data.length, 'w', w, 'seq', f.seq);
  // U at seq from original chunking
  const U = freshTerminal(60, 16); const du = new TextDecoder(); let pos = 0;
  const applied = f.log.filter((l: any) => l[0] === 'r' && l[1] <= f.seq).length; let r = 0;
  for (const e of evs) { if ('d' in e) { const b = Buffer.from(e.d, 'latin1'); const take = b.subarray(0, Math.max(0, f.seq - pos)); pos += b.length; if (take.length) await writeAll(U.term, du.decode(take, { stream: true })); } else if (r++ < applied) U.term.resize(e.cols, e.rows); }
  console.log('U vs B at seq', diffStates(describeTerminal(U.term, U.title()), describeTerminal(B.term, B.title())).map((x) => x.slice(0, 300)));
  console.log(f.log);
})();
(async () => {
  await new Promise((r) => setTimeout(r, 2000));
  const evs = f.events;
  const all = Buffer.concat(evs.filter((e: any) => 'd' in e).map((e: any) => Buffer.from(e.d, 'latin1')));
  const B = freshTerminal(60, 16); const db = new TextDecoder(); let w = 0;
  for (const l of f.log) { if (l[0] === 'w') { if (l[1] > f.seq) break; await writeAll(B.term, db.decode(all.subarray(w, l[1]), { stream: true })); w = l[1]; } else if (l[1] <= f.seq) B.term.resize(l[2], l[3]); }
  const U = freshTerminal(60, 16); const du = new TextDecoder(); let pos = 0;
  const applied = f.log.filter((l: any) => l[0] === 'r' && l[1] <= f.seq).length; let r = 0;
  for (const e of evs) {
    if ('d' in e) {
      const b = Buffer.from(e.d, 'latin1'); const start = pos; pos += b.length;
      if (pos <= f.seq) { await writeAll(U.term, du.decode(b, { stream: true })); continue; }
      if (start < f.seq) { await writeAll(U.term, du.decode(b.subarray(0, f.seq - start), { stream: true })); }
      const rest = b.subarray(Math.max(0, f.seq - start));
      const t = du.decode(rest, { stream: true });
      await writeAll(U.term, t); await writeAll(B.term, db.decode(rest, { stream: true }));
      const d = diffStates(describeTerminal(U.term, U.title()), describeTerminal(B.term, B.title()));
      if (d.length) { console.log('U/B diverge after', JSON.stringify(rest.toString('latin1')), d.map((x) => x.slice(0, 300))); break; }
    } else if (r++ < applied) { U.term.resize(e.cols, e.rows); } else if (pos > f.seq || r > applied) { U.term.resize(e.cols, e.rows); B.term.resize(e.cols, e.rows); }
  }
})();
