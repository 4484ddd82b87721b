/**
 * The order workflows on the time-skipping server with stubbed activities: what an operator
 * sees when an FBM order is allocated, despatched, confirmed once and verified SHIPPED (with
 * verification retried on timers), when it is late for despatch, when a despatch is rejected,
 * when stock or SKUs are wrong, when Amazon cancels; FBA orders are only recorded; the download
 * loop follows pages, survives throttling without real waiting, and reports a misconfiguration.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { OrderActivities } from '../../activities/orders';
import type { RecordMovementsInput, RecordMovementsResult } from '../../activities/stock-ledger';
import type { FbmPool, StockMovement } from '../../domain/stock';
import { startTimeSkipping, type TimeSkipping } from '../support/time-skipping';
import {
  amazonOrderUpdatedSignal,
  despatchUpdate,
  downloadStatusQuery,
  orderStatusQuery,
  orderWorkflowId,
  retrySignal,
  VERIFY_SHIPPED_DELAYS,
  type DownloadPlan,
  type OrderSnapshot,
  type OrderStatus,
} from '../../workflows/contracts/orders';

let server: TimeSkipping;
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
const taskQueue = 'orders-workflow-test';
const MP = 'A1F83G8C2ARO7P';
const CONN = 'uk-acme';

/** A fake Amazon + Postgres the stubs read and write. */
const fake = {
  catalogue: [] as string[],
  pools: {} as Record<string, FbmPool>,
  movements: [] as StockMovement[],
  pushes: [] as string[][],
  confirmations: [] as string[],
  amazonStatusOnRead: [] as OrderSnapshot['status'][],
  reads: 0,
  saved: [] as Array<{ state: string; needsAttention: string | null }>,
  pages: [] as Array<{ nextToken?: string; maxLastUpdated: string | null; ordersSeen: number }>,
  pageCalls: [] as Array<string | undefined>,
  throttleNextPage: 0,
  cursor: null as string | null,
  planError: null as string | null,
};

let baseSnapshot: OrderSnapshot;

function snapshot(over: Partial<OrderSnapshot> = {}): OrderSnapshot {
  return { ...baseSnapshot, ...over };
}

const activities: Partial<OrderActivities> & {
  recordMovements(i: RecordMovementsInput): Promise<RecordMovementsResult>;
  requestStockPush(i: { connectionId: string; skus: string[] }): Promise<void>;
} = {
  async loadOrderRecord() {
    return null;
  },
  async catalogueCandidates() {
    return fake.catalogue;
  },
  async readFbmPools({ skus }) {
    return Object.fromEntries(skus.filter((s) => fake.pools[s]).map((s) => [s, fake.pools[s]!]));
  },
  async recordMovements({ movements }) {
    fake.movements.push(...movements);
    for (const m of movements) {
      const pool = fake.pools[m.sku];
      if (pool) {
        pool.onHand += m.onHandDelta;
        pool.allocated += m.allocatedDelta;
      }
    }
    return { ok: true, applied: movements.length, skipped: 0, fbmAvailable: {} };
  },
  async requestStockPush({ skus }) {
    fake.pushes.push(skus);
  },
  async saveOrderState(input) {
    fake.saved.push({ state: input.state, needsAttention: input.needsAttention });
  },
  async recordShipmentIntent() {},
  async confirmPackage({ body }) {
    fake.confirmations.push(body.packageDetail.trackingNumber);
    return { confirmedAt: new Date().toISOString(), via: 'CALL' as const };
  },
  async getAmazonOrder() {
    fake.reads++;
    const status = fake.amazonStatusOnRead.length > 1 ? fake.amazonStatusOnRead.shift()! : (fake.amazonStatusOnRead[0] ?? 'UNSHIPPED');
    return snapshot({ status, lastUpdatedAt: new Date(Date.parse(baseSnapshot.lastUpdatedAt) + fake.reads * 1000).toISOString() });
  },
  async markVerifiedShipped() {
    return new Date().toISOString();
  },
  async planOrderDownload() {
    if (fake.planError) throw ApplicationFailure.create({ type: 'InvalidInput', message: fake.planError, nonRetryable: true });
    const plan: DownloadPlan = {
      connectionId: CONN,
      previousCursor: '2026-11-27T09:00:00.000Z',
      now: '2026-11-27T10:00:00.000Z',
      window: { lastUpdatedAfter: '2026-11-27T09:00:00.000Z', lastUpdatedBefore: '2026-11-27T09:57:00.000Z' },
      marketplaceIds: [MP],
      filter: {},
    };
    return plan;
  },
  async downloadOrderPage({ paginationToken }) {
    if (fake.throttleNextPage > 0) {
      fake.throttleNextPage--;
      throw ApplicationFailure.create({ type: 'Throttled', message: 'No searchOrders token', nextRetryDelay: '3 minutes', details: [{ operation: 'searchOrders' }] });
    }
    fake.pageCalls.push(paginationToken);
    const page = fake.pages.shift() ?? { maxLastUpdated: null, ordersSeen: 0 };
    return { ...page, handedOff: page.ordersSeen, skipped: 0 };
  },
  async advanceOrderCursor(input) {
    fake.cursor = input.maxLastUpdated;
    return input.maxLastUpdated ?? input.now;
  },
};

before(async () => {
  server = await startTimeSkipping({ searchAttributes: true });
  ({ env, bundle } = server);
});

after(() => server?.teardown());

let orderSeq = 0;
beforeEach(async () => {
  orderSeq++;
  const now = new Date(await env.currentTimeMs()).toISOString();
  baseSnapshot = {
    amazonOrderId: `202-0000000-${String(1000000 + orderSeq)}`,
    marketplaceId: MP,
    fulfilledBy: 'MERCHANT',
    status: 'UNSHIPPED',
    purchasedAt: now,
    lastUpdatedAt: now,
    latestShipDate: new Date(Date.parse(now) + 2 * 86_400_000).toISOString(),
    lines: [
      { orderItemId: '11111111111111', sku: 'MUG-RED', quantityOrdered: 2, quantityShipped: 0 },
      { orderItemId: '22222222222222', sku: 'TEA-1KG', quantityOrdered: 1, quantityShipped: 0 },
    ],
    packages: [],
  };
  Object.assign(fake, {
    catalogue: ['MUG-RED', 'TEA-1KG'],
    pools: { 'MUG-RED': { onHand: 5, allocated: 0, buffer: 0 }, 'TEA-1KG': { onHand: 3, allocated: 0, buffer: 0 } },
    movements: [],
    pushes: [],
    confirmations: [],
    amazonStatusOnRead: ['SHIPPED'],
    reads: 0,
    saved: [],
    pages: [],
    pageCalls: [],
    throttleNextPage: 0,
    cursor: null,
    planError: null,
  });
});

async function withWorker<T>(fn: () => Promise<T>): Promise<T> {
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
  return worker.runUntil(fn);
}

const started: string[] = [];

/**
 * Waits until the workflow has asked for its stock push (its last activity before waiting), so
 * no activity is in flight when the test ends: the time-skipping server will not skip time
 * while an activity of a terminated workflow is outstanding.
 */
async function idle(): Promise<void> {
  for (let i = 0; i < 200 && fake.pushes.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 300));
}

afterEach(async () => {
  // A failed test must not leave a workflow running into the next one.
  for (const workflowId of started.splice(0)) await env.client.workflow.getHandle(workflowId).terminate('test finished').catch(() => {});
});

function startOrder(snap: OrderSnapshot = baseSnapshot) {
  started.push(orderWorkflowId(MP, snap.amazonOrderId));
  return env.client.workflow.signalWithStart('amazonOrder', {
    workflowId: orderWorkflowId(MP, snap.amazonOrderId),
    taskQueue,
    args: [{ connectionId: CONN, marketplaceId: MP, amazonOrderId: snap.amazonOrderId, downloadedVia: 'POLL' as const }],
    signal: amazonOrderUpdatedSignal,
    signalArgs: [snap],
  });
}

type Handle = Awaited<ReturnType<typeof startOrder>>;

async function until(handle: Handle, what: string, check: (s: OrderStatus) => boolean): Promise<OrderStatus> {
  for (let i = 0; i < 200; i++) {
    const status = await handle.query(orderStatusQuery);
    if (check(status)) return status;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await handle.query(orderStatusQuery))}`);
}

const despatchAll = (over: Record<string, unknown> = {}) => ({
  carrierCode: 'Royal Mail',
  shippingMethod: 'Tracked 24',
  trackingNumber: 'AB123456789GB',
  shipDate: new Date(Date.parse(baseSnapshot.purchasedAt) + 60_000).toISOString(),
  lines: [
    { orderItemId: '11111111111111', quantity: 2 },
    { orderItemId: '22222222222222', quantity: 1 },
  ],
  ...over,
});

test('FBM: allocated from the FBM pool, confirmed once, verified SHIPPED after timer retries', async () => {
  fake.amazonStatusOnRead = ['UNSHIPPED', 'UNSHIPPED', 'SHIPPED'];
  await withWorker(async () => {
    const handle = await startOrder();
    const allocated = await until(handle, 'allocation', (s) => s.state === 'ALLOCATED');
    assert.deepEqual(allocated.lines.map((l) => l.allocated), [2, 1]);
    assert.deepEqual(
      fake.movements.map((m) => [m.kind, m.pool, m.sku, m.allocatedDelta]),
      [
        ['ALLOCATE', 'FBM', 'MUG-RED', 2],
        ['ALLOCATE', 'FBM', 'TEA-1KG', 1],
      ],
    );
    for (let i = 0; i < 100 && fake.pushes.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(fake.pushes[0], ['MUG-RED', 'TEA-1KG'], 'a stock push was requested for the allocated SKUs');

    const result = await handle.executeUpdate(despatchUpdate, { args: [despatchAll()] });
    assert.deepEqual(result, { accepted: true, packageReferenceId: '1', duplicate: false });
    // The same despatch again (a warehouse retry) is recognised, not queued twice.
    assert.deepEqual(await handle.executeUpdate(despatchUpdate, { args: [despatchAll()] }), { accepted: true, packageReferenceId: '1', duplicate: true });

    const outcome = await handle.result();
    assert.equal(outcome.state, 'SHIPPED');
    assert.equal(outcome.needsAttention, false);
    assert.deepEqual(fake.confirmations, ['AB123456789GB']);
    assert.equal(fake.reads, 3, 'verification re-read Amazon on its timers until SHIPPED');
    assert.deepEqual(
      fake.movements.filter((m) => m.kind === 'DESPATCH').map((m) => [m.sku, m.onHandDelta]),
      [
        ['MUG-RED', -2],
        ['TEA-1KG', -1],
      ],
    );
    assert.equal(fake.saved.at(-1)?.state, 'SHIPPED');
  });
});

test('verification escalates to needs-attention when Amazon never shows SHIPPED, and completes once it does', async () => {
  fake.amazonStatusOnRead = ['UNSHIPPED'];
  await withWorker(async () => {
    const handle = await startOrder();
    await until(handle, 'allocation', (s) => s.state === 'ALLOCATED');
    await handle.executeUpdate(despatchUpdate, { args: [despatchAll()] });
    await until(handle, 'despatched', (s) => s.state === 'DESPATCHED');
    await env.sleep('2 hours');
    const stuck = await until(handle, 'escalation', (s) => s.needsAttention);
    assert.equal(stuck.state, 'DESPATCHED');
    assert.equal(stuck.attention[0]?.kind, 'NOT_SHOWN_SHIPPED');
    assert.match(stuck.attention[0]!.message, /Seller Central/);
    assert.ok(fake.reads >= VERIFY_SHIPPED_DELAYS.length);
    fake.amazonStatusOnRead = ['SHIPPED'];
    await handle.signal(retrySignal, { by: 'ops' });
    const outcome = await handle.result();
    assert.deepEqual(outcome, { state: 'SHIPPED', amazonStatus: 'SHIPPED', needsAttention: false });
  });
});

test('an FBM order not despatched by the latest ship date needs attention', async () => {
  const latestShipDate = new Date(Date.parse(baseSnapshot.purchasedAt) + 3 * 3_600_000).toISOString();
  await withWorker(async () => {
    const handle = await startOrder(snapshot({ latestShipDate }));
    await until(handle, 'allocation', (s) => s.state === 'ALLOCATED');
    assert.equal((await handle.query(orderStatusQuery)).needsAttention, false);
    await env.sleep('4 hours');
    const late = await until(handle, 'late flag', (s) => s.needsAttention);
    assert.equal(late.attention[0]?.kind, 'LATE_FOR_DESPATCH');
    assert.match(late.attention[0]!.message, new RegExp(latestShipDate));
    assert.ok(fake.saved.some((s) => s.needsAttention?.includes('due to ship')));
    // Despatching late still works and clears the flag once Amazon shows it shipped.
    await handle.executeUpdate(despatchUpdate, { args: [despatchAll({ shipDate: new Date(await env.currentTimeMs()).toISOString() })] });
    assert.equal((await handle.result()).needsAttention, false);
  });
});

test('a bad despatch is rejected with the reason, shows in the status query, and leaves the order untouched', async () => {
  await withWorker(async () => {
    const handle = await startOrder();
    await until(handle, 'allocation', (s) => s.state === 'ALLOCATED');
    const unknownCarrier = await handle.executeUpdate(despatchUpdate, { args: [despatchAll({ carrierCode: 'Pigeon Post' })] });
    assert.equal(unknownCarrier.accepted, false);
    assert.ok(!unknownCarrier.accepted && unknownCarrier.errors.some((e) => e.field === 'carrierCode'));
    const emptyTracking = await handle.executeUpdate(despatchUpdate, { args: [despatchAll({ trackingNumber: ' ' })] });
    assert.ok(!emptyTracking.accepted && emptyTracking.errors.some((e) => e.field === 'trackingNumber'));
    const strangerLine = await handle.executeUpdate(despatchUpdate, { args: [despatchAll({ lines: [{ orderItemId: '99999999999999', quantity: 1 }] })] });
    assert.ok(!strangerLine.accepted && strangerLine.errors.some((e) => /not an item on order/.test(e.message)));
    await assert.rejects(handle.executeUpdate(despatchUpdate, { args: [{ carrierCode: 1 } as never] }), (err: Error) => /despatch needs text fields/.test(String((err.cause as Error | undefined)?.message)));

    const status = await handle.query(orderStatusQuery);
    assert.equal(status.state, 'ALLOCATED');
    assert.deepEqual(status.packages, []);
    assert.match(status.lastDespatchRejection!.errors[0]!.message, /99999999999999/);
    assert.deepEqual(fake.confirmations, []);
    await handle.terminate('test done');
  });
});

test('a shortfall names the SKU and waits; a retry after restocking allocates', async () => {
  fake.pools['TEA-1KG'] = { onHand: 0, allocated: 0, buffer: 0 };
  await withWorker(async () => {
    const handle = await startOrder();
    const waiting = await until(handle, 'shortfall', (s) => s.state === 'AWAITING_STOCK');
    assert.equal(waiting.needsAttention, true);
    assert.match(waiting.attention[0]!.message, /TEA-1KG: 1 needed, 0 can be allocated/);
    assert.deepEqual(fake.movements, [], 'nothing allocated while any line is short');
    fake.pools['TEA-1KG'] = { onHand: 4, allocated: 0, buffer: 0 };
    await handle.signal(retrySignal, { by: 'ops', note: 'booked in 4' });
    const ok = await until(handle, 'allocation', (s) => s.state === 'ALLOCATED');
    assert.equal(ok.needsAttention, false);
    await idle();
  });
});

test('an order SKU that only nearly matches the catalogue waits with the near-miss named', async () => {
  fake.catalogue = ['mug-red', 'TEA-1KG'];
  await withWorker(async () => {
    const handle = await startOrder();
    const waiting = await until(handle, 'sku mismatch', (s) => s.state === 'SKU_MISMATCH');
    assert.equal(waiting.attention[0]?.kind, 'SKU_MISMATCH');
    assert.match(waiting.attention[0]!.message, /"MUG-RED".*looks like "mug-red".*upper\/lower case/);
    assert.deepEqual(fake.movements, []);
    fake.catalogue = ['MUG-RED', 'TEA-1KG'];
    fake.pools['MUG-RED'] = { onHand: 5, allocated: 0, buffer: 0 };
    await handle.signal(retrySignal, { by: 'ops' });
    await until(handle, 'allocation', (s) => s.state === 'ALLOCATED');
    await idle();
  });
});

test('Amazon cancelling before despatch releases the allocation', async () => {
  await withWorker(async () => {
    const handle = await startOrder();
    await until(handle, 'allocation', (s) => s.state === 'ALLOCATED');
    await handle.signal(amazonOrderUpdatedSignal, snapshot({ status: 'CANCELLED', lastUpdatedAt: new Date(Date.parse(baseSnapshot.lastUpdatedAt) + 60_000).toISOString() }));
    const outcome = await handle.result();
    assert.deepEqual(outcome, { state: 'CANCELLED', amazonStatus: 'CANCELLED', needsAttention: false });
    assert.deepEqual(
      fake.movements.filter((m) => m.kind === 'RELEASE').map((m) => [m.sku, m.allocatedDelta]),
      [
        ['MUG-RED', -2],
        ['TEA-1KG', -1],
      ],
    );
    assert.deepEqual(fake.pools['MUG-RED'], { onHand: 5, allocated: 0, buffer: 0 });
  });
});

test('FBA orders are recorded only: no allocation, no despatch, done when Amazon ships them', async () => {
  await withWorker(async () => {
    const fba = snapshot({ fulfilledBy: 'AMAZON' });
    const handle = await startOrder(fba);
    await until(handle, 'recorded', (s) => s.state === 'FBA_RECORDED');
    const refused = await handle.executeUpdate(despatchUpdate, { args: [despatchAll()] });
    assert.ok(!refused.accepted && /fulfilled by Amazon/.test(refused.errors[0]!.message));
    await handle.signal(amazonOrderUpdatedSignal, { ...fba, status: 'SHIPPED', lastUpdatedAt: new Date(Date.parse(fba.lastUpdatedAt) + 1000).toISOString() });
    assert.equal((await handle.result()).state, 'FBA_SHIPPED');
    assert.deepEqual(fake.movements, []);
    assert.deepEqual(fake.confirmations, []);
  });
});

test('the download follows every page, waits out throttling on the server clock, then advances the cursor', async () => {
  fake.pages = [
    { nextToken: 't2', maxLastUpdated: '2026-11-27T09:10:00.000Z', ordersSeen: 100 },
    { nextToken: 't3', maxLastUpdated: '2026-11-27T09:40:00.000Z', ordersSeen: 100 },
    { maxLastUpdated: '2026-11-27T09:20:00.000Z', ordersSeen: 7 },
  ];
  fake.throttleNextPage = 2;
  await withWorker(async () => {
    const started = Date.now();
    const handle = await env.client.workflow.start('orderDownload', { workflowId: 'order-download:uk-acme-test', taskQueue, args: [{ connectionId: CONN }] });
    const status = await handle.result();
    assert.equal(status.phase, 'DONE');
    assert.equal(status.pages, 3);
    assert.equal(status.ordersSeen, 207);
    assert.deepEqual(fake.pageCalls, [undefined, 't2', 't3']);
    assert.equal(fake.cursor, '2026-11-27T09:40:00.000Z', 'cursor from the newest change seen across all pages');
    assert.ok(Date.now() - started < 20_000, 'two 3-minute throttling waits took no real time');
  });
});

test('a misconfigured marketplace fails the download as InvalidInput with needs-attention, not retried', async () => {
  fake.planError = 'Connection uk-acme is authorised in the EU region but lists marketplace ATVPDKIKX0DER (NA region)';
  await withWorker(async () => {
    const handle = await env.client.workflow.start('orderDownload', { workflowId: 'order-download:uk-acme-bad', taskQueue, args: [{ connectionId: CONN }] });
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.equal((err.cause as ApplicationFailure).type, 'InvalidInput');
      assert.match(err.cause!.message, /ATVPDKIKX0DER/);
      return true;
    });
    const status = await handle.query(downloadStatusQuery);
    assert.equal(status.phase, 'NEEDS_ATTENTION');
    assert.deepEqual(fake.pageCalls, []);
  });
});
