import type { InstigationEventConnectionModel, InstigationEventModel } from '../../resolvers/backfills.js';
import { builder } from '../builder.js';

/**
 * Dagster's log lines of an instigator or a backfill (`InstigationEvent`) and their page
 * (`InstigationEventConnection`): a cursor to continue from, and whether more are waiting.
 */

export const LogLevel = builder.enumType('LogLevel', {
  values: ['CRITICAL', 'ERROR', 'INFO', 'WARNING', 'DEBUG'] as const,
});

export const InstigationEvent = builder.objectRef<InstigationEventModel>('InstigationEvent').implement({
  fields: (t) => ({
    message: t.exposeString('message'),
    timestamp: t.exposeString('timestamp', { description: 'Milliseconds since the epoch.' }),
    level: t.field({ type: LogLevel, resolve: (event) => event.level }),
  }),
});

export const InstigationEventConnection = builder
  .objectRef<InstigationEventConnectionModel>('InstigationEventConnection')
  .implement({
    fields: (t) => ({
      events: t.field({ type: [InstigationEvent], resolve: (page) => page.events }),
      cursor: t.exposeString('cursor', {
        description: 'Pass it back as `cursor` for the events after this page.',
      }),
      hasMore: t.exposeBoolean('hasMore'),
    }),
  });
