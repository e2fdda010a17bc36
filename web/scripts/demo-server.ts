// A demo Vigil API (in-process test harness, no SSH) serving the built console with sample sessions, for screenshots
// and manual checks: `npx vite build --config web/vite.config.ts && npx tsx web/scripts/demo-server.ts [port]`.
// Users: sysadmin, pamadmin, auditor, user (PAM User), owner — password "correct-horse-battery".

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHarness, RecordingControl } from '../../test/helpers/api-harness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const port = Number(process.argv[2] ?? 5178);

const h = await createHarness({ webRoot: path.join(root, 'dist/web') });
h.clock.set(Date.now() - 3 * 3600_000);

const targets = [
  ['root', 'web01', '10.20.0.11'],
  ['postgres', 'db-prod-01', '10.20.1.5'],
  ['deploy', 'app-02', '10.20.0.12'],
  ['admin', 'fw-edge', '10.20.9.1'],
  ['oracle', 'erp-db', '10.20.3.7'],
] as const;
const origins = ['192.0.2.10', '198.51.100.23', '203.0.113.7', '192.0.2.44'];

async function start(i: number) {
  const [cred, dev, ip] = targets[i % targets.length]!;
  const owner = [h.users.owner, h.users.user, h.users.pamadmin][i % 3]!;
  const live = await h.hub.start({
    user: { id: owner.id, username: owner.username },
    originIp: origins[i % origins.length]!,
    credential: { id: null, label: cred },
    device: { id: null, name: dev },
    host: `${ip}:22`,
    type: i % 7 === 6 ? 'exec' : 'shell',
    command: i % 7 === 6 ? 'systemctl status nginx' : null,
    cols: 100,
    rows: 28,
  });
  const control = new RecordingControl(live);
  live.attach(control);
  return live;
}

// 40 completed sessions over the last hours, then 3 active ones.
for (let i = 0; i < 40; i++) {
  const live = await start(i);
  live.output(Buffer.from(`Welcome to ${live.record.device}\r\n$ uptime\r\n 10:0${i % 10}:00 up 41 days\r\n$ `));
  h.clock.advance(60_000 + (i % 5) * 45_000);
  const rec = await live.end({ exitStatus: i % 9 === 4 ? 1 : 0, reason: 'exit' });
  if (i % 11 === 3) await h.store.sessions.setPreventPurge(rec.id, true);
  h.clock.advance(90_000);
}
// One recording that spans real time (the recorder timestamps with the wall clock), with an idle stretch, for the player.
{
  const live = await start(1);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  for (let i = 1; i <= 12; i++) {
    live.output(Buffer.from(`$ step ${i}\r\nresult of step ${i}: ${'#'.repeat(i * 3)}\r\n`));
    await sleep(i === 6 ? 3000 : 250);
  }
  await live.end({ exitStatus: 0, reason: 'exit' });
}

// Active sessions through the harness, which also gives them a live source for Live Stream.
const actives: Array<Awaited<ReturnType<typeof h.startSession>>['live']> = [];
for (const owner of [h.users.owner, h.users.user, h.users.owner]) actives.push((await h.startSession(owner)).live);
h.clock.advance(4 * 60_000);

// Keep the clock near real time and the first active session printing, so Live Stream shows something moving.
let n = 0;
setInterval(() => {
  h.clock.advance(1000);
  n++;
  for (const l of actives) if (!l.ended) l.output(Buffer.from(`\x1b[32m[${new Date().toISOString().slice(11, 19)}]\x1b[0m syslog: session ${l.id} line ${n}\r\n`));
}, 1000).unref();

await h.app.listen({ host: '127.0.0.1', port });
process.stdout.write(`demo console on http://127.0.0.1:${port}/\n`);
