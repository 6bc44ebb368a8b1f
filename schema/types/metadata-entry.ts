import { builder } from '../builder.js';

/**
 * Dagster's `MetadataEntry` interface: labelled metadata on a definition. Servo's schedule, sensor
 * and asset definitions carry tags but no metadata entries, so `metadataEntries` fields return an
 * empty list; no object type implements the interface yet.
 */
export const MetadataEntry = builder.interfaceRef<{ label: string; description: string | null }>(
  'MetadataEntry',
);

MetadataEntry.implement({
  fields: (t) => ({
    label: t.exposeString('label'),
    description: t.exposeString('description', { nullable: true }),
  }),
});
