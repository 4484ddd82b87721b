/**
 * The foundation path end to end: a workflow started through the client on the real dev
 * server runs an activity that writes to real Postgres, and the row is there. Payloads in the
 * history are encrypted.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, type Worker } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import { schema } from '../../db/client';
import { silentLogger } from '../../activities/deps';
import { conduitDataConverter } from '../../codec/payload-codec';
import { onboardingWorkflowId } from '../../workflows/contracts/onboarding';
import { createConduitWorker } from '../../workers/worker';
import { createTestDatabase, temporalAddress, uniqueTaskQueue, type TestDatabase } from '../support/services';

let database: TestDatabase;
let worker: Worker;
let workerRun: Promise<void>;
let client: Client;
let connection: Connection;
const taskQueue = uniqueTaskQueue('foundation');
const key = randomBytes(32);

before(async () => {
  database = await createTestDatabase();
  const address = await temporalAddress();
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: undefined });
  const unavailable = async () => {
    throw new Error('SP-API not used in this test');
  };
  connection = await Connection.connect({ address });
  client = new Client({ connection, dataConverter: conduitDataConverter(key, 't1') });
  ({ worker } = await createConduitWorker(
    { address, namespace: 'default', taskQueue, encryption: { key, keyId: 't1' }, workflowBundle },
    {
      db: database.db,
      spApiFor: unavailable,
      spApiApp: { exchangeAuthorizationCode: unavailable },
      sealer: { seal: (s) => s, open: (s) => s },
      clock: () => new Date(),
      log: silentLogger,
      workflowClient: client,
      taskQueue,
    },
  ));
  workerRun = worker.run();
});

after(async () => {
  worker?.shutdown();
  await workerRun;
  await connection?.close();
  await database?.drop();
});

test('a workflow started through the client writes the connection row to Postgres', async () => {
  const input = {
    connectionId: 'uk-acme',
    sellerId: 'A2SELLERUK',
    region: 'eu' as const,
    marketplaceIds: ['A1F83G8C2ARO7P'],
    apiKind: 'SP_API' as const,
    grantedScopes: ['SELLING_PARTNER_INSIGHTS', 'ORDERS'],
  };
  const result = await client.workflow.execute('onboardConnection', { taskQueue, workflowId: onboardingWorkflowId(input.connectionId), args: [input] });
  assert.deepEqual(result, { created: true });
  const rows = await database.db.select().from(schema.connections).where(eq(schema.connections.id, 'uk-acme'));
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.region, 'eu');
  assert.deepEqual(rows[0]!.marketplaceIds, ['A1F83G8C2ARO7P']);

  // The history holds only ciphertext: the seller id is not readable in it.
  const history = await client.workflow.getHandle(onboardingWorkflowId(input.connectionId)).fetchHistory();
  assert.ok(!JSON.stringify(history).includes('A2SELLERUK'));
  assert.ok(!Buffer.from(JSON.stringify(history)).toString().includes(Buffer.from('A2SELLERUK').toString('base64')));
});

test('running the same onboarding again changes nothing', async () => {
  const input = {
    connectionId: 'uk-acme',
    sellerId: 'A2SELLERUK',
    region: 'eu' as const,
    marketplaceIds: ['A1F83G8C2ARO7P'],
    apiKind: 'SP_API' as const,
    grantedScopes: ['SELLING_PARTNER_INSIGHTS', 'ORDERS'],
  };
  const result = await client.workflow.execute('onboardConnection', { taskQueue, workflowId: `${onboardingWorkflowId('uk-acme')}-again`, args: [input] });
  assert.deepEqual(result, { created: false });
  const count = await database.db.$count(schema.connections);
  assert.equal(count, 1);
});

test('bad input is refused by the database constraints, not half-written', async () => {
  await assert.rejects(
    database.db.insert(schema.connections).values({ id: 'bad', sellerId: 'X', region: 'us', marketplaceIds: ['ATVPDKIKX0DER'] }),
    (err: Error) => /connections_region/.test(String(err.cause)),
  );
  assert.equal(await database.db.$count(schema.connections), 1);
});
