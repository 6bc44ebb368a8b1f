import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { renderEventCatalog, renderProjectionTables, spliceGenerated } from './reference-docs.js';

describe('reference docs', () => {
  it('docs/protocol.md documents exactly the current event catalog (run npm run docs:generate)', async () => {
    const document = await readFile('docs/protocol.md', 'utf8');
    expect(document).toBe(spliceGenerated(document, renderEventCatalog()));
  });

  it('docs/projections.md documents exactly the current projection tables (run npm run docs:generate)', async () => {
    const document = await readFile('docs/projections.md', 'utf8');
    expect(document).toBe(spliceGenerated(document, renderProjectionTables()));
  });
});
