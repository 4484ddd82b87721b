/**
 * One-shot setup against existing servers (docker-compose's conduit-setup): applies database
 * migrations and registers Conduit's search attributes on TEMPORAL_ADDRESS.
 */
import { ConfigError, loadConfig } from '../config';
import { closeDb, migrateDb, openDb } from '../db/client';
import { exitWithClearError } from './lib/cli-errors';
import { provisionTemporal } from './lib/temporal-server';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.DATABASE_URL || !config.TEMPORAL_ADDRESS) {
    throw new ConfigError(['setup runs against existing servers: set DATABASE_URL and TEMPORAL_ADDRESS']);
  }
  const db = await openDb(config.DATABASE_URL);
  await migrateDb(db);
  await closeDb(db);
  await provisionTemporal({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, port: config.TEMPORAL_PORT, uiPort: config.TEMPORAL_UI_PORT });
  console.log('Conduit setup done: migrations applied, search attributes registered');
}

main().catch(exitWithClearError);
