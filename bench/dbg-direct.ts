import { execSync } from 'node:child_process';
import { startSshd } from '../test/helpers/sshd.js';
const s = await startSshd();
const cmd = `yes 'the quick brown fox jumps over the lazy dog 0123456789 ABCDEFGHIJ' | head -c 200000000`;
for (let i = 0; i < 2; i++) {
  const t0 = Date.now();
  execSync(`ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes -i ${s.privateKeyPath} -p ${s.port} -T ${s.user}@127.0.0.1 "${cmd}" | wc -c`, { stdio: 'inherit' });
  console.log('direct elapsed', Date.now() - t0);
}
const t0 = Date.now();
execSync(`${cmd} | wc -c`, { stdio: 'inherit', shell: '/bin/bash' });
console.log('local elapsed', Date.now() - t0);
await s.stop();
