import { join, resolve } from 'node:path';
import { parseEnv, type ServoEnv } from '../engine/config/env.js';
import { isServoError } from '../engine/errors.js';
import { createHyparquetCodec } from '../engine/projections/parquet/hyparquet-codec.js';
import { Workspace } from '../engine/runtime/workspace.js';
import { createLocalTenantSecrets } from '../engine/secrets.js';
import { createLocalDiskObjectStore } from '../engine/storage/local-disk-object-store.js';
import { clockFor } from '../server/embedded.js';

const USAGE = `usage: servo <command>

commands:
  rebuild   rebuild the projections of the local store from the ledger alone and publish them
  status    print the ledger head and projection watermarks of the local store

The local store is SERVO_DATA_DIR (default .servo); SERVO_TENANT and SERVO_WORKSPACE pick the workspace.`;

async function openLocalWorkspace(env: ServoEnv): Promise<Workspace> {
  const dataDir = resolve(env.dataDir);
  return Workspace.open(
    { tenantId: env.tenantId, workspaceId: env.workspaceId },
    {
      store: createLocalDiskObjectStore(join(dataDir, 'store')),
      codec: createHyparquetCodec(),
      clock: clockFor(env),
      secrets: createLocalTenantSecrets(join(dataDir, 'secrets')),
      retention: env.retention,
    },
  );
}

async function rebuild(env: ServoEnv): Promise<void> {
  const workspace = await openLocalWorkspace(env);
  const started = performance.now();
  const result = await workspace.rebuild((progress) => {
    const percent =
      progress.totalSegments === 0
        ? 100
        : Math.floor((progress.segmentsFolded / progress.totalSegments) * 100);
    process.stderr.write(
      `\rfolded ${progress.segmentsFolded.toLocaleString('en-US')} / ${progress.totalSegments.toLocaleString('en-US')} segments (${percent}%), ${progress.eventsFolded.toLocaleString('en-US')} events`,
    );
  });
  process.stderr.write('\n');
  process.stdout.write(
    `rebuilt projections through segment ${result.watermark.seq} as manifest ${result.manifestId} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
}

async function status(env: ServoEnv): Promise<void> {
  const workspace = await openLocalWorkspace(env);
  process.stdout.write(`${JSON.stringify(await workspace.health(), null, 2)}\n`);
}

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 1 : 0;
  }
  const env = parseEnv(process.env);
  switch (command) {
    case 'rebuild':
      await rebuild(env);
      return 0;
    case 'status':
      await status(env);
      return 0;
    case 'code-server':
      return (await import('../server/code-server.js')).runCodeServer(argv[1], process.env);
    default:
      process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `${isServoError(error) ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
