import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql ships CommonJS and ESM builds; Pothos and yoga load the CommonJS one under Node, so
    // tests must too, or the schema's types come from "another realm".
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
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
