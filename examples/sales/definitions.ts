import { mkdir, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  defineAsset,
  defineDefinitions,
  defineSchedule,
  defineSensor,
} from '../../engine/code-location/sdk/index.js';

/**
 * Servo's example code location: a small sales pipeline. `npm start` loads it in-process; run it on
 * its own with `npx servo code-server examples/sales/definitions.ts`.
 *
 * What to watch (GraphiQL at http://localhost:4000/graphql, or GET /healthz):
 * - `every_15_seconds` ticks four times a minute and materializes the latest daily partition of the
 *   three sales assets; `cleaned_orders` fails its first attempt for days divisible by 3, so you
 *   see a failure, a retry five seconds later, and the partition turning MATERIALIZED.
 * - `inbox_files` polls a folder: drop a file into `.servo/inbox/` (or `SERVO_EXAMPLE_INBOX`) and the
 *   next poll requests a run of `inbox_snapshot` for it; the cursor moves to the newest file.
 * - `customer_signups` is a push sensor: POST `{"customer": "acme"}` to
 *   /push/sales/customer_signups and it adds the customer as a dynamic partition of
 *   `customer_profiles` and requests that partition.
 */

const INBOX = resolve(process.env.SERVO_EXAMPLE_INBOX ?? '.servo/inbox');
/**
 * Stands in for real work so runs take a moment to watch. On the virtual clock (time-skipping)
 * the work is instant: a simulated week should take seconds, not a week of pauses.
 */
const pause = (ms: number) =>
  process.env.SERVO_CLOCK === 'virtual' ? Promise.resolve() : new Promise((done) => setTimeout(done, ms));

const daily = { kind: 'time', cadence: 'daily', start: '2026-01-01', timezone: 'UTC' } as const;

const rawOrders = defineAsset({
  key: 'sales/raw_orders',
  description: 'Orders exported from the shop, one file per day.',
  partitions: daily,
  groupName: 'sales',
  async materialize(context) {
    context.log.info('exporting orders', { day: context.partitionKey });
    await pause(200);
    const day = Number(context.partitionKey?.slice(8, 10) ?? '1');
    context.addMetadata({
      rows: 1000 + day * 37,
      path: `s3://example/raw/orders/${context.partitionKey}.parquet`,
    });
  },
});

const cleanedOrders = defineAsset({
  key: 'sales/cleaned_orders',
  description:
    'Orders with test accounts and duplicates removed. Fails its first try on days divisible by 3.',
  partitions: daily,
  dependsOn: [rawOrders],
  groupName: 'sales',
  retryBackoffSeconds: 5,
  pool: 'warehouse',
  async materialize(context) {
    const day = Number(context.partitionKey?.slice(8, 10) ?? '1');
    context.log.info('loading into the warehouse', { day: context.partitionKey, attempt: context.attempt });
    if (context.attempt === 1 && day % 3 === 0) {
      throw new Error(`the warehouse timed out loading ${context.partitionKey} (it succeeds on retry)`);
    }
    await pause(300);
    context.addMetadata({ rows: 950 + day * 35, dropped_duplicates: day });
  },
});

const dailyRevenue = defineAsset({
  key: 'sales/daily_revenue',
  description: 'Revenue per day, from cleaned orders.',
  partitions: daily,
  dependsOn: [cleanedOrders],
  groupName: 'sales',
  freshnessSeconds: 3600,
  async materialize(context) {
    await context.heartbeat('summing');
    await pause(100);
    context.addMetadata({ revenue_eur: 12_345 });
  },
});

const inboxSnapshot = defineAsset({
  key: 'sales/inbox_snapshot',
  description: 'What was in the inbox folder when a new file arrived.',
  groupName: 'ingest',
  async materialize(context) {
    const files = await readdir(INBOX).catch(() => []);
    context.log.info('inbox snapshot', { files: files.length });
    context.addMetadata({ files: files.length, trigger: context.runKey });
  },
});

const customerProfiles = defineAsset({
  key: 'sales/customer_profiles',
  description: 'One profile per customer; customers are dynamic partitions added by sign-ups.',
  partitions: { kind: 'dynamic', name: 'customers' },
  groupName: 'customers',
  async materialize(context) {
    context.addMetadata({ customer: context.partitionKey ?? '' });
  },
});

export default defineDefinitions({
  codeLocation: 'sales',
  assets: [rawOrders, cleanedOrders, dailyRevenue, inboxSnapshot, customerProfiles],
  schedules: [
    defineSchedule({
      name: 'every_15_seconds',
      description:
        'Rebuilds the latest day of sales every 15 seconds (a seconds cron, to see ticks at once).',
      cronSchedule: '*/15 * * * * *',
      executionTimezone: 'UTC',
      assets: [rawOrders, cleanedOrders, dailyRevenue],
      partitionSelection: { kind: 'latestWindow' },
    }),
    defineSchedule({
      name: 'nightly_revenue',
      description: 'The daily run at 02:00 Paris time.',
      cronSchedule: '0 2 * * *',
      executionTimezone: 'Europe/Paris',
      assets: [rawOrders, cleanedOrders, dailyRevenue],
      partitionSelection: { kind: 'latestWindow' },
    }),
  ],
  sensors: [
    defineSensor({
      name: 'inbox_files',
      kind: 'poll',
      description: 'Requests a snapshot for each new file dropped into the inbox folder.',
      assets: [inboxSnapshot],
      minimumIntervalSeconds: 30,
      async evaluate({ cursor }) {
        await mkdir(INBOX, { recursive: true });
        const entries = await readdir(INBOX);
        const files: { name: string; mtime: number }[] = [];
        for (const name of entries) {
          const info = await stat(join(INBOX, name)).catch(() => undefined);
          if (info?.isFile()) files.push({ name, mtime: info.mtimeMs });
        }
        // The cursor is the newest file seen, as "mtime:name"; anything after it is new.
        const fresh = files
          .map((file) => ({
            ...file,
            position: `${String(Math.floor(file.mtime)).padStart(15, '0')}:${file.name}`,
          }))
          .filter((file) => cursor === null || file.position > cursor)
          .sort((a, b) => (a.position < b.position ? -1 : 1));
        if (fresh.length === 0) return { skipReason: `no new files in ${INBOX}` };
        return {
          runRequests: fresh.map((file) => ({
            runKey: `file:${file.name}:${Math.floor(file.mtime)}`,
            tags: { file: file.name },
          })),
          cursor: fresh[fresh.length - 1]!.position,
        };
      },
    }),
    defineSensor({
      name: 'customer_signups',
      kind: 'push',
      description: 'A message {"customer": "<name>"} adds the customer and builds their profile.',
      assets: [customerProfiles],
      onMessage(message) {
        const customer = (message.data as { customer?: unknown } | null)?.customer;
        if (typeof customer !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(customer)) {
          return { skipReason: 'the message has no valid "customer" field' };
        }
        return {
          dynamicPartitions: [{ partitionsDefName: 'customers', add: [customer] }],
          runRequests: [{ runKey: `signup:${message.messageId}`, partitionKeys: [customer] }],
        };
      },
    }),
  ],
});
