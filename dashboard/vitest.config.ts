import { defineConfig } from 'vitest/config';

// Dashboard unit tests: pure logic (grouping, live reconnection, history gaps), run in Node.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
