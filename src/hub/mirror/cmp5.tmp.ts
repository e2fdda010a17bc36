import { readFileSync } from 'node:fs';
import { describeTerminal, diffStates, freshTerminal, writeAll } from './mirror-test-helpers.js';
import { createSerializer } from './terminal-serializer.js';
import { Utf8Stream } from './utf8-stream.js';
const f = JSON.parse(readFileSync('/tmp/fail.json', 'utf8'));
type Ev = { d: string } | { kind: 'resize'; cols: number; rows: number };
(async () => {
  const evs: Ev[] = f.events;
  // exactly as the test: viewer = snap.data + after + rest, where after/rest computed from fedAt
  const U = freshTerminal(60, 16); const du = new TextDecoder();
  for (const e of evs) { if ('d' in e) await writeAll(U.term, du.decode(Buffer.from(e.d, 'latin1'), { stream: true })); else U.term.resize(e.cols, e.rows); }
  const V = freshTerminal(f.cols, f.rows); await writeAll(V.term, f.data);
  // after: bytes from seq onward + resizes after those applied
  const applied = f.log.filter((l: any) => l[0] === 'r' && l[1] <= f.seq).length;
  console.log('applied resizes before seq', applied, 'fedAt', f.fedAt, 'resizes in log', f.log.filter((l: any) => l[0] === 'r'));
  let pos = 0, resizes = 0; const text = new Utf8Stream(f.seq);
  for (const e of evs) {
    if ('d' in e) { const b = Buffer.from(e.d, 'latin1'); const from = Math.max(0, f.seq - pos); pos += b.length; if (from < b.length) await writeAll(V.term, text.decode(b.subarray(from))); }
    else { if (resizes++ < applied) continue; V.term.resize(e.cols, e.rows); }
  }
  console.log('V vs U', diffStates(describeTerminal(V.term, V.title()), describeTerminal(U.term, U.title())).map((x) => x.slice(0, 200)));
  const V2 = freshTerminal(f.cols, f.rows); await writeAll(V2.term, f.data);
  console.log('old snapshot data vs new serialization equal?', f.data === '(n/a)');
})();
