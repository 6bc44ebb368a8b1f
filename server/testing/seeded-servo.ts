import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { launchBackfill } from '../../engine/commands/backfills.js';
import { requestRun } from '../../engine/commands/runs.js';
import { setScheduleStatus } from '../../engine/commands/schedules.js';
import { parseEnv } from '../../engine/config/env.js';
import { type EmbeddedServo, startEmbedded } from '../embedded.js';

/** The virtual time a seeded server starts at. */
export const SEED_START = '2026-11-20T00:00:00.000Z';

export interface GraphqlResponse<T = Record<string, unknown>> {
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export interface SeededServo {
  readonly url: string;
  readonly servo: EmbeddedServo;
  readonly dataDir: string;
  /** Posts a GraphQL operation to the server over HTTP. */
  graphql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphqlResponse<T>>;
  /** Moves the virtual clock and waits for everything that falls due. */
  advance(seconds: number): Promise<void>;
  stop(): Promise<void>;
}

export interface SeededServoOptions {
  /** Seed the example data (default true); false starts with the example deployed and nothing run. */
  seed?: boolean;
  /** Extra environment for the embedded server. */
  env?: Record<string, string>;
}

/**
 * An embedded Servo for API tests: a fresh data directory, the example code location, the virtual
 * clock at `SEED_START`, and (unless `seed: false`) a known history made through the same paths a
 * user's would take — schedule ticks and their runs (some failing once and retried), a file seen
 * by the inbox sensor, a push message adding a dynamic partition, a backfill over six days, a
 * stopped schedule, and a manual run.
 */
export async function startSeededServo(options: SeededServoOptions = {}): Promise<SeededServo> {
  const dataDir = await mkdtemp(join(tmpdir(), 'servo-seeded-'));
  const inbox = join(dataDir, 'inbox');
  await mkdir(inbox, { recursive: true });
  // The example's simulated work is instant on the virtual clock.
  process.env.SERVO_CLOCK = 'virtual';
  process.env.SERVO_EXAMPLE_INBOX = inbox;
  const env = parseEnv({
    PORT: '0',
    SERVO_HOST: '127.0.0.1',
    SERVO_DATA_DIR: dataDir,
    SERVO_CLOCK: 'virtual',
    SERVO_CLOCK_START: SEED_START,
    SERVO_LOG_LEVEL: 'warn',
    SERVO_EXAMPLE_INBOX: inbox,
    ...options.env,
  });
  // The example fails some attempts on purpose; tests stay quiet unless asked (SERVO_TEST_LOG_LEVEL).
  const servo = await startEmbedded(env, pino({ level: process.env.SERVO_TEST_LOG_LEVEL ?? 'silent' }));
  const url = servo.url;

  const graphql = async <T>(
    query: string,
    variables?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<GraphqlResponse<T>> => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphqlResponse<T>;
  };
  const advance = async (seconds: number): Promise<void> => {
    const result = await graphql<{ advanceClock: { __typename: string } }>(
      'mutation Advance($seconds: Int!) { advanceClock(seconds: $seconds) { __typename } }',
      { seconds },
    );
    if (result.data?.advanceClock.__typename !== 'ClockAdvanced') {
      throw new Error(`advanceClock failed: ${JSON.stringify(result)}`);
    }
  };

  if (options.seed !== false) {
    const automation = servo.automation;
    // Four ticks of every_15_seconds, each a run of the three daily assets.
    await advance(60);
    // A file for the inbox sensor (polled every 30 s).
    await writeFile(join(inbox, 'orders-2026-11-19.csv'), 'id,amount\n1,10\n');
    await advance(30);
    // A push message: a new customer (dynamic partition) and their profile's run.
    const push = await fetch(`${url}/push/sales/customer_signups`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-message-id': 'seed-signup-1' },
      body: JSON.stringify({ customer: 'acme' }),
    });
    if (!push.ok) throw new Error(`push failed: ${push.status} ${await push.text()}`);
    // A backfill over six days: the 3rd and 6th fail once in cleaned_orders and are retried.
    await launchBackfill(
      automation,
      {
        assetSelection: ['sales/raw_orders', 'sales/cleaned_orders', 'sales/daily_revenue'],
        selector: { kind: 'range', start: '2026-11-01', end: '2026-11-06' },
        chunkSize: 2,
        title: 'Seed backfill',
        requestId: 'seed-backfill-1',
      },
      'seed',
    );
    await setScheduleStatus(automation, 'sales:nightly_revenue', 'STOPPED', 'seed', 'seed-stop-nightly');
    await advance(60);
    // A manual run.
    await requestRun(
      automation,
      {
        assetSelection: ['sales/raw_orders'],
        partitionKeys: ['2026-11-18'],
        runKey: 'seed-manual-1',
      },
      'seed',
    );
    await advance(15);
  }

  return {
    url,
    servo,
    dataDir,
    graphql,
    advance,
    async stop() {
      await servo.stop();
      // Retried: a directory emptied while a late write lands in it reports ENOTEMPTY once.
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    },
  };
}
