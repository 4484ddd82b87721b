/**
 * Shared plumbing of the connection-lifecycle scripts (connect, consent-url, complete-reauth,
 * migrate-mws, checklist): each exports `run(argv, ctx)` returning an exit code, so tests call it
 * with their own Temporal client, and the command line calls it through `runCli`.
 * Exit codes: 0 done, 1 the check/operation failed, 2 bad arguments (usage printed).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { conduitDataConverter } from '../../codec/payload-codec';
import { ConfigError, loadConfig, type Config } from '../../config';
import { exitWithClearError } from './cli-errors';
import type { DevSecrets } from './dev-secrets';

export interface ScriptContext {
  config: Config;
  /** Connects on first use, so bad arguments are reported without any service running. */
  client(): Promise<Client>;
  taskQueue: string;
  out(line: string): void;
  err(line: string): void;
}

/** Thrown for bad arguments: the script prints the message and its usage and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** node:util parseArgs with unknown options and missing values turned into UsageError. */
export function parseCliArgs<T extends ParseArgsConfig['options']>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** A numeric option within [min, max]; `fallback` when it was not given (UsageError naming the flag otherwise). */
export function numberArg(flag: string, text: string | undefined, range: { min: number; max: number; fallback?: number }): number {
  if (text === undefined && range.fallback !== undefined) return range.fallback;
  const n = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(n) || n < range.min || n > range.max) {
    throw new UsageError(`--${flag} must be a number from ${range.min} to ${range.max}, got "${text ?? ''}"`);
  }
  return n;
}

/** True when the command line asks for help (`--help` or `-h`). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

/** A required `--connection` value in Conduit's id format. */
export function connectionArg(value: string | undefined): string {
  if (!value) throw new UsageError('--connection <id> is required');
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(value)) throw new UsageError(`--connection "${value}" is not a connection id (lower-case letters, digits and dashes)`);
  return value;
}

/** Runs a script's `run` with usage handling; returns its exit code. */
export async function runWithUsage(usage: string, ctx: ScriptContext, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError) {
      ctx.err(`${err.message}\n\n${usage}`);
      return 2;
    }
    throw err;
  }
}

/** Plain-text table: columns padded to the widest cell, no wrapping. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Conduit's payload key: CONDUIT_ENCRYPTION_KEY, else the local demo's dev secrets. */
function encryption(config: Config): { key: Buffer; keyId: string } {
  if (config.CONDUIT_ENCRYPTION_KEY) return { key: Buffer.from(config.CONDUIT_ENCRYPTION_KEY, 'base64'), keyId: config.CONDUIT_ENCRYPTION_KEY_ID };
  const file = path.join(config.CONDUIT_DATA_DIR, 'dev-secrets.json');
  if (fs.existsSync(file)) {
    const dev = JSON.parse(fs.readFileSync(file, 'utf8')) as DevSecrets;
    return { key: Buffer.from(dev.encryptionKey, 'base64'), keyId: config.CONDUIT_ENCRYPTION_KEY_ID };
  }
  throw new ConfigError([`CONDUIT_ENCRYPTION_KEY: set the key Conduit's worker uses (no ${file} from a local demo either)`]);
}

/** A Temporal client with Conduit's payload codec, connected on first use (read-only commands and bad arguments never connect). */
export function lazyTemporalClient(config: Config): { client(): Promise<Client>; close(): Promise<void> } {
  let connection: Connection | undefined;
  let client: Client | undefined;
  return {
    async client() {
      if (client) return client;
      const { key, keyId } = encryption(config);
      connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_PORT}`, connectTimeout: 5000 });
      client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: conduitDataConverter(key, keyId) });
      return client;
    },
    async close() {
      await connection?.close().catch(() => {});
    },
  };
}

/**
 * Runs a script's `run` with a lazily connected Temporal client built from config and returns its
 * exit code (the operator CLI, scripts/conduit.ts, calls scripts this way).
 */
export async function runScript(run: (argv: string[], ctx: ScriptContext) => Promise<number>, argv: string[]): Promise<number> {
  const config = loadConfig();
  const temporal = lazyTemporalClient(config);
  try {
    return await run(argv, {
      config,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      client: () => temporal.client(),
      out: (line) => console.log(line),
      err: (line) => console.error(line),
    });
  } finally {
    await temporal.close();
  }
}

/** Entry point for `npx tsx scripts/<name>.ts …`: runs with a lazily connected Temporal client and exits with the code. */
export function runCli(run: (argv: string[], ctx: ScriptContext) => Promise<number>): void {
  runScript(run, process.argv.slice(2)).then((code) => process.exit(code), exitWithClearError);
}
