/**
 * Stock end to end on the real stack (dev server, Postgres, simulator behind the real adapter):
 * warehouse adjustments reach Amazon in seconds and are validated like an operator expects, and a
 * hybrid SKU sold through both channels under load never shows Amazon more merchant-fulfilled
 * units than the FBM pool holds — FBA sales never touch that figure — and after settling Amazon's
 * FBM quantities equal the ledger for every SKU.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { adjustWarehouseStock, readStockView } from '../../activities/stock';
import { schema } from '../../db/client';
import { fbmAvailable } from '../../domain/stock';
import { formatAdjustResult, formatStockView } from '../../scripts/stock';
import { startStack, type Stack } from '../support/stack';
import { decodeHistory, saveHistory } from '../replay/history-file';
import { skuPushWorkflowId } from '../../workflows/contracts/stock';
import { waitForValue } from '../support/wait';

let stack: Stack;

before(async () => {
  stack = await startStack({ connectionId: `uk-stock-${randomBytes(3).toString('hex')}`, notifications: true });
});

after(async () => {
  await stack?.stop();
});

const adjustDeps = () => ({ db: stack.db, log: stack.deps.log, workflowClient: stack.client, taskQueue: stack.taskQueue, clock: () => new Date() });

async function amazonQuantity(sku: string): Promise<number> {
  return (await stack.control.listing(stack.sellerId, sku)).quantity;
}

async function ledgerFbm(sku: string): Promise<number> {
  const [pool] = await stack.db
    .select()
    .from(schema.stockPools)
    .where(and(eq(schema.stockPools.connectionId, stack.connectionId), eq(schema.stockPools.sku, sku), eq(schema.stockPools.pool, 'FBM')));
  const [item] = await stack.db.select().from(schema.catalogueItems).where(and(eq(schema.catalogueItems.connectionId, stack.connectionId), eq(schema.catalogueItems.sku, sku)));
  return fbmAvailable({ onHand: pool?.onHand ?? 0, allocated: pool?.allocated ?? 0, buffer: item?.buffer ?? 0 });
}

test('a warehouse adjustment reaches Amazon within seconds, once, and a retried script changes nothing', async () => {
  const started = Date.now();
  const result = await adjustWarehouseStock(adjustDeps(), { connectionId: stack.connectionId, sku: 'FBM-MUG-01', delta: 3, reason: 'found a box in goods-in', key: 'count-1' });
  assert.deepEqual(result, { ok: true, applied: true, onHand: 23, allocated: 0, fbmAvailable: 23 });
  await waitForValue('Amazon quantity of FBM-MUG-01', () => amazonQuantity('FBM-MUG-01'), (q) => q === 23);
  assert.ok(Date.now() - started < 10_000, `reached Amazon in ${Date.now() - started} ms`);

  const again = await adjustWarehouseStock(adjustDeps(), { connectionId: stack.connectionId, sku: 'FBM-MUG-01', delta: 3, reason: 'found a box in goods-in', key: 'count-1' });
  assert.equal(again.ok && again.applied, false, 'same --key: not applied twice');
  assert.match(formatAdjustResult('FBM-MUG-01', 3, 'count-1', again), /Already recorded/);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await amazonQuantity('FBM-MUG-01'), 23);
  const pushes = (await stack.control.listing(stack.sellerId, 'FBM-MUG-01')).quantityHistory.filter((c) => c.source === 'patch');
  assert.equal(pushes.length, 1, 'one push for one change; the repeat was skipped as unchanged');

  const [pool] = await stack.db.select().from(schema.stockPools).where(and(eq(schema.stockPools.sku, 'FBM-MUG-01'), eq(schema.stockPools.pool, 'FBM')));
  assert.equal(pool?.lastPushedQuantity, 23);
  const view = await readStockView(stack.db, stack.connectionId, 'FBM-MUG-01', new Date());
  assert.match(formatStockView(view!, new Date()), /offered to Amazon: 23/);
});

test('counting stock down reaches Amazon too (negative deltas go through the ledger)', async () => {
  const result = await adjustWarehouseStock(adjustDeps(), { connectionId: stack.connectionId, sku: 'FBM-MUG-01', delta: -2, reason: 'two chipped', key: 'count-2' });
  assert.deepEqual(result, { ok: true, applied: true, onHand: 21, allocated: 0, fbmAvailable: 21 });
  await waitForValue('Amazon quantity of FBM-MUG-01', () => amazonQuantity('FBM-MUG-01'), (q) => q === 21);
});

test('adjustments are refused with the reason and the numbers, and unknown SKUs name the near-miss', async () => {
  const base = { connectionId: stack.connectionId, reason: 'count', key: 'k' };
  const nearMiss = await adjustWarehouseStock(adjustDeps(), { ...base, sku: 'fbm-cap-01', delta: 1, key: 'nm' });
  assert.equal(nearMiss.ok, false);
  assert.match(!nearMiss.ok ? nearMiss.message : '', /looks like "FBM-CAP-01".*upper\/lower case/);
  const zero = await adjustWarehouseStock(adjustDeps(), { ...base, sku: 'FBM-CAP-01', delta: 0, key: 'z' });
  assert.match(!zero.ok ? zero.message : '', /whole number other than 0/);
  const noReason = await adjustWarehouseStock(adjustDeps(), { ...base, sku: 'FBM-CAP-01', delta: 1, reason: '  ', key: 'r' });
  assert.match(!noReason.ok ? noReason.message : '', /--reason is required/);
  const negative = await adjustWarehouseStock(adjustDeps(), { ...base, sku: 'FBM-CAP-01', delta: -6, key: 'neg' });
  assert.match(!negative.ok ? negative.message : '', /on hand is 5; -6 would make it -1/);
  const fbaOnly = await adjustWarehouseStock(adjustDeps(), { ...base, sku: 'FBA-BOOK-01', delta: 1, key: 'fba' });
  assert.equal(!fbaOnly.ok && fbaOnly.problem, 'FBA_ONLY');
  const entries = await stack.db.select().from(schema.stockLedger).where(eq(schema.stockLedger.sku, 'FBM-CAP-01'));
  assert.equal(entries.length, 1, 'only the opening count: nothing refused was written');
});

test('a hybrid SKU sold through FBA and FBM under load never shows Amazon more FBM units than the pool, and FBA sales never touch it', async () => {
  const hybrid = 'HYB-TEE-01';
  const fbmOrders = [
    ...Array.from({ length: 6 }, () => ({ fulfilledBy: 'MERCHANT' as const, items: [{ sku: hybrid, quantity: 1 }] })),
    ...Array.from({ length: 5 }, () => ({ fulfilledBy: 'MERCHANT' as const, items: [{ sku: 'FBM-MUG-01', quantity: 2 }] })),
  ];
  const fbaOrders = Array.from({ length: 8 }, () => ({ fulfilledBy: 'AMAZON' as const, items: [{ sku: hybrid, quantity: 1 }] }));
  // Interleave both channels in bursts, with warehouse adjustments landing in the middle of it.
  const created: Array<{ orderId: string; fulfilledBy: string }> = [];
  for (let i = 0; i < 4; i++) {
    const burst = [...fbmOrders.slice(i * 3, i * 3 + 3), ...fbaOrders.slice(i * 2, i * 2 + 2)];
    created.push(...(await stack.control.createOrders(stack.sellerId, burst)).orders);
    if (i === 1) await adjustWarehouseStock(adjustDeps(), { connectionId: stack.connectionId, sku: hybrid, delta: 2, reason: 'returned to shelf', key: 'load-1' });
    if (i === 2) await adjustWarehouseStock(adjustDeps(), { connectionId: stack.connectionId, sku: hybrid, delta: -1, reason: 'damaged', key: 'load-2' });
    await new Promise((r) => setTimeout(r, 300));
  }
  const fbmIds = new Set(created.filter((o) => o.fulfilledBy === 'MERCHANT').map((o) => o.orderId));
  const fbaIds = created.filter((o) => o.fulfilledBy === 'AMAZON').map((o) => o.orderId);

  // Every FBM order allocated (6 units of the tee, 10 mugs), then Amazon settles on the ledger's figure.
  const allocated = async () => {
    const pools = await stack.db.select().from(schema.stockPools).where(and(eq(schema.stockPools.connectionId, stack.connectionId), eq(schema.stockPools.pool, 'FBM')));
    return Object.fromEntries(pools.map((p) => [p.sku, p.allocated]));
  };
  await waitForValue('FBM allocations', allocated, (a) => a[hybrid] === 6 && a['FBM-MUG-01'] === 10, 45_000);
  // Conduit has seen the FBA sales too (recorded as AMAZON orders), and still the FBM figure ignores them.
  await waitForValue(
    'FBA orders recorded',
    async () => (await stack.db.select().from(schema.orders).where(and(eq(schema.orders.connectionId, stack.connectionId), eq(schema.orders.fulfilledBy, 'AMAZON')))).length,
    (n) => n === fbaIds.length,
  );
  const catalogue = await stack.db.select().from(schema.catalogueItems).where(eq(schema.catalogueItems.connectionId, stack.connectionId));
  const fbmSkus = catalogue.filter((c) => c.fulfilment !== 'FBA').map((c) => c.sku);
  for (const sku of fbmSkus) {
    const expected = await ledgerFbm(sku);
    await waitForValue(`Amazon's FBM quantity of ${sku}`, () => amazonQuantity(sku), (q) => q === expected, 20_000);
  }
  assert.equal(await ledgerFbm(hybrid), 10 + 2 - 1 - 6, 'tee: 10 on hand +2 −1, 6 allocated to FBM orders; the 8 FBA sales are not in it');

  // Every figure Conduit ever pushed for the tee is one the FBM ledger held at some point, never above the pool.
  const ledger = await stack.db
    .select()
    .from(schema.stockLedger)
    .where(and(eq(schema.stockLedger.connectionId, stack.connectionId), eq(schema.stockLedger.sku, hybrid), eq(schema.stockLedger.pool, 'FBM')))
    .orderBy(schema.stockLedger.id);
  let onHand = 0;
  let alloc = 0;
  let maxOnHand = 0;
  const ledgerFigures = new Set<number>();
  for (const e of ledger) {
    onHand += e.onHandDelta;
    alloc += e.allocatedDelta;
    maxOnHand = Math.max(maxOnHand, onHand);
    ledgerFigures.add(fbmAvailable({ onHand, allocated: alloc, buffer: 0 }));
  }
  const listing = await stack.control.listing(stack.sellerId, hybrid);
  const pushed = listing.quantityHistory.filter((c) => c.source === 'patch').map((c) => c.to);
  assert.ok(pushed.length > 0);
  for (const q of pushed) {
    assert.ok(ledgerFigures.has(q), `pushed ${q} is a figure the FBM ledger held (${[...ledgerFigures].join(',')})`);
    assert.ok(q <= maxOnHand, `pushed ${q} ≤ FBM on hand ${maxOnHand}`);
  }
  assert.ok(pushed.length < ledger.length, `bursts coalesced: ${pushed.length} pushes for ${ledger.length} FBM ledger entries`);

  // FBA sales never reached the FBM pool: its entries are the opening count, the two adjustments and FBM orders only.
  for (const e of ledger) {
    if (e.kind === 'ALLOCATE') assert.ok([...fbmIds].some((id) => e.reason.includes(id)), `allocation ${e.reason} belongs to an FBM order`);
    else assert.equal(e.kind, 'ADJUST');
    for (const id of fbaIds) assert.ok(!e.reason.includes(id), `FBA order ${id} never moves FBM stock`);
  }
  if (process.env.CONDUIT_RECORD_HISTORIES === '1') await recordHistory('stock-sku-push-hybrid', skuPushWorkflowId(stack.connectionId, hybrid));
});

/** CONDUIT_RECORD_HISTORIES=1 writes the run's history to test/replay/histories/ (replayed by test/replay). */
async function recordHistory(name: string, workflowId: string): Promise<void> {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  console.log(`recorded ${saveHistory(name, await decodeHistory(history, stack.client.workflow.options.loadedDataConverter.payloadCodecs))}`);
}
