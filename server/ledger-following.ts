import type { Automation } from '../engine/automation/automation.js';
import type { ServoEnv } from '../engine/config/env.js';
import { segmentKey } from '../engine/ledger/ledger.js';
import type { Logger } from '../engine/logging.js';
import { LedgerFollower } from '../engine/runtime/ledger-follower.js';
import type { Storage } from './adapters.js';

/**
 * A follower for one workspace of this process: it folds the segments other processes append, so
 * the workspace's change feed (and every subscription on it) reports them, and — where this process
 * runs the reactors — wakes them. On local disk it also watches the ledger's folder, so a change is
 * noticed within milliseconds rather than at the next poll.
 */
export function followLedger(options: {
  automation: Automation;
  /** Whether to wake the reactors after folding (processes that run them). */
  react: boolean;
  env: ServoEnv;
  storage: Pick<Storage, 'watch'>;
  logger: Logger;
}): LedgerFollower {
  const { automation, storage } = options;
  const workspace = automation.workspace;
  const segments = segmentKey(workspace.scope, 1);
  const prefix = segments.slice(0, segments.lastIndexOf('/') + 1);
  const watch = storage.watch;
  return new LedgerFollower({
    sync: async () => {
      const folded = await workspace.sync();
      if (folded > 0 && options.react) automation.kick();
      return folded;
    },
    minIntervalMs: options.env.distributed.follow.minIntervalMs,
    maxIntervalMs: options.env.distributed.follow.maxIntervalMs,
    ...(watch === undefined ? {} : { watch: (wake: () => void) => watch(prefix, wake) }),
    logger: options.logger.child({ follower: `${workspace.scope.tenantId}/${workspace.scope.workspaceId}` }),
  });
}
