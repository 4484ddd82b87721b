/**
 * `npm run worker`: one stateless Conduit worker. Connects to Temporal and Postgres from config
 * (embedded Postgres when DATABASE_URL is unset), runs until SIGINT/SIGTERM, then drains:
 * in-flight activities finish within the grace time or are retried on another worker.
 */
import { Client, Connection } from '@temporalio/client';
import { conduitDataConverter } from '../codec/payload-codec';
import { encryptionKey, loadConfig } from '../config';
import { exitWithClearError } from '../scripts/lib/cli-errors';
import { startDatabase } from '../scripts/lib/runtime';
import { provisionTemporal } from '../scripts/lib/temporal-server';
import { buildActivityDeps } from './deps';
import { ensureConnectionWorkflows } from '../activities/auth';
import { startNotificationReceiver } from './notifications';
import { createConduitWorker } from './worker';

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
