import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * `npm run codegen`: `schema/print.ts` first writes `schema.graphql` (the SDL, sorted; committed,
 * so a change to the API shows in review and CI fails on drift), then GraphQL Code Generator turns
 * the operations under `e2e/` and `examples/graphql/` into typed documents for the e2e tests.
 */
const config: CodegenConfig = {
  schema: './schema.graphql',
  documents: ['e2e/**/*.graphql', 'examples/graphql/*.graphql'],
  emitLegacyCommonJSImports: false,
  ignoreNoDocuments: true,
  generates: {
    './e2e/__generated__/': {
      preset: 'client',
      config: { useTypeImports: true, enumsAsTypes: true },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
