import { readFile, writeFile } from 'node:fs/promises';
import { renderEventCatalog, renderProjectionTables, spliceGenerated } from '../engine/reference-docs.js';

/** Rewrites the generated reference sections of docs/protocol.md and docs/projections.md. */
for (const [path, render] of [
  ['docs/protocol.md', renderEventCatalog],
  ['docs/projections.md', renderProjectionTables],
] as const) {
  const document = await readFile(path, 'utf8');
  await writeFile(path, spliceGenerated(document, render()));
  process.stdout.write(`updated ${path}\n`);
}
