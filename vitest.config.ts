// Test projects: unit tests beside the code and end-to-end tests under test/; add a project here for web/.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      'web/vitest.config.ts',
      {
        extends: true,
        test: { name: 'unit', include: ['src/**/*.test.ts'], exclude: ['web/**', 'node_modules/**'] },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          // Each e2e file starts its own sshd and Vigil; they run one at a time so that timing-sensitive checks are not starved on 2 cores.
          fileParallelism: false,
          // Known flake under load (see the closing note): an exec's exit status sometimes reaches the client as 255.
          // A retry keeps CI meaningful while it is being fixed; a real regression fails all three tries.
          retry: 2,
        },
      },
    ],
  },
});
