/**
 * A whole Conduit for integration tests: a fresh Postgres database, the SP-API simulator with
 * a UK seller and our app, the seller's connection stored with a sealed refresh token, its
 * connection workflow, and a real worker whose activities talk to the simulator through the
 * real amazon-sp-api adapter. Workflow code is bundled once per test process.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, type Worker } from '@temporalio/worker';
import { schema, type Db } from '../../db/client';
import { silentLogger, type ActivityDeps, type Logger } from '../../activities/deps';
import { startConnectionWorkflow } from '../../activities/auth';
import { createStockLedgerActivities } from '../../activities/stock-ledger';
import { conduitDataConverter } from '../../codec/payload-codec';
import { CONDUIT_ROLES, SCOPES } from '../../domain/scopes';
import { startSimulator, type SimulatorHandle } from '../../simulator/server';
import { SimulatorControl, type SimCatalogueItem } from '../../simulator/control-client';
import type { SimulatorOptions } from '../../simulator/core';
import { createSealer } from '../../spapi/secrets';
import { startNotificationReceiver, type NotificationReceiver } from '../../workers/notifications';
import { createActivityDeps } from '../../workers/deps';
import { createConduitWorker } from '../../workers/worker';
import { createTestDatabase, temporalAddress, uniqueTaskQueue, type TestDatabase } from './services';

export const UK_MARKETPLACE = 'A1F83G8C2ARO7P';

/** A small catalogue with every shape the guide talks about: FBM-only, FBA-only and hybrid SKUs. */
export const defaultCatalogue: SimCatalogueItem[] = [
  { sku: 'FBM-MUG-01', asin: 'B0MUG00001', title: 'Enamel mug', productType: 'DRINKING_CUP', price: 12.5, fulfilment: 'FBM', fbmQuantity: 20 },
  { sku: 'FBM-CAP-01', asin: 'B0CAP00001', title: 'Wool cap', productType: 'HAT', price: 18, fulfilment: 'FBM', fbmQuantity: 5 },
  { sku: 'FBA-BOOK-01', asin: 'B0BOOK0001', title: 'Field guide', productType: 'ABIS_BOOK', price: 9.99, fulfilment: 'FBA', fbaQuantity: 30 },
  { sku: 'HYB-TEE-01', asin: 'B0TEE00001', title: 'Organic tee', productType: 'SHIRT', price: 15, fulfilment: 'HYBRID', fbmQuantity: 10, fbaQuantity: 15 },
];

export interface StackOptions {
  timeScale?: number;
  /** Simulator seed; random by default so order ids never collide between test files on the shared dev server. */
  seed?: number;
  catalogue?: SimCatalogueItem[];
  /** SP-API roles granted at the start (default: every role Conduit needs). */
  roles?: string[];
  simulator?: Partial<SimulatorOptions>;
  /** Run the ORDER_CHANGE receiver and point the simulator's notifications at it. */
  notifications?: boolean;
  /** Copy the catalogue and FBM stock into Conduit's tables (default true). */
  seedConduit?: boolean;
  connectionId?: string;
  log?: Logger;
  /** Use this Temporal server instead of the shared one (e.g. a dev server started with a codec endpoint). */
  temporalAddress?: string;
  /** The payload key (default: 32 random bytes), e.g. to start a codec server before the stack. */
  encryptionKey?: Buffer;
}

export interface Stack {
  db: Db;
  simulator: SimulatorHandle;
  simulatorUrl: string;
  control: SimulatorControl;
  client: Client;
  taskQueue: string;
  connectionId: string;
  sellerId: string;
  marketplaceId: string;
  app: { clientId: string; clientSecret: string; applicationId: string };
  /** The test database's URL (DATABASE_URL for a script run against this stack). */
  databaseUrl: string;
  /** Temporal server address (TEMPORAL_ADDRESS). */
  temporalAddress: string;
  /** The payload/refresh-token key in base64 and its id (CONDUIT_ENCRYPTION_KEY / CONDUIT_ENCRYPTION_KEY_ID). */
  encryption: { keyBase64: string; keyId: string };
  deps: ActivityDeps;
  worker: Worker;
  notifications?: NotificationReceiver;
  /** Starts another worker on the same task queue (e.g. to prove workers are interchangeable). */
  stop(): Promise<void>;
}

let bundle: ReturnType<typeof bundleWorkflowCode> | undefined;
function workflowBundle() {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows') });
  return bundle;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch((err: Error) => console.error(`stack cleanup: ${err.message}`));
  };
  try {
    const database: TestDatabase = await createTestDatabase();
    cleanups.push(() => database.drop());
    // At ×60 Amazon's 5-minute consent code lives 5 real seconds, less than a CLI subprocess may take to
    // start on a loaded machine; the stack gives codes a simulated hour (the simulator's own tests keep 5 minutes).
    const simulator = await startSimulator({
      port: 0,
      timeScale: opts.timeScale ?? 60,
      seed: opts.seed ?? randomBytes(4).readUInt32LE() % 1_000_000_000,
      consentCodeTtlSeconds: 3600,
      ...opts.simulator,
    });
    cleanups.push(() => simulator.close());
    const control = new SimulatorControl(simulator.url);

    const app = await control.registerApp({ name: 'Conduit (test)' });
    const sellerId = `A${randomBytes(6).toString('hex').toUpperCase()}`;
    const catalogue = opts.catalogue ?? defaultCatalogue;
    const seller = await control.seedSeller({
      sellerId,
      region: 'eu',
      marketplaceIds: [UK_MARKETPLACE],
      storeName: 'Conduit Test Store',
      clientId: app.clientId,
      roles: opts.roles ?? [...CONDUIT_ROLES],
      catalogue,
    });
    if (!seller.refreshToken) throw new Error('simulator did not return a refresh token for the seeded seller');

    const key = opts.encryptionKey ?? randomBytes(32);
    const sealer = createSealer(key, 'test');
    // Random by default: test files share one dev server, and workflow IDs are built from it.
    const connectionId = opts.connectionId ?? `uk-${randomBytes(3).toString('hex')}`;
    const db = database.db;
    await db.insert(schema.connections).values({
      id: connectionId,
      sellerId,
      region: 'eu',
      marketplaceIds: [UK_MARKETPLACE],
      apiKind: 'SP_API',
      grantedScopes: [...SCOPES],
      refreshTokenEnc: sealer.seal(seller.refreshToken),
    });
    if (opts.seedConduit ?? true) await seedConduitCatalogue(db, connectionId, catalogue);

    const address = opts.temporalAddress ?? (await temporalAddress());
    const connection = await Connection.connect({ address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, dataConverter: conduitDataConverter(key, 'test') });
    const taskQueue = uniqueTaskQueue('stack');
    const deps = createActivityDeps({
      db,
      sealer,
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      endpoint: simulator.url,
      workflowClient: client,
      taskQueue,
      log: opts.log ?? silentLogger,
    });
    const { worker, connection: workerConnection } = await createConduitWorker(
      { address, namespace: 'default', taskQueue, encryption: { key, keyId: 'test' }, workflowBundle: await workflowBundle() },
      deps,
    );
    const running = worker.run();
    cleanups.push(async () => {
      await workerConnection.close().catch(() => {});
    });
    cleanups.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => {});
    });

    let notifications: NotificationReceiver | undefined;
    if (opts.notifications) {
      notifications = await startNotificationReceiver({ port: 0, workflowClient: client, taskQueue, log: opts.log });
      cleanups.push(() => notifications!.close());
      await control.setNotificationUrl(notifications.url);
    }
    await startConnectionWorkflow(client, taskQueue, connectionId);

    return {
      db,
      simulator,
      simulatorUrl: simulator.url,
      control,
      client,
      taskQueue,
      connectionId,
      sellerId,
      marketplaceId: UK_MARKETPLACE,
      app: { clientId: app.clientId, clientSecret: app.clientSecret, applicationId: app.applicationId },
      databaseUrl: database.url,
      temporalAddress: address,
      encryption: { keyBase64: key.toString('base64'), keyId: 'test' },
      deps,
      worker,
      notifications,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Copies the simulator catalogue into Conduit: catalogue items and FBM stock as ledger adjustments. */
export async function seedConduitCatalogue(db: Db, connectionId: string, catalogue: SimCatalogueItem[]): Promise<void> {
  if (catalogue.length === 0) return;
  await db.insert(schema.catalogueItems).values(
    catalogue.map((item) => ({ connectionId, sku: item.sku, asin: item.asin ?? null, title: item.title, productType: item.productType, fulfilment: item.fulfilment })),
  );
  const ledger = createStockLedgerActivities({ db, log: silentLogger });
  const movements = catalogue
    .filter((item) => item.fulfilment !== 'FBA')
    .map((item) => ({
      sku: item.sku,
      pool: 'FBM' as const,
      kind: 'ADJUST' as const,
      onHandDelta: item.fbmQuantity ?? 0,
      allocatedDelta: 0,
      idempotencyKey: `seed:${item.sku}`,
      reason: 'opening stock count',
    }));
  const result = await ledger.recordMovements({ connectionId, movements });
  if (!result.ok) throw new Error(`seeding stock failed: ${result.message}`);
}
