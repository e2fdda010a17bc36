import { readFileSync } from 'node:fs';
import { describeTerminal, diffStates, freshTerminal, writeAll } from './mirror-test-helpers.js';
import { Utf8Stream } from './utf8-stream.js';
const f = JSON.parse(readFileSync('/tmp/fail.json', 'utf8'));
(async () => {
  const evs = f.events;
  const U = freshTerminal(60, 16); const du = new Utf8Stream();
  const V = freshTerminal(f.cols, f.rows); await writeAll(V.term, f.data);
  const applied = f.log.filter((l: any) => l[0] === 'r' && l[1] <= f.seq).length;
  let pos = 0, resizes = 0; const dv = new Utf8Stream(f.seq);
  for (const e of evs) {
    let fedV = false;
    if ('d' in e) {
      const b = Buffer.from(e.d, 'latin1'); const start = pos; pos += b.length;
      await writeAll(U.term, du.decode(b));
      if (pos > f.seq) { await writeAll(V.term, dv.decode(b.subarray(Math.max(0, f.seq - start)))); fedV = true; }
    } else { U.term.resize(e.cols, e.rows); if (resizes++ >= applied) { V.term.resize(e.cols, e.rows); fedV = true; } }
    if (fedV || pos >= f.seq) {
      const d = diffStates(describeTerminal(V.term, V.title()), describeTerminal(U.term, U.title()));
      if (d.length) { console.log('diverge after', JSON.stringify(e).slice(0, 300), d.map((x) => x.slice(0, 300))); break; }
    }
  }
})();
