// Test gate for system tools: a missing tool fails the run in CI and skips the test on a developer's machine.

import { execFileSync } from 'node:child_process';

/** Absolute path of a tool on PATH, or null. */
export function findTool(name: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${JSON.stringify(name)}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** The tools missing from this machine. In CI (CI=true) a missing tool throws, so a green run never hides a skip. */
export function missingTools(...names: string[]): string[] {
  const missing = names.filter((n) => !findTool(n));
  if (missing.length > 0 && process.env.CI === 'true') throw new Error(`required tools missing in CI: ${missing.join(', ')}`);
  return missing;
}

/** For `describe.skipIf(...)`: true when a tool is missing outside CI (and throws in CI). */
export function requireTool(...names: string[]): boolean {
  const missing = missingTools(...names);
  if (missing.length > 0) console.warn(`skipping: missing ${missing.join(', ')}`);
  return missing.length > 0;
}
