/**
 * Starts the pieces Conduit runs on, from config: Postgres (DATABASE_URL or embedded),
 * migrations, Temporal (TEMPORAL_ADDRESS or a local dev server with Web UI). Used by the demo,
 * the worker entry point and the benchmarks, so they all start the same way.
 */
import path from 'node:path';
import type { Config } from '../../config';
import { closeDb, migrateDb, openDb, type Db } from '../../db/client';
import { startEmbeddedPostgres } from '../../db/embedded';
import { provisionTemporal, type TemporalServer } from './temporal-server';

export interface Database {
  db: Db;
  url: string;
  stop(): Promise<void>;
}

/** Opens DATABASE_URL or starts embedded Postgres under the data folder; applies migrations. */
export async function startDatabase(config: Config, log: (line: string) => void = () => {}): Promise<Database> {
  let url = config.DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!url) {
    const embedded = await startEmbeddedPostgres({ dataDir: config.CONDUIT_DATA_DIR, port: config.EMBEDDED_POSTGRES_PORT });
    url = embedded.url;
    stopEmbedded = embedded.stop;
    log(`Embedded Postgres on 127.0.0.1:${config.EMBEDDED_POSTGRES_PORT} (data in ${path.join(config.CONDUIT_DATA_DIR, 'postgres')})`);
  }
  try {
    const db = await openDb(url);
    await migrateDb(db);
    return {
      db,
      url,
      stop: async () => {
        await closeDb(db);
        await stopEmbedded?.();
      },
    };
  } catch (err) {
    await stopEmbedded?.();
    throw err;
  }
}

/** TEMPORAL_ADDRESS if set, else a persistent local dev server with the Web UI. */
export async function startTemporal(config: Config, opts: { codecEndpoint?: string; log?: (line: string) => void } = {}): Promise<TemporalServer> {
  return provisionTemporal({
    address: config.TEMPORAL_ADDRESS,
    namespace: config.TEMPORAL_NAMESPACE,
    cliPath: config.TEMPORAL_CLI_PATH,
    port: config.TEMPORAL_PORT,
    uiPort: config.TEMPORAL_UI_PORT,
    dbFile: path.resolve(config.CONDUIT_DATA_DIR, 'temporal.db'),
    codecEndpoint: opts.codecEndpoint,
    log: opts.log,
  });
}
