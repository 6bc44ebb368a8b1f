import { z } from 'zod';
import { ApiKeyRecord } from '../api-keys.js';
import { ErrorCode, ServoError } from '../errors.js';
import type { Scope } from '../ledger/scope.js';
import { SCOPE_ID_PATTERN } from '../model/common.js';
import {
  DistributedEnvKeys,
  DistributedEnvShape,
  type DistributedSettings,
  distributedProblems,
  distributedSettingsOf,
} from './distributed-env.js';

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
  logFormat: 'SERVO_LOG_FORMAT',
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
  workspaces: 'SERVO_WORKSPACES',
  apiKeysFile: 'SERVO_API_KEYS_FILE',
  apiKeys: 'SERVO_API_KEYS',
  jwtIssuer: 'SERVO_JWT_ISSUER',
  jwtAudience: 'SERVO_JWT_AUDIENCE',
  jwtJwksUrl: 'SERVO_JWT_JWKS_URL',
  jwtPublicKey: 'SERVO_JWT_PUBLIC_KEY',
  jwtAlgorithms: 'SERVO_JWT_ALGORITHMS',
  graphqlMaxDepth: 'SERVO_GRAPHQL_MAX_DEPTH',
  graphqlMaxCost: 'SERVO_GRAPHQL_MAX_COST',
  graphqlMaxPageSize: 'SERVO_GRAPHQL_MAX_PAGE_SIZE',
  graphqlMaxBodyBytes: 'SERVO_GRAPHQL_MAX_BODY_BYTES',
  graphqlMaxWsMessageBytes: 'SERVO_GRAPHQL_MAX_WS_MESSAGE_BYTES',
  graphqlResponseCacheBytes: 'SERVO_GRAPHQL_RESPONSE_CACHE_BYTES',
  ...DistributedEnvKeys,
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

/** Signature algorithms a JWT issuer may use (`SERVO_JWT_ALGORITHMS`). */
export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

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
  [EnvKeys.logFormat]: z.enum(['json', 'pretty']).optional(),
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
  [EnvKeys.workspaces]: z
    .string()
    .optional()
    .transform((value, context): Scope[] => {
      const scopes: Scope[] = [];
      for (const item of (value ?? '').split(',').map((part) => part.trim())) {
        if (item === '') continue;
        const [tenantId, workspaceId, extra] = item.split('/');
        if (
          tenantId === undefined ||
          workspaceId === undefined ||
          extra !== undefined ||
          !SCOPE_ID_PATTERN.test(tenantId) ||
          !SCOPE_ID_PATTERN.test(workspaceId)
        ) {
          context.addIssue({
            code: 'custom',
            message: `"${item}" is not tenant/workspace (each matching ${SCOPE_ID_PATTERN})`,
          });
          continue;
        }
        scopes.push({ tenantId, workspaceId });
      }
      return scopes;
    }),
  [EnvKeys.apiKeysFile]: z.string().min(1).optional(),
  [EnvKeys.apiKeys]: jsonOf(z.array(ApiKeyRecord).max(10_000), 'a JSON array of API key records'),
  [EnvKeys.jwtIssuer]: z.string().min(1).optional(),
  [EnvKeys.jwtAudience]: z.string().min(1).optional(),
  [EnvKeys.jwtJwksUrl]: z.string().url().optional(),
  [EnvKeys.jwtPublicKey]: z
    .string()
    .transform((value) => value.replaceAll('\\n', '\n'))
    .refine((value) => /-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----/.test(value), {
      message: 'must be a PEM public key (-----BEGIN PUBLIC KEY----- …)',
    })
    .optional(),
  [EnvKeys.jwtAlgorithms]: z
    .string()
    .default('RS256,ES256')
    .transform((value) => value.split(',').map((part) => part.trim()))
    .pipe(z.array(z.enum(JWT_ALGORITHMS)).min(1)),
  [EnvKeys.graphqlMaxDepth]: z.coerce.number().int().min(1).max(1000).default(20),
  [EnvKeys.graphqlMaxCost]: z.coerce.number().int().min(1).max(1_000_000_000).default(250_000),
  [EnvKeys.graphqlMaxPageSize]: z.coerce.number().int().min(1).max(100_000).default(1000),
  [EnvKeys.graphqlMaxBodyBytes]: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  [EnvKeys.graphqlMaxWsMessageBytes]: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  [EnvKeys.graphqlResponseCacheBytes]: z.coerce
    .number()
    .int()
    .min(0)
    .max(1024 * 1024 * 1024)
    .default(64 * 1024 * 1024),
  ...DistributedEnvShape,
});

/** How bearer JWTs are verified: the issuer, the audience, and where its public keys come from. */
export interface JwtSettings {
  issuer: string;
  audience: string;
  /** The issuer's JSON Web Key Set, fetched and cached (keys rotate by `kid`). */
  jwksUrl: string | undefined;
  /** A PEM (SPKI) public key, when the issuer has one fixed key. */
  publicKeyPem: string | undefined;
  algorithms: (typeof JWT_ALGORITHMS)[number][];
}

/** Cross-variable rules: a JWT issuer needs an audience and exactly one source of keys. */
function jwtProblems(cleaned: Record<string, string>): string[] {
  const jwtKeys = [EnvKeys.jwtIssuer, EnvKeys.jwtAudience, EnvKeys.jwtJwksUrl, EnvKeys.jwtPublicKey];
  if (!jwtKeys.some((key) => cleaned[key] !== undefined)) return [];
  const problems: string[] = [];
  for (const key of [EnvKeys.jwtIssuer, EnvKeys.jwtAudience]) {
    if (cleaned[key] === undefined) problems.push(`${key}: required when bearer JWTs are configured`);
  }
  const sources = [EnvKeys.jwtJwksUrl, EnvKeys.jwtPublicKey].filter((key) => cleaned[key] !== undefined);
  if (sources.length !== 1) {
    problems.push(
      `${EnvKeys.jwtJwksUrl} / ${EnvKeys.jwtPublicKey}: set exactly one when bearer JWTs are configured`,
    );
  }
  return problems;
}

export interface ServoEnv {
  port: number;
  host: string;
  dataDir: string;
  tenantId: string;
  workspaceId: string;
  clock: { mode: 'real' | 'virtual'; start: Date | undefined };
  logLevel: string;
  /** `json` or `pretty`; undefined: pretty on a terminal, JSON lines elsewhere. */
  logFormat: 'json' | 'pretty' | undefined;
  compactionIntervalMs: number;
  tenantSecrets: Record<string, string> | undefined;
  /** Code locations embedded mode loads (default: the example in examples/sales). */
  codeLocations: CodeLocationConfig[];
  /** Base URL code locations use to reach this process; default: the address it listens on. */
  publicUrl: string | undefined;
  admission: Record<string, unknown>;
  antiEntropyIntervalMs: number;
  /** Workspaces served besides `tenantId`/`workspaceId` and those API keys name (`SERVO_WORKSPACES`). */
  workspaces: Scope[];
  /** How callers prove who they are. Neither keys nor JWTs configured: embedded mode on loopback only. */
  auth: {
    apiKeysFile: string | undefined;
    apiKeys: ApiKeyRecord[];
    jwt: JwtSettings | undefined;
  };
  graphqlLimits: {
    maxDepth: number;
    maxCost: number;
    maxPageSize: number;
    maxBodyBytes: number;
    maxWebSocketMessageBytes: number;
    responseCacheBytes: number;
  };
  /** Distributed mode: storage, timer and dispatch adapters, worker caller checks, ledger following. */
  distributed: DistributedSettings;
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
  const problems = [
    ...(parsed.success
      ? []
      : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)),
    ...jwtProblems(cleaned),
    ...distributedProblems(cleaned, cleaned[EnvKeys.publicUrl]),
  ];
  if (!parsed.success || problems.length > 0) {
    throw new ServoError(ErrorCode.Config, `invalid configuration:\n  ${problems.join('\n  ')}`, {
      details: { problems },
    });
  }
  const v = parsed.data;
  const issuer = v[EnvKeys.jwtIssuer];
  const audience = v[EnvKeys.jwtAudience];
  return {
    port: v[EnvKeys.port],
    host: v[EnvKeys.host],
    dataDir: v[EnvKeys.dataDir],
    tenantId: v[EnvKeys.tenant],
    workspaceId: v[EnvKeys.workspace],
    clock: { mode: v[EnvKeys.clock], start: parseOptionalDate(v[EnvKeys.clockStart]) },
    logLevel: v[EnvKeys.logLevel],
    logFormat: v[EnvKeys.logFormat],
    compactionIntervalMs: v[EnvKeys.compactionIntervalMs],
    tenantSecrets: v[EnvKeys.tenantSecrets],
    codeLocations: v[EnvKeys.codeLocations] ?? [{ module: 'examples/sales/definitions.ts' }],
    publicUrl: v[EnvKeys.publicUrl],
    admission: v[EnvKeys.admission] ?? {},
    antiEntropyIntervalMs: v[EnvKeys.antiEntropyIntervalMs],
    workspaces: v[EnvKeys.workspaces],
    auth: {
      apiKeysFile: v[EnvKeys.apiKeysFile],
      apiKeys: v[EnvKeys.apiKeys] ?? [],
      jwt:
        issuer === undefined || audience === undefined
          ? undefined
          : {
              issuer,
              audience,
              jwksUrl: v[EnvKeys.jwtJwksUrl],
              publicKeyPem: v[EnvKeys.jwtPublicKey],
              algorithms: v[EnvKeys.jwtAlgorithms],
            },
    },
    graphqlLimits: {
      maxDepth: v[EnvKeys.graphqlMaxDepth],
      maxCost: v[EnvKeys.graphqlMaxCost],
      maxPageSize: v[EnvKeys.graphqlMaxPageSize],
      maxBodyBytes: v[EnvKeys.graphqlMaxBodyBytes],
      maxWebSocketMessageBytes: v[EnvKeys.graphqlMaxWsMessageBytes],
      responseCacheBytes: v[EnvKeys.graphqlResponseCacheBytes],
    },
    distributed: distributedSettingsOf(v, v[EnvKeys.publicUrl]),
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
