/**
 * What an operator script needs to talk to a running Conduit: its database and a Temporal client
 * that encrypts payloads with Conduit's key. Uses DATABASE_URL / TEMPORAL_ADDRESS when set, else
 * the local demo's embedded Postgres and dev server (same ports and dev secrets as `npm run demo`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { conduitDataConverter } from '../../codec/payload-codec';
import { ConfigError, loadConfig, type Config } from '../../config';
import { closeDb, openDb, schema, type Db } from '../../db/client';
import { UsageError } from './connection-cli';
import type { DevSecrets } from './dev-secrets';

export interface OperatorSession {
  config: Config;
  db: Db;
  /** Opens the Temporal client on first use (read-only commands never connect). */
  client(): Promise<Client>;
  close(): Promise<void>;
}

function encryption(config: Config): { key: Buffer; keyId: string } {
  if (config.CONDUIT_ENCRYPTION_KEY) return { key: Buffer.from(config.CONDUIT_ENCRYPTION_KEY, 'base64'), keyId: config.CONDUIT_ENCRYPTION_KEY_ID };
  const file = path.join(config.CONDUIT_DATA_DIR, 'dev-secrets.json');
  if (fs.existsSync(file)) {
    const dev = JSON.parse(fs.readFileSync(file, 'utf8')) as DevSecrets;
    return { key: Buffer.from(dev.encryptionKey, 'base64'), keyId: config.CONDUIT_ENCRYPTION_KEY_ID };
  }
  throw new ConfigError([`CONDUIT_ENCRYPTION_KEY: set the key Conduit's worker uses (no ${file} from a local demo either)`]);
}

export async function openOperatorSession(): Promise<OperatorSession> {
  const config = loadConfig();
  const db = await openDb(config.DATABASE_URL ?? `postgres://conduit:conduit@127.0.0.1:${config.EMBEDDED_POSTGRES_PORT}/conduit`, { max: 2 });
  let connection: Connection | undefined;
  let client: Client | undefined;
  return {
    config,
    db,
    async client() {
      if (client) return client;
      const { key, keyId } = encryption(config);
      connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_PORT}`, connectTimeout: 5000 });
      client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: conduitDataConverter(key, keyId) });
      return client;
    },
    async close() {
      await connection?.close().catch(() => {});
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
