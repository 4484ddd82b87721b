/**
 * What an operator script needs to talk to a running Conduit: its database and a Temporal client
 * that encrypts payloads with Conduit's key. Uses DATABASE_URL / TEMPORAL_ADDRESS when set, else
 * the local demo's embedded Postgres and dev server (same ports and dev secrets as `npm run demo`).
 */
import type { Client } from '@temporalio/client';
import { loadConfig, type Config } from '../../config';
import { closeDb, openDb, schema, type Db } from '../../db/client';
import { lazyTemporalClient, UsageError } from './connection-cli';

export interface OperatorSession {
  config: Config;
  db: Db;
  /** Opens the Temporal client on first use (read-only commands never connect). */
  client(): Promise<Client>;
  close(): Promise<void>;
}

export async function openOperatorSession(): Promise<OperatorSession> {
  const config = loadConfig();
  const db = await openDb(config.DATABASE_URL ?? `postgres://conduit:conduit@127.0.0.1:${config.EMBEDDED_POSTGRES_PORT}/conduit`, { max: 2 });
  const temporal = lazyTemporalClient(config);
  return {
    config,
    db,
    client: () => temporal.client(),
    async close() {
      await temporal.close();
      await closeDb(db);
    },
  };
}

/** The connection to act on: the one named, or the only one there is. */
export async function resolveConnectionId(db: Db, named: string | undefined): Promise<string> {
  const rows = await db.select({ id: schema.connections.id }).from(schema.connections);
  if (named) {
    if (!rows.some((r) => r.id === named)) throw new UsageError(`--connection "${named}": no such connection. Known: ${rows.map((r) => r.id).join(', ') || '(none: onboard one with npm run conduit -- connection connect)'}`);
    return named;
  }
  if (rows.length === 1) return rows[0]!.id;
  if (rows.length === 0) throw new Error('No connections yet: onboard a seller first (npm run conduit -- connection connect --help).');
  throw new UsageError(`Several connections (${rows.map((r) => r.id).join(', ')}): pass --connection <id>.`);
}
