import { writeFile } from 'node:fs/promises';
import { printServoSchema } from './index.js';

/** `npm run codegen` step 1: writes the schema's SDL to `schema.graphql` at the repository root. */
await writeFile(new URL('../schema.graphql', import.meta.url), printServoSchema());
