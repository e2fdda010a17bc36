import { readFileSync } from 'node:fs';
import { describeTerminal, freshTerminal, writeAll } from './mirror-test-helpers.js';
import { createSerializer } from './terminal-serializer.js';
const f = JSON.parse(readFileSync('/tmp/fail.json', 'utf8'));
(async () => {
  const all = Buffer.concat(f.events.filter((e: any) => 'd' in e).map((e: any) => Buffer.from(e.d, 'latin1')));
  const B = freshTerminal(60, 16); const db = new TextDecoder(); let w = 0;
  for (const l of f.log) { if (l[0] === 'w') { if (l[1] > f.seq) break; await writeAll(B.term, db.decode(all.subarray(w, l[1]), { stream: true })); w = l[1]; } else if (l[1] <= f.seq) B.term.resize(l[2], l[3]); }
  const data = createSerializer(B.term)(B.title());
  const V = freshTerminal(B.term.cols, B.term.rows); await writeAll(V.term, data);
  const buf = process.env.BUF ?? 'normal'; const line = Number(process.env.LINE);
  const dv = describeTerminal(V.term, '') as any, dB = describeTerminal(B.term, '') as any;
  const split = (s: string) => s.match(/(↩)?\x1b\[[0-9;]*m\d\[[^\]]*\]/g) ?? [];
  const a = split(dB[buf].lines[line]), b = split(dv[buf].lines[line]);
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) console.log(i, JSON.stringify(a[i]), JSON.stringify(b[i]));
  // find the part of data writing that line
  console.log(JSON.stringify(data).slice(0, 0));
})();
