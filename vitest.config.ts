import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Multi-process fault tests and Redis Cluster tests run apart: `npm run test:faults`, `npm run test:cluster`.
    exclude: [...configDefaults.exclude, 'test/faults/**', 'test/cluster/**'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // Files share one PostgreSQL database and one Redis database; each test owns its products and
    // a random Redis prefix, but the timing-sensitive expiry and flush tests run best one file at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
