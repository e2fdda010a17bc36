import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startSshd } from '../test/helpers/sshd.js';
import { openSeeder, userKeyPair } from '../test/helpers/seed.js';
import { newDataDir, startVigilProcess } from '../test/helpers/vigil.js';

const sshd = await startSshd();
const dataDir = newDataDir();
const keys = userKeyPair('bench');
const aliceKey = path.join(dataDir, 'alice_key');
fs.writeFileSync(aliceKey, keys.privateKey, { mode: 0o600 });
const seeder = await openSeeder(dataDir);
await seeder.users.addUser({ username: 'alice', publicKey: keys.publicKey, roles: ['PAM User'] }, 'bench');
await seeder.vault.addDevice({ name: 'web01', host: '127.0.0.1', port: sshd.port, hostKey: sshd.hostKeyLine, trustOnFirstUse: false }, 'bench');
await seeder.vault.addCredential(`${sshd.user}@web01`, { privateKey: sshd.privateKey }, 'bench');
await seeder.vault.addGrant('alice', `${sshd.user}@web01`, {}, 'bench');
await seeder.close();
const vigil = await startVigilProcess({ dataDir, env: { VIGIL_LOG_LEVEL: 'info', }, nodeArgs: process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/dbg'] : [] });
const cmd = process.argv[2] ?? 'head -c 10000000 /dev/urandom';
const args = ['-F', '/dev/null', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-i', aliceKey, '-p', String(vigil.sshPort), '-T', `alice[${sshd.user}@web01]@127.0.0.1`, cmd];
const cpu = () => { const f = fs.readFileSync(`/proc/${vigil.child.pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
for (let i = 0; i < Number(process.env.N ?? 1); i++) {
const c0 = cpu();
const t0 = Date.now();
const child = spawn('sh', ['-c', `ssh ${args.map((a) => `'${a}'`).join(' ')} | wc -c`], { stdio: 'inherit' });
const timer = setTimeout(() => { console.log('TIMEOUT'); child.kill(); }, 30000);
await new Promise((r) => child.on('close', r));
clearTimeout(timer);
console.log('elapsed', Date.now() - t0, 'vigil cpu s', (cpu() - c0).toFixed(2));
}
await vigil.stop();
fs.writeFileSync('/tmp/dbg/vigil.log', vigil.stdout());
await sshd.stop();
