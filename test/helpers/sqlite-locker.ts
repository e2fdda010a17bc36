// Child process: holds an exclusive write lock on a SQLite file (as a backup, a migration or a long CLI write would)
// until its stdin says "release" or closes, or HOLD_MS have passed. Prints "locked" once it holds the lock and
// "released EPOCH_MS" after COMMIT.
//   node --import tsx test/helpers/sqlite-locker.ts FILE [HOLD_MS]

import readline from 'node:readline';
import BetterSqlite3 from 'better-sqlite3';

const db = new BetterSqlite3(process.argv[2]!, { fileMustExist: true, timeout: 10_000 });
db.exec('BEGIN EXCLUSIVE');
process.stdout.write('locked\n');

let done = false;
const release = () => {
  if (done) return;
  done = true;
  db.exec('COMMIT');
  db.close();
  process.stdout.write(`released ${Date.now()}\n`);
  process.exit(0);
};
const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === 'release') release();
});
lines.on('close', release);
if (process.argv[3]) setTimeout(release, Number(process.argv[3]));
