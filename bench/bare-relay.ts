// A bare ssh2 relay, as a reference for the load and churn benches: what the SSH library alone costs on this
// machine, with none of Vigil (no database, recording, mirror, command log, limits). It terminates the user's SSH
// connection (any login accepted), connects to one fixed target with one fixed key, and relays a pty shell or an
// exec by hand (exit status kept). With `processes` > 1 it runs that many relay processes behind one port (Node's
// cluster: the primary accepts and hands each connection to a worker), to show what spreading sessions over cores
// would buy. Never part of Vigil; used only by bench/.
//
// `npx tsx bench/bare-relay.ts --target-port P --key FILE [--processes N]` prints `listening PORT`.

import cluster from 'node:cluster';
import fs from 'node:fs';
import net from 'node:net';
import { parseArgs } from 'node:util';
import ssh2, { type ClientChannel, type PseudoTtyInfo, type ServerChannel } from 'ssh2';

const { values: args } = parseArgs({
  options: {
    'target-port': { type: 'string' },
    'target-user': { type: 'string', default: 'vigiltarget' },
    key: { type: 'string' },
    processes: { type: 'string', default: '1' },
    port: { type: 'string', default: '0' },
  },
});

const processes = Number(args.processes);

if (cluster.isPrimary && processes > 1) {
  // Round-robin: the primary accepts; each worker is told the port once listening.
  cluster.schedulingPolicy = cluster.SCHED_RR;
  let port = Number(args.port);
  if (port === 0) port = await freePort();
  for (let i = 0; i < processes; i++) cluster.fork({ BARE_RELAY_PORT: String(port) });
  let ready = 0;
  cluster.on('listening', () => {
    if (++ready === processes) process.stdout.write(`listening ${port}\n`);
  });
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
    process.exit(0);
  });
} else {
  serve(Number(process.env.BARE_RELAY_PORT ?? args.port));
  // A normal exit, so that --cpu-prof writes its profile.
  process.on('SIGTERM', () => process.exit(0));
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function serve(port: number): void {
  const hostKey = ssh2.utils.generateKeyPairSync('ed25519').private;
  const targetKey = fs.readFileSync(args.key!, 'utf8');
  const server = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => ctx.accept());
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        let pty: PseudoTtyInfo | null = null;
        let target: ssh2.Client | null = null;
        let channel: ClientChannel | null = null;
        session.on('pty', (acc, _rej, info) => {
          pty = info;
          acc?.();
        });
        session.on('window-change', (acc, _rej, info) => {
          acc?.();
          channel?.setWindow(info.rows, info.cols, 0, 0);
        });
        const open = (user: ServerChannel, exec: string | null) => {
          target = new ssh2.Client();
          target.on('error', () => user.close());
          target.on('ready', () => {
            const onChannel = (err: Error | undefined, ch: ClientChannel) => {
              if (err) return void user.close();
              channel = ch;
              relay(user, ch);
            };
            if (exec !== null) target!.exec(exec, onChannel);
            else target!.shell(pty ? { term: pty.term, cols: pty.cols, rows: pty.rows } : false, onChannel);
          });
          target.connect({ host: '127.0.0.1', port: Number(args['target-port']), username: args['target-user']!, privateKey: targetKey });
          target.setNoDelay(true);
          user.on('close', () => target?.end());
        };
        session.on('shell', (acc) => open(acc(), null));
        session.on('exec', (acc, _rej, info) => open(acc(), info.command));
      });
    });
  });
  server.listen(port, '127.0.0.1', () => {
    if (!cluster.isWorker) process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
  });
}

/** Both directions by hand with backpressure; the exit status before the close. */
function relay(user: ServerChannel, target: ClientChannel): void {
  let code: number | null = null;
  target.on('exit', (c: number | null) => (code ??= c));
  target.on('data', (d: Buffer) => {
    if (!user.write(d)) target.pause();
  });
  target.stderr.on('data', (d: Buffer) => user.stderr.write(d));
  user.on('drain', () => target.resume());
  user.on('data', (d: Buffer) => {
    if (!target.write(d)) user.pause();
  });
  target.on('drain', () => user.resume());
  user.on('end', () => target.end());
  target.on('close', (c?: number | null) => {
    code ??= typeof c === 'number' ? c : null;
    if (code !== null) user.exit(code);
    user.end();
  });
}
