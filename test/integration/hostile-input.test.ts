/**
 * Hostile input, end to end (real dev server, Postgres, simulator, real worker): malformed SP-API
 * payloads, a full page of big orders, unicode and whitespace SKUs, negative and fractional
 * quantities, duplicate signals and notifications, unknown order ids, bad command lines for every
 * operator command, and a bad environment. Each one gets a clear error (naming what is wrong and,
 * where there is one, the fix) and changes nothing it should not: the tables are compared before
 * and after (the channel log and rate buckets excepted — a refused call is still a call).
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { WorkflowFailedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { and, desc, eq, sql } from 'drizzle-orm';
import { createStockLedgerActivities } from '../../activities/stock-ledger';
import { adjustWarehouseStock } from '../../activities/stock';
import { queueListingChanges } from '../../activities/feeds';
import { silentLogger } from '../../activities/deps';
import { ConfigError, loadConfig } from '../../config';
import { schema } from '../../db/client';
import { main as conduit } from '../../scripts/conduit';
import type { SimCatalogueItem } from '../../simulator/control-client';
import {
  amazonOrderUpdatedSignal,
  despatchUpdate,
  orderNotificationWorkflowId,
  orderStatusQuery,
  orderWorkflowId,
  type DownloadStatus,
  type OrderSnapshot,
  type OrderStatus,
} from '../../workflows/contracts/orders';
import { defaultCatalogue, seedConduitCatalogue, startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';

const connectionId = `uk-hostile-${randomBytes(2).toString('hex')}`;
/** Listed on Amazon but not in Conduit's catalogue: near-misses of FBM-MUG-01 / FBM-CAP-01 and an unknown SKU. */
const HOSTILE_SKUS = ['FBM-MUG-01 ', ' FBM-MUG-01', 'ＦＢＭ-CAP-01', 'FBM\u2010MUG\u201001', 'fbm-mug-01', 'FBM-MUG-01\u200b', 'ZZ-UNKNOWN-9'];
const hostileListings: SimCatalogueItem[] = HOSTILE_SKUS.map((sku, i) => ({ sku, asin: `B0HOST000${i}`, title: `hostile ${i}`, productType: 'DRINKING_CUP', price: 5, fulfilment: 'FBM', fbmQuantity: 50 }));

let stack: Stack;

before(async () => {
  // FBA orders never ship during the file, so no late Amazon change moves a row between a before and an after snapshot.
  stack = await startStack({ connectionId, notifications: true, catalogue: [...defaultCatalogue, ...hostileListings], seedConduit: false, simulator: { fbaShipSeconds: 30 * 86_400 } });
  await seedConduitCatalogue(stack.db, connectionId, defaultCatalogue);
  stack.deps.clock = () => new Date(stack.simulator.sim.core.now());
  // Orders come only when a test asks for them (a download run or a POSTed notification).
  await stack.control.setNotificationUrl(null);
});

after(async () => {
  await stack?.stop();
});

/**
 * A fingerprint of every table a refused input must not touch. Left out: the channel log and rate
 * buckets (a refused call is still a call), the short-lived push locks, and what Amazon last
 * accepted (stock pushes of earlier tests settle in the background) — but never stock itself.
 */
async function snapshot(): Promise<Record<string, string>> {
  const tables = await stack.db.execute<{ table_name: string }>(
    sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'
        and table_name not in ('channel_log', 'rate_buckets', 'sku_feed_locks', 'stock_pools', '__drizzle_migrations')`,
  );
  const out: Record<string, string> = {};
  const fingerprint = async (name: string, rows: ReturnType<typeof sql>) => {
    const [row] = await stack.db.execute<{ digest: string | null; n: number }>(sql`select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as digest, count(*)::int as n from (${rows}) t`);
    out[name] = `${row?.n ?? 0}:${row?.digest ?? ''}`;
  };
  for (const { table_name } of tables) await fingerprint(table_name, sql`select * from ${sql.identifier(table_name)}`);
  await fingerprint('stock_pools (stock)', sql`select connection_id, sku, pool, on_hand, allocated, fba_inbound, fba_reserved, fba_unfulfillable from stock_pools`);
  return out;
}

/** Stock pushes and feeds settle on their own; wait until nothing moves before taking a "before" snapshot. */
async function quiet(): Promise<Record<string, string>> {
  let last = await snapshot();
  let same = 0;
  for (let i = 0; i < 60 && same < 3; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await snapshot();
    same = JSON.stringify(now) === JSON.stringify(last) ? same + 1 : 0;
    last = now;
  }
  return last;
}

async function assertUnchanged(before: Record<string, string>, what: string): Promise<void> {
  const now = await snapshot();
  const changed = Object.keys(before).filter((t) => before[t] !== now[t]);
  assert.deepEqual(changed, [], `${what} changed table(s) ${changed.join(', ')}`);
}

/** Runs one order-download (what the schedule starts) once Amazon's 2-minute rule lets it see everything created so far. */
async function download(): Promise<DownloadStatus> {
  const clearOf = stack.simulator.sim.core.now() + 3.5 * 60_000;
  await waitFor('the download window to pass the newest order', async () => stack.simulator.sim.core.now() > clearOf);
  return stack.client.workflow.execute('orderDownload', { taskQueue: stack.taskQueue, workflowId: `hostile-download-${randomUUID()}`, args: [{ connectionId }] });
}

const handleOf = (orderId: string) => stack.client.workflow.getHandle(orderWorkflowId(stack.marketplaceId, orderId));
const statusOf = (orderId: string): Promise<OrderStatus> => handleOf(orderId).query(orderStatusQuery);
const inState = (orderId: string, ...states: OrderStatus['state'][]) =>
  waitFor(`${orderId} in ${states.join('/')}`, async () => {
    const s = await statusOf(orderId);
    return states.includes(s.state) ? s : undefined;
  });

/** The ORDER_CHANGE notification Amazon would POST (shape of OrderChangeNotification.json). */
function orderChange(orderId: string, notificationId: string): Record<string, unknown> {
  return {
    NotificationVersion: '1.0',
    NotificationType: 'ORDER_CHANGE',
    PayloadVersion: '1.0',
    EventTime: new Date(stack.simulator.sim.core.now()).toISOString(),
    Payload: {
      OrderChangeNotification: {
        NotificationLevel: 'OrderLevel',
        SellerId: stack.sellerId,
        AmazonOrderId: orderId,
        OrderChangeType: 'OrderStatusChange',
        OrderChangeTrigger: { TimeOfOrderChange: new Date().toISOString(), ChangeReason: 'Order created' },
        Summary: { MarketplaceId: stack.marketplaceId, OrderStatus: 'Unshipped', FulfillmentType: 'MFN', OrderItems: [] },
      },
    },
    NotificationMetadata: { ApplicationId: stack.app.applicationId, SubscriptionId: 'sub-1', PublishTime: new Date().toISOString(), NotificationId: notificationId },
  };
}

const notify = (body: unknown) =>
  fetch(stack.notifications!.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

// ---- SP-API payloads ----------------------------------------------------------------------------

test('a malformed searchOrders page: the run fails naming the broken response; no order, no cursor move', async () => {
  await stack.control.createOrders(stack.sellerId, [{ fulfilledBy: 'MERCHANT', items: [{ sku: 'FBM-MUG-01', quantity: 1 }], pendingSeconds: 0 }]);
  const before = await quiet();
  await stack.control.setFaults([{ operation: 'orders.searchOrders', kind: 'malformedJson', count: 1, sellerId: stack.sellerId }]);
  const failed = await download().then(
    () => assert.fail('the download should fail on a body that is not JSON'),
    (err: unknown) => err,
  );
  assert.ok(failed instanceof WorkflowFailedError);
  const cause = (failed.cause as Error & { cause?: Error }).cause ?? failed.cause;
  assert.match(String(cause?.message), /searchOrders.*not JSON/i, 'the failure says which call and what was wrong');
  await assertUnchanged(before, 'a malformed page');
  const [logged] = await stack.db.select().from(schema.channelLog).where(eq(schema.channelLog.operation, 'searchOrders')).orderBy(desc(schema.channelLog.id)).limit(1);
  assert.equal(logged?.errorType, 'BadResponse', 'the channel log names it a bad response, not a throttle or an auth problem');

  // Amazon answers properly again: the next run downloads the order exactly once.
  const status = await download();
  assert.equal(status.phase, 'DONE');
  assert.equal(status.handedOff, 1);
});

test('a malformed getOrder for a notification: the notification run fails clearly and stores nothing', async () => {
  const { orders } = await stack.control.createOrders(stack.sellerId, [{ fulfilledBy: 'AMAZON', items: [{ sku: 'FBA-BOOK-01', quantity: 1 }], pendingSeconds: 0 }]);
  const before = await quiet();
  await stack.control.setFaults([{ operation: 'orders.getOrder', kind: 'malformedJson', count: 1, sellerId: stack.sellerId }]);
  const id = `hostile-${randomUUID()}`;
  assert.equal((await notify(orderChange(orders[0]!.orderId, id))).status, 202);
  const handle = stack.client.workflow.getHandle(orderNotificationWorkflowId(id));
  await assert.rejects(handle.result(), (err: unknown) => err instanceof WorkflowFailedError && /getOrder.*not JSON/i.test(String((err.cause as Error & { cause?: Error })?.cause?.message)));
  await assertUnchanged(before, 'a malformed getOrder');
});

test('a huge page: 100 orders of 5 lines each come in full pages of 100, every line stored once', async () => {
  await download(); // whatever earlier tests left on Amazon
  const skus = ['FBA-BOOK-01', 'HYB-TEE-01', 'FBA-BOOK-01', 'HYB-TEE-01', 'FBA-BOOK-01'];
  const requests = Array.from({ length: 100 }, () => ({ fulfilledBy: 'AMAZON' as const, items: skus.map((sku) => ({ sku, quantity: 1 })), pendingSeconds: 0 }));
  const { orders } = await stack.control.createOrders(stack.sellerId, requests);
  const callsBefore = (await stack.control.stats()).operations['orders.searchOrders']?.calls ?? 0;
  const status = await download();
  assert.ok(status.handedOff >= 100, `handed off ${status.handedOff}`);
  const pages = ((await stack.control.stats()).operations['orders.searchOrders']?.calls ?? 0) - callsBefore;
  assert.equal(pages, Math.ceil(status.ordersSeen / 100), `${status.ordersSeen} orders in ${pages} page(s): every page full (maxResultsPerPage 100)`);
  const [counts] = await stack.db.execute<{ orders: number; lines: number }>(sql`
    select count(distinct o.amazon_order_id)::int as orders, count(l.*)::int as lines from orders o join order_lines l using (marketplace_id, amazon_order_id)
    where o.amazon_order_id in ${sql.raw(`('${orders.map((o) => o.orderId).join("','")}')`)}`);
  assert.deepEqual(counts, { orders: 100, lines: 500 });
});

test('a notification body over 256 KB is refused with 413 and starts nothing', async () => {
  const before = await quiet();
  const huge = orderChange('202-0000000-0000001', `huge-${randomUUID()}`);
  (huge.Payload as { padding?: string }).padding = 'x'.repeat(300 * 1024);
  const res = await notify(huge);
  assert.equal(res.status, 413);
  assert.match(((await res.json()) as { error: string }).error, /larger than/);
  await assertUnchanged(before, 'an oversized notification');
});

// ---- SKUs ---------------------------------------------------------------------------------------

test('unicode and whitespace SKUs on Amazon orders: each order waits in SKU_MISMATCH naming the near-miss; no stock moves', async () => {
  const { orders } = await stack.control.createOrders(
    stack.sellerId,
    HOSTILE_SKUS.map((sku) => ({ fulfilledBy: 'MERCHANT' as const, items: [{ sku, quantity: 1 }], pendingSeconds: 0 })),
  );
  const ledgerBefore = await stack.db.select().from(schema.stockLedger).where(eq(schema.stockLedger.kind, 'ALLOCATE'));
  await download();
  for (const order of orders) {
    const s = await inState(order.orderId, 'SKU_MISMATCH');
    const message = s.attention.map((a) => a.message).join(' ');
    assert.ok(s.needsAttention);
    assert.ok(message.length > 20, `${JSON.stringify(order.items[0]!.sku)}: ${message}`);
    const sku = order.items[0]!.sku;
    // Case, spaces and width variants name the catalogue SKU; other look-alikes (Unicode dashes, zero-width
    // characters) are shown escaped so the operator sees them; nothing is ever mapped.
    if (/^\s|\s$|^fbm|ＦＢＭ/.test(sku)) assert.match(message, /FBM-(MUG|CAP)-01/, `the near-miss is named for ${JSON.stringify(sku)}: ${message}`);
    else if (/[^\x20-\x7e]/.test(sku)) assert.match(message, /<U\+[0-9A-F]{4}>/, `the odd character is made visible for ${JSON.stringify(sku)}: ${message}`);
  }
  const ledgerAfter = await stack.db.select().from(schema.stockLedger).where(eq(schema.stockLedger.kind, 'ALLOCATE'));
  assert.equal(ledgerAfter.length, ledgerBefore.length, 'nothing was allocated for a SKU that only looks like a catalogue SKU');
});

test('unicode and whitespace SKUs from the warehouse and the listing queue are refused by name', async () => {
  const before = await quiet();
  const deps = { db: stack.db, log: silentLogger, workflowClient: stack.client, taskQueue: stack.taskQueue, clock: () => new Date() };
  for (const sku of HOSTILE_SKUS) {
    const result = await adjustWarehouseStock(deps, { connectionId, sku, delta: 5, reason: 'hostile', key: randomUUID() });
    assert.equal(result.ok, false, JSON.stringify(sku));
    assert.equal(result.ok === false && result.problem, 'UNKNOWN_SKU');
  }
  const queued = await queueListingChanges(stack.db, connectionId, HOSTILE_SKUS.map((sku) => ({ sku, price: 9.99 })));
  assert.equal(queued.ok, false);
  assert.equal(queued.ok === false && queued.problems.length, HOSTILE_SKUS.length, 'every bad SKU is named');
  const empty = await queueListingChanges(stack.db, connectionId, [{ sku: '', title: 'x' }, { sku: 'FBM-MUG-01', price: -3 }, { sku: 'FBM-MUG-01', quantity: 5 }]);
  assert.equal(empty.ok, false, 'an empty SKU, a negative price and a quantity in a listing change are refused');
  await assertUnchanged(before, 'hostile SKUs');
});

// ---- quantities ---------------------------------------------------------------------------------

test('negative, zero and fractional quantities are refused by the warehouse path, the ledger and the despatch update', async () => {
  const deps = { db: stack.db, log: silentLogger, workflowClient: stack.client, taskQueue: stack.taskQueue, clock: () => new Date() };
  const { orders } = await stack.control.createOrders(stack.sellerId, [{ fulfilledBy: 'MERCHANT', items: [{ sku: 'FBM-CAP-01', quantity: 1 }], pendingSeconds: 0 }]);
  const order = orders[0]!;
  await download();
  await inState(order.orderId, 'ALLOCATED');
  const before = await quiet();

  for (const delta of [0, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    const r = await adjustWarehouseStock(deps, { connectionId, sku: 'FBM-CAP-01', delta, reason: 'hostile', key: randomUUID() });
    assert.equal(r.ok === false && r.problem, 'INVALID', `delta ${delta}`);
  }
  const negative = await adjustWarehouseStock(deps, { connectionId, sku: 'FBM-CAP-01', delta: -100_000, reason: 'hostile', key: randomUUID() });
  assert.equal(negative.ok === false && negative.problem, 'NEGATIVE');
  assert.match(negative.ok === false ? negative.message : '', /on hand is \d+/);
  const belowAllocated = await adjustWarehouseStock(deps, { connectionId, sku: 'FBM-CAP-01', delta: -5, reason: 'hostile', key: randomUUID() });
  assert.equal(belowAllocated.ok, false, 'a count below what open orders hold is refused');
  const ledger = createStockLedgerActivities({ db: stack.db, log: silentLogger });
  const refused = await ledger.recordMovements({
    connectionId,
    movements: [{ sku: 'FBM-CAP-01', pool: 'FBM', kind: 'ADJUST', onHandDelta: -100_000, allocatedDelta: 0, idempotencyKey: `hostile-${randomUUID()}`, reason: 'hostile' }],
  });
  assert.equal(refused.ok, false, 'the database refuses stock below zero even when the caller does not check');
  const oversell = await ledger.recordMovements({
    connectionId,
    movements: [{ sku: 'FBM-CAP-01', pool: 'FBM', kind: 'ALLOCATE', onHandDelta: 0, allocatedDelta: 100_000, idempotencyKey: `hostile-${randomUUID()}`, reason: 'hostile' }],
  });
  assert.equal(oversell.ok === false && oversell.reason, 'OVERSELL');

  const handle = handleOf(order.orderId);
  const line = order.items[0]!.orderItemId;
  const base = { carrierCode: 'Royal Mail', shippingMethod: 'Tracked 24', trackingNumber: 'RM999999999GB', shipDate: new Date(Date.parse(order.createdAt) + 60_000).toISOString() };
  for (const quantity of [-1, 0, 1.5, 2]) {
    const result = await handle.executeUpdate(despatchUpdate, { args: [{ ...base, lines: [{ orderItemId: line, quantity }] }] });
    assert.equal(result.accepted, false, `quantity ${quantity} is refused`);
    assert.ok(!result.accepted && result.errors.some((e) => /quantit|more than|left to ship|at least/i.test(e.message)), JSON.stringify(result));
  }
  await assert.rejects(
    handle.executeUpdate(despatchUpdate, { args: [{ ...base, lines: 'all of it' } as never] }),
    (err: unknown) => err instanceof WorkflowUpdateFailedError,
    'a despatch that is not despatch-shaped is refused by the validator and never enters history',
  );
  assert.equal((await statusOf(order.orderId)).state, 'ALLOCATED');
  await assertUnchanged(before, 'refused quantities');
});

// ---- duplicates ---------------------------------------------------------------------------------

test('duplicate signals, despatches and notifications: allocated once, confirmed once, started once', async () => {
  const { orders } = await stack.control.createOrders(stack.sellerId, [{ fulfilledBy: 'MERCHANT', items: [{ sku: 'FBM-MUG-01', quantity: 2 }], pendingSeconds: 0 }]);
  const order = orders[0]!;
  const id = `dup-${randomUUID()}`;
  const first = await notify(orderChange(order.orderId, id));
  const second = await notify(orderChange(order.orderId, id));
  assert.deepEqual([first.status, second.status], [202, 200]);
  assert.equal(((await second.json()) as { duplicate?: boolean }).duplicate, true);
  await inState(order.orderId, 'ALLOCATED');

  // The same Amazon snapshot, again and again (a download and a notification racing).
  const status = await statusOf(order.orderId);
  const snapshot: OrderSnapshot = {
    amazonOrderId: order.orderId,
    marketplaceId: stack.marketplaceId,
    fulfilledBy: 'MERCHANT',
    status: 'UNSHIPPED',
    purchasedAt: order.createdAt,
    lastUpdatedAt: order.lastUpdatedAt,
    lines: status.lines.map(({ allocated: _a, ...l }) => l),
    packages: [],
  };
  for (let i = 0; i < 5; i++) await handleOf(order.orderId).signal(amazonOrderUpdatedSignal, snapshot);
  const allocations = () =>
    stack.db.select().from(schema.stockLedger).where(and(eq(schema.stockLedger.kind, 'ALLOCATE'), sql`${schema.stockLedger.idempotencyKey} like ${`%${order.orderId}%`}`));
  assert.equal((await allocations()).length, 1);

  const despatch = {
    carrierCode: 'DPD',
    shippingMethod: 'Next Day',
    trackingNumber: 'DP000000042GB',
    shipDate: new Date(Date.parse(order.createdAt) + 60_000).toISOString(),
    lines: [{ orderItemId: order.items[0]!.orderItemId, quantity: 2 }],
  };
  const results = await Promise.all([1, 2, 3].map(() => handleOf(order.orderId).executeUpdate(despatchUpdate, { args: [despatch] })));
  assert.ok(results.every((r) => r.accepted));
  assert.equal(results.filter((r) => r.accepted && !r.duplicate).length, 1, 'one package; the repeats answer duplicate');
  await inState(order.orderId, 'SHIPPED');
  assert.equal((await stack.control.order(order.orderId)).confirmationsCount, 1, 'Amazon received one confirmation');
  assert.equal((await allocations()).length, 1);
});

// ---- unknown order ids --------------------------------------------------------------------------

test('unknown order ids: a notification for an order Amazon does not have fails clearly; bad ids are refused at the door', async () => {
  const before = await quiet();
  const id = `ghost-${randomUUID()}`;
  assert.equal((await notify(orderChange('202-9999999-9999999', id))).status, 202);
  await assert.rejects(stack.client.workflow.getHandle(orderNotificationWorkflowId(id)).result(), (err: unknown) => {
    const message = String((err as { cause?: { cause?: Error } }).cause?.cause?.message ?? (err as Error).message);
    return err instanceof WorkflowFailedError && /getOrder|not found|NotFound/i.test(message);
  });
  const bad = await notify(orderChange('not-an-order', `bad-${randomUUID()}`));
  assert.equal(bad.status, 400);
  assert.match(JSON.stringify(await bad.json()), /AmazonOrderId.*3-7-7/);
  assert.equal((await notify('{"NotificationType": "ORDER_CHANGE", ')).status, 400, 'not JSON');
  assert.equal((await notify({ NotificationType: 'ORDER_CHANGE' })).status, 400, 'missing fields');
  await assert.rejects(handleOf('202-8888888-8888888').signal(amazonOrderUpdatedSignal, {} as OrderSnapshot), WorkflowNotFoundError);
  await assertUnchanged(before, 'unknown order ids');
});

// ---- command lines ------------------------------------------------------------------------------

/** Runs the operator CLI in this process against the stack; returns exit code and output. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const saved = { ...process.env };
  Object.assign(process.env, {
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    CONDUIT_ENCRYPTION_KEY: stack.encryption.keyBase64,
    CONDUIT_ENCRYPTION_KEY_ID: stack.encryption.keyId,
    SPAPI_APPLICATION_ID: stack.app.applicationId,
    SPAPI_ENDPOINT: stack.simulatorUrl,
    ...env,
  });
  const lines: string[] = [];
  const { log, error } = console;
  const exit = process.exit;
  console.log = (...a: unknown[]) => lines.push(a.map(String).join(' '));
  console.error = (...a: unknown[]) => lines.push(a.map(String).join(' '));
  process.exit = ((code?: number) => {
    throw new Error(`process.exit(${code}) called by a script run in-process`);
  }) as typeof process.exit;
  try {
    return { code: await conduit(args), out: lines.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
    process.exit = exit;
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

const BAD_COMMAND_LINES: Array<{ args: string[]; names: RegExp }> = [
  { args: ['order', 'status'], names: /--order/ },
  { args: ['order', 'status', '--order', '12-34'], names: /--order "12-34"/ },
  { args: ['order', 'status', '--order', '202-1234567-1234567', '--marketplace', 'uk'], names: /--marketplace/ },
  { args: ['order', 'retry', '--order', "'; drop table orders; --"], names: /--order/ },
  { args: ['despatch', '--order', '202-1234567-1234567'], names: /--/ },
  { args: ['despatch', '--order', '202-1234567-1234567', '--carrier', 'DPD', '--service', 'x', '--tracking', 'T1', '--ship-date', 'yesterday', '--line', '1:1'], names: /--ship-date/ },
  { args: ['despatch', '--order', '202-1234567-1234567', '--carrier', 'DPD', '--service', 'x', '--tracking', 'T1', '--ship-date', 'now', '--line', '1:-2'], names: /--line/ },
  { args: ['despatch', '--order', '202-1234567-1234567', '--carrier', 'DPD', '--service', 'x', '--tracking', 'T1', '--ship-date', 'now', '--line', '1:1.5'], names: /--line/ },
  { args: ['stock', 'adjust', '--sku', 'FBM-MUG-01', '--delta', 'lots', '--reason', 'x'], names: /--delta/ },
  { args: ['stock', 'adjust', '--sku', 'FBM-MUG-01', '--delta', '5'], names: /--reason/ },
  { args: ['stock', 'show'], names: /--sku/ },
  { args: ['stock', 'inspect-return', '--return', 'r1', '--decision', 'burn'], names: /--decision/ },
  { args: ['stock', 'frobnicate'], names: /sub-command/ },
  { args: ['stock', 'adjust', '--sku', 'FBM-MUG-01', '--delta', '5', '--reason', 'x', '--unknown-flag'], names: /unknown-flag/ },
  { args: ['listings', 'queue'], names: /--/ },
  { args: ['reconcile', '--confirm-after', 'a while'], names: /--confirm-after/ },
  { args: ['reconcile', '--mode', 'yolo'], names: /mode/ },
  { args: ['channel-log', '--since', 'forever'], names: /--since/ },
  { args: ['checklist'], names: /--connection/ },
  { args: ['reauth', 'complete', '--connection', connectionId, '--state', 'abc'], names: /--code/ },
  { args: ['reauth', 'url', '--connection', 'Not A Connection!'], names: /--connection/ },
  { args: ['connection', 'connect', '--connection', 'uk-x'], names: /--seller|--marketplace/ },
  { args: ['schedules', 'pause', '--connection', connectionId, '--kind', 'teatime'], names: /--kind "teatime"/ },
  { args: ['schedules', 'trigger', '--connection', connectionId], names: /--kind is required/ },
  { args: ['migrate-mws', '--connection', connectionId, '--poll', '5'], names: /poll/ },
  { args: ['listings', 'schedule', '--window', '25-99'], names: /--window/ },
  { args: ['no-such-command'], names: /unknown command/ },
];

test('bad command lines for every operator command exit 2, name the flag, and change nothing', async () => {
  const before = await quiet();
  const failures: string[] = [];
  for (const { args, names } of BAD_COMMAND_LINES) {
    const { code, out } = await cli(args);
    if (code !== 2 || !names.test(out)) failures.push(`conduit ${args.join(' ')} → exit ${code}: ${out.split('\n').slice(0, 3).join(' / ')}`);
  }
  assert.deepEqual(failures, [], 'each bad command line is refused with exit 2 and a message naming what to fix');
  await assertUnchanged(before, 'bad command lines');
});

test('operator commands on things that do not exist exit 1 with a clear message and change nothing', async () => {
  const before = await quiet();
  const unknownOrder = await cli(['order', 'status', '--order', '202-7777777-7777777']);
  assert.ok([1, 2].includes(unknownOrder.code), unknownOrder.out);
  assert.match(unknownOrder.out, /202-7777777-7777777/);
  const unknownSku = await cli(['stock', 'adjust', '--sku', 'FBM-MUG-01 ', '--delta', '3', '--reason', 'recount']);
  assert.equal(unknownSku.code, 1, unknownSku.out);
  assert.match(unknownSku.out, /FBM-MUG-01/);
  // Typed as operators type it (no "="): a negative count is a value, not a flag.
  const negative = await cli(['stock', 'adjust', '--sku', 'FBM-MUG-01', '--delta', '-100000', '--reason', 'recount']);
  assert.equal(negative.code, 1, negative.out);
  assert.match(negative.out, /on hand is \d+/);
  const badPrice = await cli(['listings', 'queue', '--sku', 'FBM-MUG-01', '--price', 'free']);
  assert.equal(badPrice.code, 1, badPrice.out);
  assert.match(badPrice.out, /Nothing was queued.*\n.*price/s);
  const unknownConnection = await cli(['stock', 'show', '--sku', 'FBM-MUG-01', '--connection', 'uk-nobody']);
  assert.notEqual(unknownConnection.code, 0);
  assert.match(unknownConnection.out, /uk-nobody/);
  await assertUnchanged(before, 'commands on unknown things');
});

// ---- configuration ------------------------------------------------------------------------------

test('a bad environment: one line per bad variable, secrets masked, and the CLI exits 2 before touching anything', async () => {
  const bad = {
    TEMPORAL_ADDRESS: 'temporal.example.com',
    DATABASE_URL: 'mysql://root@localhost/conduit',
    TEMPORAL_PORT: '99999',
    CONDUIT_ENCRYPTION_KEY: 'c2hvcnQ=',
    SPAPI_ENDPOINT: 'https://evil.example.com',
    ORDER_POLL_INTERVAL: 'every five minutes',
    LOG_LEVEL: 'loud',
  };
  let error: unknown;
  try {
    loadConfig(bad);
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof ConfigError);
  for (const name of Object.keys(bad)) assert.ok(error.lines.some((l) => l.startsWith(`${name}:`)), `${name} is named: ${error.lines.join(' | ')}`);
  assert.ok(!error.message.includes('c2hvcnQ='), 'the key value is not echoed');
  assert.match(error.message, /CONDUIT_ENCRYPTION_KEY: .*\*\*\*/);
  assert.doesNotThrow(() => loadConfig({}), 'an empty environment is valid (embedded defaults)');

  const before = await quiet();
  const run = await cli(['stock', 'adjust', '--sku', 'FBM-MUG-01', '--delta', '1', '--reason', 'x'], { ORDER_POLL_INTERVAL: 'soon', DATABASE_URL: 'mysql://x' });
  assert.equal(run.code, 2, run.out);
  assert.match(run.out, /ORDER_POLL_INTERVAL/);
  assert.match(run.out, /DATABASE_URL/);
  await assertUnchanged(before, 'a bad environment');
});
