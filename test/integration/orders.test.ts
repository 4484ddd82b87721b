/**
 * The order lifecycle end to end: real dev server, real Postgres, the SP-API simulator, the real
 * adapter, a real worker, the order-download Schedule and the ORDER_CHANGE receiver. A mixed
 * batch (FBM, multi-line, FBA, a hybrid SKU sold both ways, a cancellation before and after
 * despatch, a duplicate download, a notification-driven order) ends with every order in the
 * right state exactly once, one accepted confirmation per despatched package on the simulated
 * Amazon, and no FBA stock touched. Prints the download latency for polling and notifications.
 *
 * CONDUIT_RECORD_HISTORIES=1 also writes the runs' histories to test/replay/histories/.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { ScheduleHandle } from '@temporalio/client';
import { and, eq, sql } from 'drizzle-orm';
import { ensureOrderDownloadSchedule } from '../../activities/orders';
import { schema } from '../../db/client';
import type { SimOrderView } from '../../simulator/control-client';
import {
  despatchUpdate,
  orderNotificationWorkflowId,
  orderStatusQuery,
  orderWorkflowId,
  type DespatchRequest,
  type OrderStatus,
} from '../../workflows/contracts/orders';
import { scheduleId } from '../../workflows/contracts/schedules';
import { NeedsAttentionKey } from '../../workflows/contracts/search-attributes';
import { decodeHistory, saveHistory } from '../replay/history-file';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';

let stack: Stack;
let schedule: ScheduleHandle;
const POLL_MS = 4000;
const latency: Array<{ path: string; order: string; ms: number }> = [];

before(async () => {
  stack = await startStack({
    connectionId: `uk-orders-${randomBytes(3).toString('hex')}`,
    notifications: true,
    simulator: { fbaShipSeconds: 60 },
  });
  // Amazon's clock is the simulator's (60× real time): the download window and cursor follow it.
  stack.deps.clock = () => new Date(stack.simulator.sim.core.now());
  // Polling first, on its own: notifications are switched on later for the notification path.
  await stack.control.setNotificationUrl(null);
});

after(async () => {
  await schedule?.delete().catch(() => {});
  await stack?.stop();
});

const handleOf = (orderId: string) => stack.client.workflow.getHandle(orderWorkflowId(stack.marketplaceId, orderId));
const statusOf = (orderId: string): Promise<OrderStatus> => handleOf(orderId).query(orderStatusQuery);

async function stateIs(orderId: string, ...states: OrderStatus['state'][]): Promise<OrderStatus> {
  return waitFor(`${orderId} in ${states.join('/')}`, async () => {
    const s = await statusOf(orderId).catch(() => undefined);
    return s && states.includes(s.state) ? s : undefined;
  });
}

async function rowAppears(orderId: string, createdAtReal: number, path: string): Promise<void> {
  const row = await waitFor(`row for ${orderId}`, async () => {
    const [r] = await stack.db.select().from(schema.orders).where(eq(schema.orders.amazonOrderId, orderId));
    return r;
  });
  latency.push({ path, order: orderId, ms: row.firstSeenAt.getTime() - createdAtReal });
}

function despatchOf(order: SimOrderView, lines: Array<{ orderItemId: string; quantity: number }>, tracking: string): DespatchRequest {
  return {
    carrierCode: 'Royal Mail',
    shippingMethod: 'Tracked 24',
    trackingNumber: tracking,
    shipDate: new Date(Date.parse(order.createdAt) + 60_000).toISOString(),
    lines,
    by: 'integration test',
  };
}

const allLines = (order: SimOrderView) => order.items.map((i) => ({ orderItemId: i.orderItemId, quantity: i.quantityOrdered }));

test('the order-download schedule is created once, every ORDER_POLL_INTERVAL, and visible', async () => {
  const settings = { connectionId: stack.connectionId, intervalMs: POLL_MS, taskQueue: stack.taskQueue };
  assert.deepEqual(await ensureOrderDownloadSchedule(stack.client, settings), { scheduleId: scheduleId('order-download', stack.connectionId), created: true });
  assert.equal((await ensureOrderDownloadSchedule(stack.client, settings)).created, false, 'calling it again changes nothing');
  schedule = stack.client.schedule.getHandle(scheduleId('order-download', stack.connectionId));
  const description = await schedule.describe();
  assert.equal(description.spec.intervals?.[0]?.every, POLL_MS);
  assert.equal(description.action.type, 'startWorkflow');
  assert.equal(description.action.type === 'startWorkflow' ? description.action.workflowType : '', 'orderDownload');
  assert.equal(description.state.paused, false);
  assert.equal(description.policies.overlap, 'SKIP');
});

let batch: Record<'fbm' | 'multi' | 'fba' | 'hybridFbm' | 'hybridFba' | 'cancelEarly' | 'cancelLate', SimOrderView>;

test('a mixed batch downloaded by polling: FBM allocated from the FBM pool only, FBA recorded', async () => {
  const createdAt = Date.now();
  const { orders } = await stack.control.createOrders(stack.sellerId, [
    { fulfilledBy: 'MERCHANT', items: [{ sku: 'FBM-MUG-01', quantity: 2 }], pendingSeconds: 0 },
    { fulfilledBy: 'MERCHANT', items: [{ sku: 'FBM-MUG-01', quantity: 1 }, { sku: 'FBM-CAP-01', quantity: 2 }], pendingSeconds: 0 },
    { fulfilledBy: 'AMAZON', items: [{ sku: 'FBA-BOOK-01', quantity: 1 }], pendingSeconds: 0 },
    { fulfilledBy: 'MERCHANT', items: [{ sku: 'HYB-TEE-01', quantity: 3 }], pendingSeconds: 0 },
    { fulfilledBy: 'AMAZON', items: [{ sku: 'HYB-TEE-01', quantity: 2 }], pendingSeconds: 0 },
    { fulfilledBy: 'MERCHANT', items: [{ sku: 'FBM-CAP-01', quantity: 1 }], pendingSeconds: 0 },
    { fulfilledBy: 'MERCHANT', items: [{ sku: 'HYB-TEE-01', quantity: 1 }, { sku: 'FBM-MUG-01', quantity: 1 }], pendingSeconds: 0 },
  ]);
  const [fbm, multi, fba, hybridFbm, hybridFba, cancelEarly, cancelLate] = orders as SimOrderView[];
  batch = { fbm: fbm!, multi: multi!, fba: fba!, hybridFbm: hybridFbm!, hybridFba: hybridFba!, cancelEarly: cancelEarly!, cancelLate: cancelLate! };
  await Promise.all(orders.map((o) => rowAppears(o.orderId, createdAt, 'polling (schedule)')));

  for (const o of [fbm, multi, hybridFbm, cancelEarly, cancelLate]) await stateIs(o!.orderId, 'ALLOCATED');
  for (const o of [fba, hybridFba]) {
    const s = await stateIs(o!.orderId, 'FBA_RECORDED', 'FBA_SHIPPED');
    assert.equal(s.route, 'FBA');
    assert.ok(s.lines.every((l) => l.allocated === 0));
  }
  const pools = await stack.db.select().from(schema.stockPools).where(eq(schema.stockPools.connectionId, stack.connectionId));
  const fbmPool = (sku: string) => pools.find((p) => p.sku === sku && p.pool === 'FBM');
  assert.equal(fbmPool('FBM-MUG-01')?.allocated, 4);
  assert.equal(fbmPool('FBM-CAP-01')?.allocated, 3);
  assert.equal(fbmPool('HYB-TEE-01')?.allocated, 4, 'the hybrid SKU allocates only its FBM orders (3 + 1), not the FBA order');
  assert.deepEqual(pools.filter((p) => p.pool === 'FBA'), [], 'FBM allocation never creates or touches an FBA pool');
});

test('a repeated download (cursor wound back) duplicates nothing', async () => {
  const count = async () => ({
    orders: await stack.db.$count(schema.orders, eq(schema.orders.connectionId, stack.connectionId)),
    lines: Number((await stack.db.execute<{ n: number }>(sql`select count(*)::int as n from order_lines`))[0]!.n),
    ledger: await stack.db.$count(schema.stockLedger, and(eq(schema.stockLedger.connectionId, stack.connectionId), eq(schema.stockLedger.kind, 'ALLOCATE'))),
  });
  const before = await count();
  await stack.db.update(schema.connections).set({ orderCursor: new Date(Date.parse(batch.fbm.createdAt) - 3_600_000) }).where(eq(schema.connections.id, stack.connectionId));
  const runsBefore = (await schedule.describe()).info.recentActions.length;
  await schedule.trigger();
  await waitFor('another download run', async () => (await schedule.describe()).info.recentActions.length > runsBefore + 1);
  assert.deepEqual(await count(), before);
  assert.equal(before.ledger, 7, 'one ALLOCATE per FBM order line (1 + 2 + 1 + 1 + 2), once');
});

test('despatch: one confirmShipment per package, verified SHIPPED on Amazon; cancellations before and after despatch', async () => {
  const { fbm, multi, hybridFbm, cancelEarly, cancelLate } = batch;
  await stack.control.cancelOrder(cancelEarly.orderId, { reason: 'Buyer changed mind' });

  for (const [order, tracking] of [[fbm, 'RM100000001GB'], [multi, 'RM100000002GB'], [hybridFbm, 'RM100000003GB']] as const) {
    const result = await handleOf(order.orderId).executeUpdate(despatchUpdate, { args: [despatchOf(order, allLines(order), tracking)] });
    assert.deepEqual(result, { accepted: true, packageReferenceId: '1', duplicate: false });
  }
  // A despatch naming a line that is not on the order is refused at once and changes nothing.
  const refused = await handleOf(fbm.orderId).executeUpdate(despatchUpdate, {
    args: [despatchOf(fbm, [{ orderItemId: '00000000000000', quantity: 1 }], 'RM100000009GB')],
  });
  assert.equal(refused.accepted, false);

  // Part of the late-cancelled order leaves, then the buyer cancels the rest.
  const teeLine = cancelLate.items.find((i) => i.sku === 'HYB-TEE-01')!;
  await handleOf(cancelLate.orderId).executeUpdate(despatchUpdate, { args: [despatchOf(cancelLate, [{ orderItemId: teeLine.orderItemId, quantity: 1 }], 'RM100000004GB')] });
  await waitFor('first package confirmed', async () => (await statusOf(cancelLate.orderId)).packages[0]?.status === 'CONFIRMED');
  await stack.control.cancelOrder(cancelLate.orderId, { reason: 'Buyer cancelled remaining items' });

  for (const o of [fbm, multi, hybridFbm]) {
    const s = await stateIs(o.orderId, 'SHIPPED');
    assert.equal(s.needsAttention, false);
    assert.ok(s.verifiedShippedAt);
    const onAmazon = await stack.control.order(o.orderId);
    assert.equal(onAmazon.status, 'SHIPPED');
    assert.equal(onAmazon.confirmationsCount, 1, `exactly one accepted confirmation for ${o.orderId}`);
  }
  const early = await stateIs(cancelEarly.orderId, 'CANCELLED');
  assert.equal(early.needsAttention, false);
  const late = await stateIs(cancelLate.orderId, 'CANCELLED_AFTER_DESPATCH');
  assert.equal(late.needsAttention, true);
  assert.match(late.attention[0]!.message, /RM100000004GB/);
  assert.equal((await stack.control.order(cancelLate.orderId)).confirmationsCount, 1);

  const row = await waitFor('the orders row to show the late cancellation', async () => {
    const [r] = await stack.db.select().from(schema.orders).where(eq(schema.orders.amazonOrderId, cancelLate.orderId));
    return r?.state === 'CANCELLED_AFTER_DESPATCH' ? r : undefined;
  });
  assert.match(row!.needsAttention ?? '', /cancelled .* after 1 package/);
  const shipments = await stack.db.select().from(schema.shipments);
  assert.equal(shipments.length, 4);
  assert.ok(shipments.every((s) => s.confirmedAt !== null));

  // FBA orders finish when Amazon ships them; nothing was confirmed for them.
  for (const o of [batch.fba, batch.hybridFba]) {
    await stateIs(o.orderId, 'FBA_SHIPPED');
    assert.equal((await stack.control.order(o.orderId)).confirmationsCount, 0);
  }

  const pools = await stack.db.select().from(schema.stockPools).where(eq(schema.stockPools.connectionId, stack.connectionId));
  const fbmPool = (sku: string) => pools.find((p) => p.sku === sku && p.pool === 'FBM')!;
  assert.deepEqual([fbmPool('FBM-MUG-01').onHand, fbmPool('FBM-MUG-01').allocated], [20 - 3, 0]);
  assert.deepEqual([fbmPool('FBM-CAP-01').onHand, fbmPool('FBM-CAP-01').allocated], [5 - 2, 0]);
  assert.deepEqual([fbmPool('HYB-TEE-01').onHand, fbmPool('HYB-TEE-01').allocated], [10 - 4, 0]);
  assert.deepEqual(pools.filter((p) => p.pool === 'FBA'), []);
  const fbaLedger = await stack.db.$count(schema.stockLedger, eq(schema.stockLedger.pool, 'FBA'));
  assert.equal(fbaLedger, 0);
});

test('an ORDER_CHANGE notification brings a new order in at once; a redelivery is a no-op', async () => {
  await schedule.pause('notification path measured on its own');
  await stack.control.setNotificationUrl(stack.notifications!.url);
  const createdAt = Date.now();
  const { orders } = await stack.control.createOrders(stack.sellerId, [{ fulfilledBy: 'MERCHANT', items: [{ sku: 'FBM-MUG-01', quantity: 1 }], pendingSeconds: 0 }]);
  const order = orders[0]!;
  await rowAppears(order.orderId, createdAt, 'ORDER_CHANGE notification');
  const [row] = await stack.db.select().from(schema.orders).where(eq(schema.orders.amazonOrderId, order.orderId));
  assert.equal(row!.downloadedVia, 'NOTIFICATION');
  await stateIs(order.orderId, 'ALLOCATED');

  const delivery = await waitFor('delivery record', async () => (await stack.control.notifications({ orderId: order.orderId })).deliveries.find((d) => d.status === 'delivered'));
  const again = await fetch(stack.notifications!.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(delivery.payload) });
  assert.equal(again.status, 200);
  assert.deepEqual(await again.json(), { duplicate: true, workflowId: orderNotificationWorkflowId(delivery.notificationId) });
  const bad = await fetch(stack.notifications!.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ NotificationType: 'ORDER_CHANGE' }) });
  assert.equal(bad.status, 400);
  assert.equal(await stack.db.$count(schema.orders, eq(schema.orders.amazonOrderId, order.orderId)), 1);

  if (process.env.CONDUIT_RECORD_HISTORIES === '1') await recordHistories(orderNotificationWorkflowId(delivery.notificationId));
});

test('a connection listing a marketplace outside its region is reported and its schedule pauses, without calling Amazon', async () => {
  const [main] = await stack.db.select().from(schema.connections).where(eq(schema.connections.id, stack.connectionId));
  const misconfigured = `${stack.connectionId}-us`;
  // The UK (EU-region) authorisation, wrongly pointed at Amazon.com.
  await stack.db.insert(schema.connections).values({
    id: misconfigured,
    sellerId: `${main!.sellerId}X`,
    region: 'eu',
    marketplaceIds: ['ATVPDKIKX0DER'],
    refreshTokenEnc: main!.refreshTokenEnc,
  });
  const { scheduleId: id } = await ensureOrderDownloadSchedule(stack.client, { connectionId: misconfigured, intervalMs: 2_000, taskQueue: stack.taskQueue });
  const bad = stack.client.schedule.getHandle(id);
  try {
    const runId = await waitFor('the triggered run', async () => (await bad.describe()).info.recentActions.at(-1)?.action.workflow.workflowId);
    const run = stack.client.workflow.getHandle(runId);
    await assert.rejects(run.result(), (err: Error) => /ATVPDKIKX0DER.*never serves it/.test(String((err.cause as Error | undefined)?.message)));
    const described = await run.describe();
    assert.equal(described.status.name, 'FAILED');
    assert.equal(described.typedSearchAttributes.get(NeedsAttentionKey), true);
    await assert.rejects(run.result(), (err: Error) => /ATVPDKIKX0DER.*never serves it/.test(String((err.cause as Error | undefined)?.message)));
    assert.equal(await stack.db.$count(schema.channelLog, eq(schema.channelLog.connectionId, misconfigured)), 0, 'no SP-API call was made for it');
    assert.equal((await bad.describe()).policies.pauseOnFailure, true);
    // pauseOnFailure: the scheduler pauses once it has seen the failed run (it looks on its next wake-up).
    const paused = await waitFor('the schedule to pause itself', async () => ((await bad.describe()).state.paused ? true : undefined), 20_000);
    assert.equal(paused, true);
  } finally {
    await bad.delete().catch(() => {});
  }
});

test('download latency (informational)', () => {
  console.log('\nOrder appears on Amazon → row in Postgres');
  console.table(latency.map((l) => ({ path: l.path, order: l.order, 'latency ms': l.ms })));
});

async function recordHistories(notificationWorkflowId: string): Promise<void> {
  const codecs = stack.client.workflow.options.loadedDataConverter.payloadCodecs;
  const recent = (await schedule.describe()).info.recentActions;
  const download = recent.at(-1)?.action.workflow.workflowId;
  const runs: Record<string, string> = {
    'order-fbm-shipped': orderWorkflowId(stack.marketplaceId, batch.multi.orderId),
    'order-fba-shipped': orderWorkflowId(stack.marketplaceId, batch.fba.orderId),
    'order-cancelled-before-despatch': orderWorkflowId(stack.marketplaceId, batch.cancelEarly.orderId),
    'order-cancelled-after-despatch': orderWorkflowId(stack.marketplaceId, batch.cancelLate.orderId),
    'order-notification': notificationWorkflowId,
    ...(download ? { 'order-download': download } : {}),
  };
  for (const [name, workflowId] of Object.entries(runs)) {
    const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    console.log(`recorded ${saveHistory(name, await decodeHistory(history, codecs))}`);
  }
}
