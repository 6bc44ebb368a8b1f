import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { API_KEY_ROLES, ApiKeyFile, type ApiKeyRole, generateApiKey } from '../engine/api-keys.js';
import { EnvKeys, parseEnv, type ServoEnv } from '../engine/config/env.js';
import { isServoError } from '../engine/errors.js';
import { createHyparquetCodec } from '../engine/projections/parquet/hyparquet-codec.js';
import { Workspace } from '../engine/runtime/workspace.js';
import { createLocalTenantSecrets } from '../engine/secrets.js';
import { createLocalDiskObjectStore } from '../engine/storage/local-disk-object-store.js';

const USAGE = `usage: servo <command>

commands:
  rebuild   rebuild the projections of the local store from the ledger alone and publish them
  status    print the ledger head and projection watermarks of the local store
  code-server MODULE
            serve a code location (a module whose default export is defineDefinitions(…)) over
            HTTP for Servo to call; see docs/code-location-protocol.md for its variables
  api-key create [--tenant T] [--workspace W] [--role viewer|operator|admin] [--name TEXT]
            make an API key: prints the key once, stores only its hash in SERVO_API_KEYS_FILE
  api-key list
            list the keys in SERVO_API_KEYS_FILE (ids, grants, status; never a key)
  api-key revoke KEY_ID
            revoke a key (servers notice within a second)

The local store is SERVO_DATA_DIR (default .servo); SERVO_TENANT and SERVO_WORKSPACE pick the workspace
(and are the defaults of api-key create's --tenant and --workspace; --role defaults to viewer).`;

async function openLocalWorkspace(env: ServoEnv): Promise<Workspace> {
  // Loaded here so that commands without a workspace (api-key) start without the server's modules.
  const { clockFor } = await import('../server/embedded.js');
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

async function apiKey(env: ServoEnv, argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (env.auth.apiKeysFile === undefined) {
    process.stderr.write(
      `set ${EnvKeys.apiKeysFile} to the API key file (JSON lines; see docs/security.md)\n`,
    );
    return 1;
  }
  const file = new ApiKeyFile(env.auth.apiKeysFile);
  switch (action) {
    case 'create': {
      const { values } = parseArgs({
        args: rest,
        options: {
          tenant: { type: 'string', default: env.tenantId },
          workspace: { type: 'string', default: env.workspaceId },
          role: { type: 'string', default: 'viewer' },
          name: { type: 'string' },
        },
        strict: true,
      });
      if (!API_KEY_ROLES.includes(values.role as ApiKeyRole)) {
        process.stderr.write(`--role must be one of ${API_KEY_ROLES.join(', ')}\n`);
        return 1;
      }
      const { key, record } = generateApiKey({
        tenant: values.tenant,
        workspace: values.workspace,
        role: values.role as ApiKeyRole,
        ...(values.name === undefined ? {} : { name: values.name }),
        now: new Date(),
      });
      await file.add(record);
      process.stderr.write(
        `created API key ${record.keyId} (${record.role} of ${record.tenant}/${record.workspace}) in ${file.path}; ` +
          'the key is printed once, below: store it now, it cannot be shown again\n',
      );
      process.stdout.write(`${key}\n`);
      return 0;
    }
    case 'list': {
      const records = await file.read();
      const rows = [
        ['KEY ID', 'TENANT/WORKSPACE', 'ROLE', 'CREATED', 'STATUS', 'NAME'],
        ...records.map((record) => [
          record.keyId,
          `${record.tenant}/${record.workspace}`,
          record.role,
          record.createdAt ?? '-',
          record.revokedAt == null ? 'active' : `revoked ${record.revokedAt}`,
          record.name ?? '',
        ]),
      ];
      const widths =
        rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
      for (const row of rows) {
        process.stdout.write(
          `${row
            .map((cell, column) => cell.padEnd(widths[column] ?? 0))
            .join('  ')
            .trimEnd()}\n`,
        );
      }
      return 0;
    }
    case 'revoke': {
      const [keyId] = rest;
      if (keyId === undefined) {
        process.stderr.write('usage: servo api-key revoke KEY_ID\n');
        return 1;
      }
      const record = await file.revoke(keyId, new Date());
      process.stdout.write(`revoked API key ${record.keyId} at ${record.revokedAt}\n`);
      return 0;
    }
    default:
      process.stderr.write(`unknown api-key action "${action ?? ''}"\n${USAGE}\n`);
      return 1;
  }
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
    case 'api-key':
      return apiKey(env, argv.slice(1));
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
