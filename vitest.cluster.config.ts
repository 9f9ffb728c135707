import { defineConfig } from 'vitest/config';

// Tests on a real Redis Cluster: each file starts its own cluster of redis-server processes on
// free ports (and service processes beside it), so they run one at a time and apart from `npm test`.
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    fileParallelism: false,
    // Each run's figures are test annotations; the verbose reporter prints them under each test.
    reporters: ['verbose'],
    testTimeout: 300_000,
    hookTimeout: 90_000,
  },
});
