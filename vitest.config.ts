import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{protocols,hub,edge-agent,simulators}/{src,test}/**/*.test.ts', 'e2e/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real brokers, databases and processes: keep the 2-core machine unsaturated.
    maxWorkers: 2,
    pool: 'forks',
  },
});
