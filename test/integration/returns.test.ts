/**
 * Returns that reinstate stock, end to end: Conduit reads Amazon's FBM and FBA returns reports,
 * each FBM return waits for the warehouse's inspection, a restocked one raises Amazon's quantity,
 * a disposed one doesn't, an FBA return touches the FBA pool only, and repeating the pickup or the
 * inspection signal changes nothing.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import type { ReturnsPickupResult } from '../../activities/returns';
import { schema } from '../../db/client';
import { fbmReturnId } from '../../domain/returns';
import { inspectionSignal, returnStateQuery, returnWorkflowId, returnsPickupWorkflowId, type ReturnState } from '../../workflows/contracts/stock';
import { startStack, type Stack } from '../support/stack';
import { decodeHistory, saveHistory } from '../replay/history-file';
import { waitForValue } from '../support/wait';

let stack: Stack;

before(async () => {
  stack = await startStack({ connectionId: `uk-returns-${randomBytes(3).toString('hex')}`, simulator: { reportProcessingSeconds: { min: 20, max: 40 } } });
});

after(async () => {
  await stack?.stop();
});

let pickups = 0;
const pickup = () =>
  stack.client.workflow.execute('returnsPickup', {
    workflowId: returnsPickupWorkflowId(stack.connectionId, `test-${++pickups}`),
    taskQueue: stack.taskQueue,
    args: [{ connectionId: stack.connectionId }],
  }) as Promise<ReturnsPickupResult[]>;

const returnRow = async (id: string) => (await stack.db.select().from(schema.returns).where(eq(schema.returns.id, id)))[0];
const pool = async (sku: string, kind: 'FBM' | 'FBA') =>
  (await stack.db.select().from(schema.stockPools).where(and(eq(schema.stockPools.connectionId, stack.connectionId), eq(schema.stockPools.sku, sku), eq(schema.stockPools.pool, kind))))[0];
const amazonQuantity = async (sku: string) => (await stack.control.listing(stack.sellerId, sku)).quantity;

test('FBM returns wait for inspection: restock raises Amazon’s quantity once, dispose changes nothing; FBA returns stay in the FBA pool', async () => {
  const keep = await stack.control.createReturn({ sellerId: stack.sellerId, channel: 'FBM', sku: 'FBM-CAP-01', quantity: 2, reason: 'Wrong size' });
  const bin = await stack.control.createReturn({ sellerId: stack.sellerId, channel: 'FBM', sku: 'FBM-CAP-01', quantity: 1, reason: 'Damaged' });
  await stack.control.createReturn({ sellerId: stack.sellerId, channel: 'FBA', sku: 'HYB-TEE-01', quantity: 1, disposition: 'SELLABLE' });
  await stack.control.createReturn({ sellerId: stack.sellerId, channel: 'FBA', sku: 'HYB-TEE-01', quantity: 1, disposition: 'CUSTOMER_DAMAGED' });
  const keepId = fbmReturnId(String(keep.rmaId));
  const binId = fbmReturnId(String(bin.rmaId));

  const first = await pickup();
  assert.deepEqual(first.map((r) => [r.reportType, r.rows, r.newReturns, r.workflowsStarted]), [
    ['GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE', 2, 2, 2],
    ['GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA', 2, 2, 2],
  ]);
  assert.equal((await returnRow(keepId))?.status, 'AWAITING_INSPECTION');
  const keepHandle = stack.client.workflow.getHandle(returnWorkflowId(stack.connectionId, keepId));
  assert.equal((await keepHandle.query(returnStateQuery)).status, 'AWAITING_INSPECTION');

  // FBA: recorded against the FBA pool only (the sellable unit back to fulfillable), FBM tee untouched.
  const fbaRows = (await stack.db.select().from(schema.returns).where(eq(schema.returns.channel, 'FBA'))).map((r) => r.id);
  for (const id of fbaRows) await waitForValue(`FBA return ${id}`, async () => (await returnRow(id))?.status, (s) => s === 'RECORDED', 45_000);
  assert.equal((await pool('HYB-TEE-01', 'FBA'))?.onHand, 1, 'one sellable FBA unit recorded in the FBA pool');
  assert.equal((await pool('HYB-TEE-01', 'FBM'))?.onHand, 10, 'FBM pool of the hybrid SKU untouched by FBA returns');
  assert.equal(await amazonQuantity('HYB-TEE-01'), 10);

  // Nothing restocked before inspection: Amazon still shows 5 caps.
  assert.equal(await amazonQuantity('FBM-CAP-01'), 5);
  await keepHandle.signal(inspectionSignal, { decision: 'RESTOCK', by: 'goods-in' });
  await keepHandle.signal(inspectionSignal, { decision: 'RESTOCK', by: 'goods-in' });
  const kept = (await keepHandle.result()) as ReturnState;
  assert.equal(kept.status, 'RESTOCKED');
  await waitForValue('Amazon quantity of FBM-CAP-01', () => amazonQuantity('FBM-CAP-01'), (q) => q === 7);

  const binHandle = stack.client.workflow.getHandle(returnWorkflowId(stack.connectionId, binId));
  await binHandle.signal(inspectionSignal, { decision: 'DISPOSE', by: 'goods-in' });
  assert.equal(((await binHandle.result()) as ReturnState).status, 'DISPOSED');
  assert.equal((await pool('FBM-CAP-01', 'FBM'))?.onHand, 7, '5 + 2 restocked; the disposed unit is not stock');

  // Picking the same returns up again and repeating the signal change nothing.
  const second = await pickup();
  assert.deepEqual(second.map((r) => [r.newReturns, r.workflowsStarted]), [[0, 0], [0, 0]]);
  await assert.rejects(keepHandle.signal(inspectionSignal, { decision: 'RESTOCK', by: 'goods-in' }), /completed|not found/i);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await amazonQuantity('FBM-CAP-01'), 7);
  const restocks = await stack.db.select().from(schema.stockLedger).where(eq(schema.stockLedger.kind, 'RETURN_RESTOCK'));
  assert.equal(restocks.length, 1);
  assert.equal(restocks[0]?.onHandDelta, 2);
  const fbaEntries = await stack.db.select().from(schema.stockLedger).where(eq(schema.stockLedger.kind, 'FBA_RETURN'));
  assert.deepEqual(fbaEntries.map((e) => e.pool), ['FBA', 'FBA']);
  if (process.env.CONDUIT_RECORD_HISTORIES === '1') {
    await recordHistory('stock-returns-pickup', returnsPickupWorkflowId(stack.connectionId, 'test-1'));
    await recordHistory('stock-return-fbm-restocked', returnWorkflowId(stack.connectionId, keepId));
    await recordHistory('stock-return-fbm-disposed', returnWorkflowId(stack.connectionId, binId));
  }
});

/** CONDUIT_RECORD_HISTORIES=1 writes the run's history to test/replay/histories/ (replayed by test/replay). */
async function recordHistory(name: string, workflowId: string): Promise<void> {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  console.log(`recorded ${saveHistory(name, await decodeHistory(history, stack.client.workflow.options.loadedDataConverter.payloadCodecs))}`);
}
