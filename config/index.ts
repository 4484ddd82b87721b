/**
 * The one place that reads the environment. Everything else receives a `Config` value.
 * Invalid settings fail at start with one line per bad variable (see `loadConfig`).
 */
import { z } from 'zod';

const durationPattern = /^(\d+)(ms|s|m|h|d)$/;
const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses '5m', '30s', '1h' into milliseconds; used for poll intervals. */
export function parseDuration(text: string): number {
  const match = durationPattern.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a duration like 30s, 5m or 1h`);
  return Number(match[1]) * (unitMs[match[2]!] ?? 1);
}

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((v) => durationPattern.test(v.trim()), { message: 'use a duration such as 30s, 5m or 1h' })
    .transform(parseDuration);

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const envSchema = z.object({
  TEMPORAL_ADDRESS: optionalText.refine((v) => v === undefined || /^[^\s:]+:\d+$/.test(v), {
    message: 'use host:port, e.g. 127.0.0.1:7233 (leave unset to start a local dev server)',
  }),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_CLI_PATH: optionalText,
  TEMPORAL_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('conduit'),
  DATABASE_URL: optionalText.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), {
    message: 'use a postgres:// URL, e.g. postgres://user:pass@127.0.0.1:5432/conduit (leave unset for embedded Postgres)',
  }),
  EMBEDDED_POSTGRES_PORT: port(54329),
  CONDUIT_DATA_DIR: z.string().min(1).default('.data'),
  SPAPI_CLIENT_ID: optionalText,
  SPAPI_CLIENT_SECRET: optionalText,
  SPAPI_APPLICATION_ID: optionalText,
  SPAPI_ENDPOINT: optionalText.refine((v) => v === undefined || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+\/?$/.test(v), {
    message: 'use the simulator URL, e.g. http://127.0.0.1:8700 (leave unset to talk to Amazon)',
  }),
  CONDUIT_ENCRYPTION_KEY: optionalText.refine((v) => v === undefined || Buffer.from(v, 'base64').length === 32, {
    message: 'use 32 random bytes in base64: node -e "console.log(crypto.randomBytes(32).toString(\'base64\'))"',
  }),
  CONDUIT_ENCRYPTION_KEY_ID: z.string().min(1).default('k1'),
  CODEC_SERVER_PORT: port(8234),
  /** Where Amazon's ORDER_CHANGE notifications are received (0 = off). */
  NOTIFICATION_RECEIVER_PORT: z.coerce.number().int().min(0).max(65535).default(8235),
  CODEC_SERVER_TOKEN: optionalText,
  ORDER_POLL_INTERVAL: duration('5m'),
  FBA_SYNC_INTERVAL: duration('30m'),
  RECONCILE_INTERVAL: duration('24h'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

/** Validated settings; durations are in milliseconds. */
export type Config = z.infer<typeof envSchema>;

/** Thrown when the environment is invalid; `lines` has one message per bad variable. */
export class ConfigError extends Error {
  constructor(readonly lines: string[]) {
    super(`Invalid configuration:\n${lines.map((l) => `  ${l}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment. Pass an object in tests instead of process.env. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = envSchema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    const value = env[name];
    const shown = value === undefined ? '' : ` (got "${name.includes('SECRET') || name.includes('KEY') || name.includes('TOKEN') ? '***' : value}")`;
    return `${name}: ${issue.message}${shown}`;
  });
  throw new ConfigError(lines);
}

/** SP-API application credentials, required only where an SP-API client is built. */
export function spApiCredentials(config: Config): { clientId: string; clientSecret: string } {
  const missing = [
    config.SPAPI_CLIENT_ID ? undefined : 'SPAPI_CLIENT_ID: set your LWA client id (amzn1.application-oa2-client.…)',
    config.SPAPI_CLIENT_SECRET ? undefined : 'SPAPI_CLIENT_SECRET: set your LWA client secret',
  ].filter((l): l is string => l !== undefined);
  if (missing.length > 0) throw new ConfigError(missing);
  return { clientId: config.SPAPI_CLIENT_ID!, clientSecret: config.SPAPI_CLIENT_SECRET! };
}

/** The 32-byte data key for encrypting refresh tokens and Temporal payloads. */
export function encryptionKey(config: Config): { keyId: string; key: Buffer } {
  if (!config.CONDUIT_ENCRYPTION_KEY) {
    throw new ConfigError([
      'CONDUIT_ENCRYPTION_KEY: set 32 random bytes in base64 (node -e "console.log(crypto.randomBytes(32).toString(\'base64\'))")',
    ]);
  }
  return { keyId: config.CONDUIT_ENCRYPTION_KEY_ID, key: Buffer.from(config.CONDUIT_ENCRYPTION_KEY, 'base64') };
}
