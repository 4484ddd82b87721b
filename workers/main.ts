/**
 * `npm run worker`: one stateless Conduit worker. Connects to Temporal and Postgres from config
 * (embedded Postgres when DATABASE_URL is unset), runs until SIGINT/SIGTERM, then drains:
 * in-flight activities finish within the grace time or are retried on another worker.
 */
import { Client, Connection } from '@temporalio/client';
import { conduitDataConverter } from '../codec/payload-codec';
import { encryptionKey, loadConfig, type Config } from '../config';
import { exitWithClearError } from '../scripts/lib/cli-errors';
import { startDatabase } from '../scripts/lib/runtime';
import { provisionTemporal } from '../scripts/lib/temporal-server';
import { buildActivityDeps } from './deps';
import { and, eq, isNotNull, ne } from 'drizzle-orm';
import { ensureConnectionWorkflows } from '../activities/auth';
import { ensureListingFeedSchedule, parseFeedWindow } from '../activities/feeds';
import { ensureOrderDownloadSchedule } from '../activities/orders';
import { ensurePiiPurgeSchedule } from '../activities/pii';
import { ensureStockSchedules } from '../activities/stock';
import { schema, type Db } from '../db/client';
import { startNotificationReceiver } from './notifications';
import { createConduitWorker } from './worker';

/**
 * Every authorised SP-API connection has its schedules (order download, FBA sync, reconcile,
 * returns pickup, off-peak listing feed, buyer-PII purge). Idempotent: existing schedules keep an operator's
 * pause; MWS connections get theirs when the migration switches them over.
 */
async function ensureSchedulesForConnections(config: Config, db: Db, client: Client): Promise<void> {
  const rows = await db
    .select({ id: schema.connections.id, feedWindow: schema.connections.feedWindow })
    .from(schema.connections)
    .where(and(eq(schema.connections.apiKind, 'SP_API'), isNotNull(schema.connections.refreshTokenEnc), ne(schema.connections.status, 'DISCONNECTED')));
  const taskQueue = config.TEMPORAL_TASK_QUEUE;
  for (const row of rows) {
    await ensureOrderDownloadSchedule(client, { connectionId: row.id, intervalMs: config.ORDER_POLL_INTERVAL, taskQueue });
    await ensureStockSchedules(client, { connectionId: row.id, taskQueue, fbaSyncIntervalMs: config.FBA_SYNC_INTERVAL, reconcileIntervalMs: config.RECONCILE_INTERVAL });
    await ensureListingFeedSchedule(client, { connectionId: row.id, taskQueue, window: parseFeedWindow(row.feedWindow).window });
    await ensurePiiPurgeSchedule(client, { connectionId: row.id, taskQueue });
  }
  if (rows.length) console.log(`Schedules in place for: ${rows.map((r) => r.id).join(', ')}`);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const { key, keyId } = encryptionKey(config);
  const address = config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_PORT}`;
  // Check the server is there (and has our search attributes) before doing anything else.
  await provisionTemporal({ address, namespace: config.TEMPORAL_NAMESPACE, port: config.TEMPORAL_PORT, uiPort: config.TEMPORAL_UI_PORT });
  const database = await startDatabase(config, (line) => console.log(line));
  const clientConnection = await Connection.connect({ address });
  const workflowClient = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: conduitDataConverter(key, keyId) });
  const { worker, connection } = await createConduitWorker(
    { address, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE, encryption: { key, keyId } },
    buildActivityDeps(config, database.db, workflowClient),
  );
  // Amazon's ORDER_CHANGE notifications: new orders in seconds; polling stays the safety net.
  const notifications =
    config.NOTIFICATION_RECEIVER_PORT > 0
      ? await startNotificationReceiver({ port: config.NOTIFICATION_RECEIVER_PORT, workflowClient, taskQueue: config.TEMPORAL_TASK_QUEUE })
      : undefined;
  if (notifications) console.log(`ORDER_CHANGE notifications received on ${notifications.url}`);
  // Every connection has its connection workflow, so AccessDenied always has somewhere to go.
  const connections = await ensureConnectionWorkflows(workflowClient, config.TEMPORAL_TASK_QUEUE, database.db);
  if (connections.length) console.log(`Connection workflows running for: ${connections.join(', ')}`);
  await ensureSchedulesForConnections(config, database.db, workflowClient);
  const stop = () => worker.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(`Conduit worker on task queue "${config.TEMPORAL_TASK_QUEUE}" at ${address}`);
  await worker.run();
  await notifications?.close();
  await connection.close();
  await clientConnection.close();
  await database.stop();
  console.log('Conduit worker stopped cleanly');
}

main().catch(exitWithClearError);
