import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { type Clock, ManualClock, systemClock } from '../engine/clock.js';
import type { ServoEnv } from '../engine/config/env.js';
import type { Logger } from '../engine/logging.js';
import { createHyparquetCodec } from '../engine/projections/parquet/hyparquet-codec.js';
import { CompactionLoop } from '../engine/runtime/compaction-loop.js';
import { Workspace } from '../engine/runtime/workspace.js';
import { createLocalTenantSecrets } from '../engine/secrets.js';
import { createLocalDiskObjectStore } from '../engine/storage/local-disk-object-store.js';
import { healthReport } from './health.js';
import { createHttpServer, listen, sendJson } from './http-server.js';

export interface EmbeddedServo {
  url: string;
  workspace: Workspace;
  clock: Clock;
  stop(): Promise<void>;
}

export function clockFor(env: ServoEnv): Clock {
  if (env.clock.mode === 'virtual') return new ManualClock(env.clock.start ?? new Date());
  return systemClock;
}

/**
 * Servo in one process on local disk: the store under `SERVO_DATA_DIR`, the workspace's ledger and
 * projections, background compaction, and the HTTP server (`GET /healthz`).
 */
export async function startEmbedded(env: ServoEnv, logger: Logger): Promise<EmbeddedServo> {
  const dataDir = resolve(env.dataDir);
  const store = createLocalDiskObjectStore(join(dataDir, 'store'));
  const clock = clockFor(env);
  const workspace = await Workspace.open(
    { tenantId: env.tenantId, workspaceId: env.workspaceId },
    {
      store,
      codec: createHyparquetCodec(),
      clock,
      secrets: createLocalTenantSecrets(join(dataDir, 'secrets')),
      retention: env.retention,
    },
  );
  const compaction = new CompactionLoop(workspace, { intervalMs: env.compactionIntervalMs, logger });
  await compaction.compactNow();
  compaction.start();

  const server: Server = createHttpServer(
    [
      async (request, response) => {
        if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/healthz') return false;
        sendJson(response, 200, await healthReport(workspace, 'embedded', compaction.lastError));
        return true;
      },
    ],
    (error) => logger.error({ err: error }, 'request failed'),
  );
  const address = await listen(server, env.port, env.host);
  const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info(
    { url, dataDir, tenant: env.tenantId, workspace: env.workspaceId, clock: env.clock.mode },
    'Servo is running',
  );
  if (env.host === '127.0.0.1' || env.host === 'localhost' || env.host === '::1') {
    logger.info({}, 'embedded mode on loopback: no authentication is required');
  }

  return {
    url,
    workspace,
    clock,
    async stop() {
      await new Promise<void>((done) => server.close(() => done()));
      server.closeAllConnections();
      await compaction.stop();
    },
  };
}
