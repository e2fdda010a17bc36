#!/usr/bin/env node
// Entry point of the `vigil` command: runs the compiled CLI (built by `npm install`).
import { run } from '../dist/cli/index.js';

run(process.argv).catch((err) => {
  process.stderr.write(`vigil: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
