// Runs the `vigil` CLI from source (tests spawn `node --import tsx test/helpers/vigil-main.ts ARGS...`).

import { run } from '../../src/cli/index.js';

run(process.argv).catch((err: unknown) => {
  process.stderr.write(`vigil: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
