import { readFileSync } from 'node:fs';
import { freshTerminal, writeAll } from './mirror-test-helpers.js';
import { createSerializer } from './terminal-serializer.js';
import { readInternals } from './xterm-internals.js';
const f = JSON.parse(readFileSync('/tmp/fail.json', 'utf8'));
(async () => {
  const bytes: Buffer[] = [];
  for (const e of f.events) if ('d' in e) bytes.push(Buffer.from(e.d, 'latin1'));
  const all = Buffer.concat(bytes);
  const B = freshTerminal(60, 16); const dbb = new TextDecoder(); let w = 0;
  for (const l of f.log) { if (l[0] === 'w') { if (l[1] > f.seq) break; await writeAll(B.term, dbb.decode(all.subarray(w, l[1]), { stream: true })); w = l[1]; } else B.term.resize(l[2], l[3]); }
  const data = createSerializer(B.term)(B.title());
  const i = data.indexOf('\x1b[?1047h');
  console.log(JSON.stringify(data.slice(i)));
  const st = readInternals(B.term);
  console.log(st.alt.savedX, st.alt.savedY, st.alt.x, st.alt.y, B.term.buffer.alternate.getLine(9)?.length, B.term.buffer.alternate.getLine(9)?.getCell(67)?.getChars(), B.term.buffer.alternate.getLine(10)?.isWrapped);
})();
