import {
  allDaemonStatuses,
  type DaemonStatusModel,
  daemonStatus,
  instanceId,
  runLauncherName,
} from '../../resolvers/instance.js';
import { builder } from '../builder.js';
import { PythonError } from './errors.js';

/**
 * Dagster's `Instance`: the deployment serving the API. Servo has no daemons; its automation parts
 * (schedules, sensors, backfills) are reported as the daemons SCHEDULER, SENSOR and BACKFILL.
 */

const DaemonStatus = builder.objectRef<DaemonStatusModel>('DaemonStatus').implement({
  description:
    "One part of Servo's automation runtime as a Dagster daemon: `required` when it has work, `healthy` when its timers are delivered on time (null when Servo cannot tell), `lastHeartbeatTime` when it last recorded a decision.",
  fields: (t) => ({
    id: t.id({ resolve: (status) => status.daemonType }),
    daemonType: t.exposeString('daemonType'),
    required: t.exposeBoolean('required'),
    healthy: t.boolean({ nullable: true, resolve: (status) => status.healthy }),
    lastHeartbeatTime: t.float({ nullable: true, resolve: (status) => status.lastHeartbeatTime }),
    lastHeartbeatErrors: t.field({ type: [PythonError], resolve: () => [] }),
  }),
});

const DaemonHealth = builder.objectRef<object>('DaemonHealth').implement({
  fields: (t) => ({
    id: t.string({ resolve: () => 'daemonHealth' }),
    daemonStatus: t.field({
      type: DaemonStatus,
      args: { daemonType: t.arg.string() },
      resolve: (_health, args, context) => daemonStatus(context, args.daemonType ?? 'SCHEDULER'),
    }),
    allDaemonStatuses: t.field({
      type: [DaemonStatus],
      resolve: (_health, _args, context) => allDaemonStatuses(context),
    }),
  }),
});

const RunLauncher = builder.objectRef<{ name: string }>('RunLauncher').implement({
  fields: (t) => ({ name: t.exposeString('name') }),
});

const Instance = builder.objectRef<object>('Instance').implement({
  fields: (t) => ({
    id: t.string({ resolve: (_instance, _args, context) => instanceId(context) }),
    info: t.string({ nullable: true, resolve: () => null }),
    hasInfo: t.boolean({ resolve: () => false }),
    runLauncher: t.field({
      type: RunLauncher,
      nullable: true,
      resolve: (_instance, _args, context) => ({ name: runLauncherName(context) }),
    }),
    runQueuingSupported: t.boolean({
      description: 'Servo queues runs until admission lets them start.',
      resolve: () => true,
    }),
    executablePath: t.string({
      description: 'Servo runs no Python executable: always empty.',
      resolve: () => '',
    }),
    daemonHealth: t.field({ type: DaemonHealth, resolve: () => ({}) }),
    autoMaterializePaused: t.boolean({
      description: 'Servo has no auto-materialization, so nothing is paused: always false.',
      resolve: () => false,
    }),
    useAutoMaterializeSensors: t.boolean({ resolve: () => false }),
  }),
});

builder.queryField('instance', (t) => t.field({ type: Instance, resolve: () => ({}) }));
