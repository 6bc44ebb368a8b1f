import { defineAsset, defineDefinitions, defineSchedule, defineSensor, NonRetryableError } from '../index.js';

/** A small code location module for tests of loading and serving definitions. */

const orders = defineAsset({
  key: 'sales/orders',
  partitions: { kind: 'time', cadence: 'daily', start: '2026-01-01' },
  heartbeatTimeoutSeconds: 60,
  async materialize(context) {
    context.log.info('copying orders', { partition: context.partitionKey });
    await context.heartbeat('halfway');
    context.addMetadata({ rows: 42 });
  },
});

const refunds = defineAsset({
  key: 'sales/refunds',
  dependsOn: [orders],
  materialize() {
    throw new NonRetryableError('the refunds export is empty');
  },
});

export default defineDefinitions({
  codeLocation: 'sales',
  assets: [orders, refunds],
  schedules: [
    defineSchedule({
      name: 'nightly',
      cronSchedule: '0 2 * * *',
      executionTimezone: 'Europe/Paris',
      assets: [orders, refunds],
      partitionSelection: { kind: 'latestWindow' },
    }),
  ],
  sensors: [
    defineSensor({
      name: 'new_files',
      kind: 'poll',
      assets: [orders],
      evaluate: ({ cursor, now }) => ({
        runRequests: [{ runKey: `file:${cursor ?? 'none'}`, partitionKeys: ['2026-01-01'] }],
        cursor: now,
      }),
    }),
    defineSensor({
      name: 'stuck',
      kind: 'poll',
      assets: [orders],
      evaluate: ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    }),
    defineSensor({
      name: 'broken',
      kind: 'poll',
      assets: [orders],
      evaluate: () => {
        throw new TypeError('cannot read the bucket listing');
      },
    }),
    defineSensor({
      name: 'orders_topic',
      kind: 'push',
      assets: [orders],
      onMessage: (message) => ({ runRequests: [{ runKey: `msg:${message.messageId}` }] }),
    }),
  ],
});
