/** The integration stack itself: the real adapter reaches the simulator with the sealed token, and stock is seeded through the ledger. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { schema } from '../../db/client';
import { connectionWorkflowId } from '../../workflows/contracts/connection';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

test('the stored connection reaches the simulated Amazon through amazon-sp-api', async () => {
  const port = await stack.deps.spApiFor(stack.connectionId);
  const participations = await port.getMarketplaceParticipations();
  assert.ok(participations.some((p) => p.marketplace.id === 'A1F83G8C2ARO7P'));
  const [row] = await stack.db.select().from(schema.connections).where(eq(schema.connections.id, stack.connectionId));
  assert.match(row!.refreshTokenEnc!, /^enc:/);
  const log = await stack.db.select().from(schema.channelLog);
  assert.equal(log.at(-1)?.operation, 'getMarketplaceParticipations');
  assert.equal(log.at(-1)?.httpStatus, 200);
});

test('opening stock is in the FBM pool only, one ledger row per SKU', async () => {
  const pools = await stack.db.select().from(schema.stockPools).where(eq(schema.stockPools.connectionId, stack.connectionId));
  assert.deepEqual(
    pools.map((p) => [p.sku, p.pool, p.onHand]).sort(),
    [
      ['FBM-CAP-01', 'FBM', 5],
      ['FBM-MUG-01', 'FBM', 20],
      ['HYB-TEE-01', 'FBM', 10],
    ],
  );
});

test('the connection workflow is running for the connection', async () => {
  const description = await stack.client.workflow.getHandle(connectionWorkflowId(stack.connectionId)).describe();
  assert.equal(description.status.name, 'RUNNING');
});
