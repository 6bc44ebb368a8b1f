import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'engine/**/*.test.ts',
      'schema/**/*.test.ts',
      'resolvers/**/*.test.ts',
      'server/**/*.test.ts',
      'workers/**/*.test.ts',
      'e2e/**/*.test.ts',
      'examples/**/*.test.ts',
      'bench/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
