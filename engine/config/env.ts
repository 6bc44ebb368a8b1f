import { z } from 'zod';
import { ErrorCode, ServoError } from '../errors.js';
import { SCOPE_ID_PATTERN } from '../model/common.js';

/**
 * Every environment variable Servo reads, parsed in one place. Processes call `parseEnv(process.env)`
 * once at start-up; every problem is reported at once. docs/configuration.md lists them all.
 */
export const EnvKeys = {
  port: 'PORT',
  host: 'SERVO_HOST',
  dataDir: 'SERVO_DATA_DIR',
  tenant: 'SERVO_TENANT',
  workspace: 'SERVO_WORKSPACE',
  clock: 'SERVO_CLOCK',
  clockStart: 'SERVO_CLOCK_START',
  logLevel: 'SERVO_LOG_LEVEL',
  compactionIntervalMs: 'SERVO_COMPACTION_INTERVAL_MS',
  tenantSecrets: 'SERVO_TENANT_SECRETS',
  retentionTickDays: 'SERVO_RETENTION_TICK_DAYS',
  retentionSensorEvalDays: 'SERVO_RETENTION_SENSOR_EVAL_DAYS',
  retentionConflictDays: 'SERVO_RETENTION_CONFLICT_DAYS',
  retentionIdempotencyKeyDays: 'SERVO_RETENTION_IDEMPOTENCY_KEY_DAYS',
  retentionTerminalRunDays: 'SERVO_RETENTION_TERMINAL_RUN_DAYS',
  codeLocations: 'SERVO_CODE_LOCATIONS',
  publicUrl: 'SERVO_PUBLIC_URL',
  admission: 'SERVO_ADMISSION',
  antiEntropyIntervalMs: 'SERVO_ANTI_ENTROPY_INTERVAL_MS',
} as const;

/** A code location embedded mode loads: a module in process, or a `servo code-server` over HTTP. */
export const CodeLocationConfig = z.union([
  z.strictObject({ module: z.string().min(1) }),
  z.strictObject({
    name: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/),
    url: z.string().url(),
    secret: z.string().min(16).optional(),
  }),
]);
export type CodeLocationConfig = z.infer<typeof CodeLocationConfig>;

function jsonOf<T extends z.ZodType>(schema: T, what: string) {
  return z
    .string()
    .optional()
    .transform((value, context): z.infer<T> | undefined => {
      if (value === undefined) return undefined;
      try {
        return schema.parse(JSON.parse(value));
      } catch (error) {
        context.addIssue({
          code: 'custom',
          message: `must be ${what}: ${error instanceof Error ? error.message.slice(0, 300) : ''}`,
        });
        return z.NEVER;
      }
    });
}

const scopeId = z.string().regex(SCOPE_ID_PATTERN, `must match ${SCOPE_ID_PATTERN}`);
const days = z.coerce.number().int().min(0).max(36_500);

const EnvSchema = z.object({
  [EnvKeys.port]: z.coerce.number().int().min(0).max(65_535).default(4000),
  [EnvKeys.host]: z.string().min(1).default('127.0.0.1'),
  [EnvKeys.dataDir]: z.string().min(1).default('.servo'),
  [EnvKeys.tenant]: scopeId.default('default'),
  [EnvKeys.workspace]: scopeId.default('default'),
  [EnvKeys.clock]: z.enum(['real', 'virtual']).default('real'),
  [EnvKeys.clockStart]: z.iso.datetime({ offset: true }).optional(),
  [EnvKeys.logLevel]: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  [EnvKeys.compactionIntervalMs]: z.coerce.number().int().min(10).max(3_600_000).default(1000),
  [EnvKeys.tenantSecrets]: z
    .string()
    .optional()
    .transform((value, context) => {
      if (value === undefined) return undefined;
      try {
        const parsed = z.record(scopeId, z.string().min(1)).parse(JSON.parse(value));
        return parsed;
      } catch {
        context.addIssue({ code: 'custom', message: 'must be a JSON object of tenant id → base64 secret' });
        return z.NEVER;
      }
    }),
  [EnvKeys.retentionTickDays]: days.default(90),
  [EnvKeys.retentionSensorEvalDays]: days.default(30),
  [EnvKeys.retentionConflictDays]: days.default(365),
  [EnvKeys.retentionIdempotencyKeyDays]: days.default(30),
  [EnvKeys.retentionTerminalRunDays]: days.default(90),
  [EnvKeys.codeLocations]: jsonOf(
    z.array(CodeLocationConfig).max(100),
    'a JSON array of {"module": path} or {"name", "url", "secret"?}',
  ),
  [EnvKeys.publicUrl]: z.string().url().optional(),
  [EnvKeys.admission]: jsonOf(z.record(z.string(), z.unknown()), 'a JSON object (see docs/admission.md)'),
  [EnvKeys.antiEntropyIntervalMs]: z.coerce.number().int().min(1000).max(86_400_000).default(60_000),
});

export interface ServoEnv {
  port: number;
  host: string;
  dataDir: string;
  tenantId: string;
  workspaceId: string;
  clock: { mode: 'real' | 'virtual'; start: Date | undefined };
  logLevel: string;
  compactionIntervalMs: number;
  tenantSecrets: Record<string, string> | undefined;
  /** Code locations embedded mode loads (default: the example in examples/sales). */
  codeLocations: CodeLocationConfig[];
  /** Base URL code locations use to reach this process; default: the address it listens on. */
  publicUrl: string | undefined;
  admission: Record<string, unknown>;
  antiEntropyIntervalMs: number;
  retention: {
    tickDays: number;
    sensorEvalDays: number;
    conflictDays: number;
    idempotencyKeyDays: number;
    terminalRunDays: number;
    firedTimerDays: number;
  };
}

/** Parses and validates the environment. Throws one `ServoError` (code CONFIG) listing every problem. */
export function parseEnv(env: Record<string, string | undefined>): ServoEnv {
  const cleaned: Record<string, string> = {};
  for (const key of Object.values(EnvKeys)) {
    const value = env[key];
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ServoError(ErrorCode.Config, `invalid configuration:\n  ${problems.join('\n  ')}`, {
      details: { problems },
    });
  }
  const v = parsed.data;
  return {
    port: v[EnvKeys.port],
    host: v[EnvKeys.host],
    dataDir: v[EnvKeys.dataDir],
    tenantId: v[EnvKeys.tenant],
    workspaceId: v[EnvKeys.workspace],
    clock: { mode: v[EnvKeys.clock], start: parseOptionalDate(v[EnvKeys.clockStart]) },
    logLevel: v[EnvKeys.logLevel],
    compactionIntervalMs: v[EnvKeys.compactionIntervalMs],
    tenantSecrets: v[EnvKeys.tenantSecrets],
    codeLocations: v[EnvKeys.codeLocations] ?? [{ module: 'examples/sales/definitions.ts' }],
    publicUrl: v[EnvKeys.publicUrl],
    admission: v[EnvKeys.admission] ?? {},
    antiEntropyIntervalMs: v[EnvKeys.antiEntropyIntervalMs],
    retention: {
      tickDays: v[EnvKeys.retentionTickDays],
      sensorEvalDays: v[EnvKeys.retentionSensorEvalDays],
      conflictDays: v[EnvKeys.retentionConflictDays],
      idempotencyKeyDays: v[EnvKeys.retentionIdempotencyKeyDays],
      terminalRunDays: v[EnvKeys.retentionTerminalRunDays],
      firedTimerDays: 7,
    },
  };
}

function parseOptionalDate(value: string | undefined): Date | undefined {
  return value === undefined ? undefined : new Date(value);
}
