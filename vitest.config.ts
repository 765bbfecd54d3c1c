import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Lab tests build network namespaces and run real daemons: keep files sequential
    // so two labs never compete for the two cores.
    fileParallelism: false,
    pool: 'forks',
  },
});
