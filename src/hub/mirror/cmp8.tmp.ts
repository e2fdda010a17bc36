import { readFileSync } from 'node:fs';
import { freshTerminal, writeAll } from './mirror-test-helpers.js';
const f = JSON.parse(readFileSync('/tmp/fail.json', 'utf8'));
(async () => {
  const U = freshTerminal(60, 16); const du = new TextDecoder();
  const broken = (): string | null => { for (const name of ['normal', 'alternate'] as const) { const b = U.term.buffer[name]; for (let y = 0; y < b.length; y++) { const l = b.getLine(y)!; for (let x = 0; x + 1 < U.term.cols; x++) { if (l.getCell(x)!.getWidth() === 2 && l.getCell(x + 1)!.getWidth() !== 0) return `${name} ${y} ${x}`; } } } return null; };
  let i = 0;
  for (const e of f.events) {
    const before = broken();
    if ('d' in e) await writeAll(U.term, du.decode(Buffer.from(e.d, 'latin1'), { stream: true })); else U.term.resize(e.cols, e.rows);
    const after = broken();
    if (!before && after) { console.log('broken after event', i, JSON.stringify(e).slice(0, 200), after, U.term.cols); break; }
    i++;
  }
})();
(async () => {
  await new Promise((r) => setTimeout(r, 1500));
  const U = freshTerminal(60, 16); const du = new TextDecoder();
  const broken = (): boolean => { const b = U.term.buffer.normal; for (let y = 0; y < b.length; y++) { const l = b.getLine(y)!; for (let x = 0; x + 1 < U.term.cols; x++) if (l.getCell(x)!.getWidth() === 2 && l.getCell(x + 1)!.getWidth() !== 0) return true; } return false; };
  const evs = f.events;
  for (let i = 0; i < 161; i++) { const e = evs[i]; if ('d' in e) await writeAll(U.term, du.decode(Buffer.from(e.d, 'latin1'), { stream: true })); else U.term.resize(e.cols, e.rows); }
  console.log('modes', JSON.stringify(U.term.modes), 'cursor', U.term.buffer.active.cursorX, U.term.buffer.active.cursorY, U.term.buffer.active.type);
  const b = Buffer.from(evs[161].d, 'latin1');
  for (let k = 0; k < b.length; k++) { await writeAll(U.term, du.decode(b.subarray(k, k + 1), { stream: true })); if (broken()) { console.log('broken at byte', k, JSON.stringify(b.subarray(0, k + 1).toString('latin1')), 'cursor', U.term.buffer.active.cursorX); break; } }
})();
