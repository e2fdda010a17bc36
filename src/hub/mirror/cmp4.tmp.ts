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
  const lb = (B.term.buffer as any)[buf].getLine(line), lv = (V.term.buffer as any)[buf].getLine(line);
  console.log('wrapped', lb.isWrapped, lv.isWrapped);
  for (let x = 0; x < B.term.cols; x++) { const cb = lb.getCell(x), cv = lv.getCell(x); const f = (c: any) => JSON.stringify([c.getChars(), c.getWidth(), c.getFgColorMode() | c.getFgColor(), c.getBgColorMode() | c.getBgColor(), c.isBold(), c.isInverse(), c.isUnderline()]); if (f(cb) !== f(cv) || (Number(process.env.FROM) <= x && x <= Number(process.env.TO))) console.log(x, f(cb), f(cv)); }
  // find the part of data writing that line
  console.log(JSON.stringify(data).slice(0, 0));
})();
