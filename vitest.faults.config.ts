import { defineConfig } from 'vitest/config';

// The multi-process fault tests: each starts its own redis-server, database and service processes,
// so they run one at a time and apart from `npm test`.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    fileParallelism: false,
    // Each run's figures are test annotations; the verbose reporter prints them under each test.
    reporters: ['verbose'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
