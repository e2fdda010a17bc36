// Replays a dumped failure: mirror state B at seq (by its batches), viewer V from a fresh serialization, then both follow the rest.
import { readFileSync } from 'node:fs';
import { describeTerminal, diffStates, freshTerminal, writeAll } from './mirror-test-helpers.js';
import { createSerializer } from './terminal-serializer.js';
import { readInternals, charsetDesignator } from './xterm-internals.js';
const f = JSON.parse(readFileSync('/tmp/fail.json', 'utf8'));
type Ev = { d: string } | { kind: 'resize'; cols: number; rows: number };
(async () => {
  const evs: Ev[] = f.events;
  const all = Buffer.concat(evs.filter((e): e is { d: string } => 'd' in e).map((e) => Buffer.from(e.d, 'latin1')));
  const B = freshTerminal(60, 16); const db = new TextDecoder(); let w = 0;
  for (const l of f.log) { if (l[0] === 'w') { if (l[1] > f.seq) break; await writeAll(B.term, db.decode(all.subarray(w, l[1]), { stream: true })); w = l[1]; } else if (l[1] <= f.seq) B.term.resize(l[2], l[3]); }
  if (w !== f.seq) console.log('WARN w', w, f.seq);
  const data = createSerializer(B.term)(B.title());
  const V = freshTerminal(B.term.cols, B.term.rows); await writeAll(V.term, data);
  let d = diffStates(describeTerminal(V.term, V.title()), describeTerminal(B.term, B.title()));
  console.log('at snapshot', d.map((x) => x.slice(0, Number(process.env.W ?? 300))));
  for (const [n, t] of [['B', B.term], ['V', V.term]] as const) { const st = readInternals(t); const ds = (c: any) => c === undefined ? '-' : charsetDesignator(c); console.log(n, t.buffer.active.type, 'charset', ds(st.charset), st.charsets.map(ds), 'gl', st.glevel, 'nsaved', ds(st.normal.savedCharset), 'asaved', ds(st.alt.savedCharset)); }
  if (process.env.SNAP) { const dump = (t: any, name: string) => { const b = t.buffer[process.env.BUF ?? "alternate"]; console.log(name, t.cols, t.rows, b.type, b.baseY, b.length, b.cursorX, b.cursorY); for (let y = 0; y < b.length; y++) { const l = b.getLine(y); console.log(y, l.isWrapped ? 'W' : ' ', l.length, JSON.stringify(l.translateToString(false))); } }; dump(B.term, 'B'); dump(V.term, 'V'); console.log(JSON.stringify(data.slice(data.indexOf('\x1b[?1047h'), data.indexOf('\x1b[?1047h') + 300))); }
  // rest: resizes after snapshot = all resizes minus those applied in log before seq
  const applied = f.log.filter((l: any) => l[0] === 'r' && l[1] <= f.seq).length;
  let pos = 0, resizes = 0; const dv = new TextDecoder();
  for (const e of evs) {
    if ('d' in e) {
      const b = Buffer.from(e.d, 'latin1'); const from = Math.max(0, f.seq - pos); pos += b.length;
      if (from >= b.length) continue;
      const t = dv.decode(b.subarray(from), { stream: true });
      await writeAll(B.term, t); await writeAll(V.term, t);
    } else {
      if (resizes++ < applied) continue;
      const dump = (t: any, name: string) => { const b = t.buffer.normal; console.log(name, t.cols, t.rows, b.type, b.baseY, b.length, b.cursorX, b.cursorY); for (let y = 0; y < b.length; y++) { const l = b.getLine(y); const il = (l as any)._line; console.log(y, l.isWrapped ? 'W' : ' ', l.length, JSON.stringify(l.translateToString(false)), il?._data?.length); } };
      if (process.env.SHOW) { dump(B.term, 'B'); dump(V.term, 'V'); }
      B.term.resize(e.cols, e.rows); V.term.resize(e.cols, e.rows);
      if (process.env.SHOW) { dump(B.term, 'B after'); dump(V.term, 'V after'); }
    }
    d = diffStates(describeTerminal(V.term, V.title()), describeTerminal(B.term, B.title()));
    if (d.length) { console.log('diverged after', JSON.stringify(e), d.map((x) => x.slice(0, 300))); break; }
  }
})();
(async () => {
  await new Promise((r) => setTimeout(r, 3000));
  const evs: Ev[] = f.events;
  const U = freshTerminal(60, 16); const du = new TextDecoder();
  const U2 = freshTerminal(60, 16); const du2 = new TextDecoder();
  for (const e of evs) {
    if ('d' in e) { U.term.write(du.decode(Buffer.from(e.d, 'latin1'), { stream: true })); await writeAll(U2.term, du2.decode(Buffer.from(e.d, 'latin1'), { stream: true })); }
    else { await writeAll(U.term, ''); U.term.resize(e.cols, e.rows); U2.term.resize(e.cols, e.rows); }
  }
  await writeAll(U.term, '');
  console.log('U vs U2 (queued vs awaited writes)', diffStates(describeTerminal(U.term, U.title()), describeTerminal(U2.term, U2.title())).map((x) => x.slice(0, 200)));
})();
