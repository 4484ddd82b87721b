/** What every activity factory receives: no activity reaches for a global or process.env. */
import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import type { SpApiAppPort, SpApiPort } from '../spapi/port';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Seals and opens secrets (refresh tokens, buyer PII) stored in Postgres. */
export type { Sealer } from '../spapi/secrets';
import type { Sealer } from '../spapi/secrets';

export interface ActivityDeps {
  db: Db;
  /** The SP-API port for one connection (its own token, region and rate buckets). */
  spApiFor(connectionId: string): Promise<SpApiPort>;
  spApiApp: SpApiAppPort;
  sealer: Sealer;
  clock: () => Date;
  log: Logger;
  /** For activities that start or signal other workflows (signalWithStart keeps it idempotent). */
  workflowClient: Client;
  /** Task queue Conduit's workflows run on. */
  taskQueue: string;
}

/** A logger that drops everything; for tests that do not read logs. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A structured JSON logger on stdout; callers never pass tokens or PII. */
export function jsonLogger(level: 'debug' | 'info' | 'warn' | 'error' = 'info'): Logger {
  const order = ['debug', 'info', 'warn', 'error'];
  const make =
    (l: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (order.indexOf(l) < order.indexOf(level)) return;
      process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), level: l, message, ...fields })}\n`);
    };
  return { debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error') };
}
