/**
 * The adapter end to end: the real amazon-sp-api client, routed to the SP-API simulator, with the
 * Postgres limiter and channel log on a real database. What a user would check: two workers stay
 * inside the usage plan (the simulator counted zero 429s), a revoked role names the scope that
 * broke, an expired token is refreshed without anyone noticing, outages are retryable and broken
 * bodies are not, and no secret is written anywhere.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import { schema } from '../../db/client';
import type { Scope, SpApiOperation } from '../../domain/scopes';
import { SimulatorControl, type SimApp } from '../../simulator/control-client';
import { startSimulator, type SimulatorHandle } from '../../simulator/server';
import { createSpApiAppPort, createSpApiPort } from '../../spapi/adapter';
import { SpApiError } from '../../spapi/errors';
import type { SpApiPort } from '../../spapi/port';
import { toApplicationFailure } from '../../spapi/temporal';
import { USAGE_PLANS } from '../../spapi/usage-plans';
import { createTestDatabase, type TestDatabase } from '../support/services';

const TIME_SCALE = 100;
const UK = 'A1F83G8C2ARO7P';
const ALL_ROLES = ['Selling Partner Insights', 'Inventory and Order Tracking', 'Product Listing', 'Direct-to-Consumer Shipping', 'Amazon Fulfillment'];

let database: TestDatabase;
let sim: SimulatorHandle;
let control: SimulatorControl;
let app: SimApp;
/** Every secret handed out in this file, checked against logs and messages at the end. */
const secrets: string[] = [];
/** Every error message the adapter produced in this file. */
const messages: string[] = [];

interface Seller {
  sellerId: string;
  refreshToken: string;
  port: SpApiPort;
}

async function seedSeller(sellerId: string, roles = ALL_ROLES): Promise<Seller> {
  const view = await control.seedSeller({
    sellerId,
    region: 'eu',
    marketplaceIds: [UK],
    clientId: app.clientId,
    roles,
    catalogue: [
      { sku: 'MUG-1', title: 'Mug', productType: 'HOME', price: 9.99, fulfilment: 'FBM', fbmQuantity: 5 },
      { sku: 'CUP-1', title: 'Cup', productType: 'HOME', price: 4.5, fulfilment: 'FBA', fbaQuantity: 7 },
    ],
  });
  assert.ok(view.refreshToken);
  secrets.push(view.refreshToken);
  const port = createSpApiPort({
    connectionId: `conn-${sellerId}`,
    region: 'eu',
    refreshToken: view.refreshToken,
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    endpoint: sim.url,
    db: database.db,
  });
  return { sellerId, refreshToken: view.refreshToken, port };
}

async function createOrder(sellerId: string): Promise<string> {
  const { orders } = await control.createOrders(sellerId, [{ items: [{ sku: 'MUG-1', quantity: 1 }], pendingSeconds: 0 }]);
  return orders[0]!.orderId;
}

/** Awaits a rejection and returns it as an SpApiError (recording its message for the secrets check). */
async function failure(promise: Promise<unknown>): Promise<SpApiError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof SpApiError, `expected SpApiError, got ${String(err)}`);
    messages.push(err.message);
    return err;
  }
  assert.fail('expected the call to fail');
}

async function stats(operation: string) {
  return (await control.stats()).operations[operation] ?? { calls: 0, byStatus: {}, throttled: 0, denied: 0, faults: 0 };
}

before(async () => {
  database = await createTestDatabase();
  sim = await startSimulator({ timeScale: TIME_SCALE, seed: 7 });
  control = new SimulatorControl(sim.url);
  app = await control.registerApp({ name: 'Conduit test' });
  secrets.push(app.clientSecret);
});

after(async () => {
  await sim?.close();
  await database?.drop();
});

test('every port method works against the simulator, through the real amazon-sp-api client', async () => {
  const { sellerId, port } = await seedSeller('A2PORTSELLER');
  const orderId = await createOrder(sellerId);
  await control.advance(300); // searchOrders sees orders created up to two minutes ago
  const page = await port.searchOrders({ createdAfter: new Date(Date.now() - 86_400_000).toISOString(), fulfilledBy: ['MERCHANT'], includedData: ['FULFILLMENT', 'RECIPIENT'] });
  assert.ok(page.orders.some((o) => o.orderId === orderId));
  const order = await port.getOrder(orderId, ['FULFILLMENT']);
  assert.equal(order.fulfillment?.fulfilledBy, 'MERCHANT');
  const item = order.orderItems[0]!;
  await port.confirmShipment(orderId, {
    marketplaceId: UK,
    packageDetail: {
      packageReferenceId: '1',
      carrierCode: 'Royal Mail',
      trackingNumber: 'AB123456789GB',
      shipDate: new Date(Date.now() - 60_000).toISOString(),
      orderItems: [{ orderItemId: item.orderItemId, quantity: 1 }],
    },
  });
  assert.equal((await control.order(orderId)).confirmationsCount, 1);

  const inventory = await port.getInventorySummaries({ marketplaceId: UK });
  assert.equal(inventory.summaries.find((s) => s.sellerSku === 'CUP-1')?.inventoryDetails?.fulfillableQuantity, 7);
  const listing = await port.getListingsItem(sellerId, 'MUG-1', [UK], ['summaries', 'fulfillmentAvailability']);
  assert.equal(listing.summaries?.[0]?.productType, 'HOME');
  const submission = await port.patchListingsItem(sellerId, 'MUG-1', [UK], {
    productType: 'HOME',
    patches: [{ op: 'replace', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity: 3 }] }],
  });
  assert.equal(submission.status, 'ACCEPTED');

  const contentType = 'application/json; charset=UTF-8';
  const doc = await port.createFeedDocument(contentType);
  const feedBody = { header: { sellerId, version: '2.0' }, messages: [{ messageId: 1, sku: 'MUG-1', operationType: 'PATCH', productType: 'HOME', patches: [{ op: 'replace', path: '/attributes/item_name', value: [{ value: 'Big mug', marketplace_id: UK }] }] }] };
  await port.uploadFeedDocument(doc.url, contentType, JSON.stringify(feedBody));
  const { feedId } = await port.createFeed({ feedType: 'JSON_LISTINGS_FEED', marketplaceIds: [UK], inputFeedDocumentId: doc.feedDocumentId });
  assert.ok(['IN_QUEUE', 'IN_PROGRESS', 'DONE'].includes((await port.getFeed(feedId)).processingStatus));

  const { reportId } = await port.createReport({ reportType: 'GET_MERCHANT_LISTINGS_ALL_DATA', marketplaceIds: [UK] });
  await control.advance(600);
  const report = await port.getReport(reportId);
  assert.equal(report.processingStatus, 'DONE');
  const tsv = await port.getReportDocumentContent(report.reportDocumentId!);
  assert.match(tsv, /seller-sku/);
  assert.match(tsv, /MUG-1/);

  const rdt = await port.createRestrictedDataToken([{ method: 'GET', path: `/orders/v0/orders/${orderId}`, dataElements: ['shippingAddress'] }]);
  secrets.push(rdt.restrictedDataToken);
  assert.ok(rdt.expiresIn > 0);
  const participations = await port.getMarketplaceParticipations();
  assert.equal(participations[0]?.marketplace.id, UK);

  const missing = await failure(port.getOrder('026-0000000-0000000'));
  assert.equal(missing.type, 'NotFound');
  assert.equal(missing.details.httpStatus, 404);
});

test('two worker processes hammering getOrder stay inside the usage plan: zero 429s at the simulator', async (t) => {
  const seller = await seedSeller('A2HAMMERSELLER');
  const orderId = await createOrder(seller.sellerId);
  // The limiter keeps one spare token, which absorbs up to 1/rate of request latency jitter:
  // ≥ 200 ms at Amazon's real plans. Scaled 20× (getOrder 10/s) the margin is still 100 ms, more
  // than this machine's scheduling jitter with two workers, the simulator and Postgres on it.
  const scale = 20;
  await control.setTimeScale(scale);
  t.after(() => control.setTimeScale(TIME_SCALE));
  const before = await stats('orders.getOrder');
  const callsPerWorker = 35;
  const config = {
    databaseUrl: database.url,
    endpoint: sim.url,
    connectionId: 'conn-hammer',
    refreshToken: seller.refreshToken,
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    orderId,
    calls: callsPerWorker,
    concurrency: 6,
  };
  const runWorker = () =>
    new Promise<{ ok: number; errors: Record<string, number>; started: number; finished: number }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'hammer-worker.ts')], {
        env: { ...process.env, HAMMER_CONFIG: JSON.stringify(config) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`worker exited ${code}: ${err}`))));
    });
  const [a, b] = await Promise.all([runWorker(), runWorker()]);
  const after = await stats('orders.getOrder');

  assert.deepEqual(a.errors, {});
  assert.deepEqual(b.errors, {});
  assert.equal(a.ok + b.ok, 2 * callsPerWorker);
  assert.equal(after.throttled - before.throttled, 0, 'the simulator answered 429');
  assert.equal(after.calls - before.calls, 2 * callsPerWorker);
  // More calls than the burst, so without the shared limiter the simulator would have throttled;
  // and the achieved rate stays inside burst + rate × t (rate in real seconds = plan × time scale).
  const plan = USAGE_PLANS.getOrder;
  assert.ok(2 * callsPerWorker > plan.burst);
  const seconds = (Math.max(a.finished, b.finished) - Math.min(a.started, b.started)) / 1000;
  assert.ok(2 * callsPerWorker <= plan.burst + plan.rate * scale * seconds + 1, `${2 * callsPerWorker} calls in ${seconds} s`);

  const rows = await database.db.select().from(schema.channelLog).where(eq(schema.channelLog.connectionId, 'conn-hammer'));
  assert.equal(rows.length, 2 * callsPerWorker);
  assert.ok(rows.every((r) => r.httpStatus === 200 && r.errorType === null && r.rateLimitHeader === plan.rate * scale && r.workflowId?.startsWith('hammer-')));
  assert.ok(rows.some((r) => r.waitedMs > 0), 'some calls queued for a token');
});

test('the same load without the shared limiter is throttled by the simulator (so the test above is not vacuous)', async () => {
  // Amazon's own pace (time scale 1: 0.5 getOrder/s after a burst of 30), so 120 calls overrun the plan
  // however slowly a loaded machine sends them; at this file's ×100 a slow machine stays inside it.
  const amazon = await startSimulator({ port: 0, timeScale: 1, seed: 11 });
  try {
    const amazonControl = new SimulatorControl(amazon.url);
    const amazonApp = await amazonControl.registerApp({ name: 'Conduit test, no limiter' });
    secrets.push(amazonApp.clientSecret);
    const view = await amazonControl.seedSeller({
      sellerId: 'A2NOLIMITER',
      region: 'eu',
      marketplaceIds: [UK],
      clientId: amazonApp.clientId,
      roles: ALL_ROLES,
      catalogue: [{ sku: 'MUG-1', title: 'Mug', productType: 'HOME', price: 9.99, fulfilment: 'FBM', fbmQuantity: 5 }],
    });
    secrets.push(view.refreshToken!);
    const { orders } = await amazonControl.createOrders('A2NOLIMITER', [{ items: [{ sku: 'MUG-1', quantity: 1 }], pendingSeconds: 0 }]);
    const unlimited = createSpApiPort({
      connectionId: 'conn-unlimited',
      region: 'eu',
      refreshToken: view.refreshToken!,
      clientId: amazonApp.clientId,
      clientSecret: amazonApp.clientSecret,
      endpoint: amazon.url,
      db: database.db,
      limiter: { acquire: async () => ({ waitedMs: 0 }), observeRateLimit: async () => {}, throttled: async () => 20 },
    });
    const calls = 120;
    const t0 = Date.now();
    const results = await Promise.allSettled(Array.from({ length: calls }, () => unlimited.getOrder(orders[0]!.orderId)));
    const seconds = (Date.now() - t0) / 1000;
    const throttled = results.filter((r) => r.status === 'rejected' && r.reason instanceof SpApiError && r.reason.type === 'Throttled');
    const plan = USAGE_PLANS.getOrder;
    // At most burst + rate × t calls can pass; every other one must have been refused with 429.
    assert.ok(throttled.length >= calls - (plan.burst + plan.rate * seconds + 1), `${throttled.length} of ${calls} throttled in ${seconds} s`);
    assert.equal((await amazonControl.stats()).operations['orders.getOrder']?.throttled, throttled.length);
    const first = (throttled[0] as PromiseRejectedResult).reason as SpApiError;
    assert.equal(first.details.httpStatus, 429);
    assert.equal(toApplicationFailure(first).nextRetryDelay, first.details.retryAfterMs);
  } finally {
    await amazon.close();
  }
});

test('a revoked role is AccessDenied naming the right scope, for each of the four scopes', async () => {
  const cases: Array<{ scope: Scope; operation: SpApiOperation; revoke: string[]; call: (s: Seller) => Promise<unknown> }> = [
    {
      scope: 'SELLING_PARTNER_INSIGHTS',
      operation: 'searchOrders',
      revoke: ALL_ROLES,
      call: (s) => s.port.searchOrders({ createdAfter: new Date(Date.now() - 3_600_000).toISOString() }),
    },
    {
      scope: 'FULFILMENT_INVENTORY',
      operation: 'getInventorySummaries',
      revoke: ['Product Listing', 'Amazon Fulfillment'],
      call: (s) => s.port.getInventorySummaries({ marketplaceId: UK }),
    },
    {
      scope: 'ORDERS',
      operation: 'confirmShipment',
      revoke: ['Inventory and Order Tracking', 'Direct-to-Consumer Shipping'],
      call: (s) =>
        s.port.confirmShipment('026-1234567-1234567', {
          marketplaceId: UK,
          packageDetail: { packageReferenceId: '1', carrierCode: 'Royal Mail', trackingNumber: 'X1', shipDate: new Date().toISOString(), orderItems: [{ orderItemId: '1', quantity: 1 }] },
        }),
    },
    {
      scope: 'FEEDS',
      operation: 'patchListingsItem',
      revoke: ['Product Listing'],
      call: (s) => s.port.patchListingsItem(s.sellerId, 'MUG-1', [UK], { productType: 'HOME', patches: [{ op: 'delete', path: '/attributes/item_name' }] }),
    },
  ];
  for (const [i, c] of cases.entries()) {
    const seller = await seedSeller(`A2REVOKED${i}`);
    await control.revokeRoles(seller.sellerId, c.revoke);
    const err = await failure(c.call(seller));
    assert.equal(err.type, 'AccessDenied', c.scope);
    assert.equal(err.details.scope, c.scope);
    assert.equal(err.details.operation, c.operation);
    assert.equal(err.details.httpStatus, 403);
    assert.equal(toApplicationFailure(err).nonRetryable, true);
    const [row] = await database.db.select().from(schema.channelLog).where(eq(schema.channelLog.connectionId, `conn-${seller.sellerId}`));
    assert.equal(row?.errorType, 'AccessDenied');
    assert.equal(row?.scope, c.scope);
  }
});

test('an expired access token is refreshed invisibly: the call succeeds, the simulator saw the 403', async () => {
  const { sellerId, port } = await seedSeller('A2EXPIRY');
  const orderId = await createOrder(sellerId);
  await port.getOrder(orderId); // obtains an access token
  const lwaBefore = await stats('lwa.token');
  const getOrderBefore = await stats('orders.getOrder');
  await control.expireAccessTokens();
  const order = await port.getOrder(orderId);
  assert.equal(order.orderId, orderId);
  const getOrderAfter = await stats('orders.getOrder');
  assert.equal((getOrderAfter.byStatus['403'] ?? 0) - (getOrderBefore.byStatus['403'] ?? 0), 1, 'the simulator answered 403 expired once');
  assert.equal((await stats('lwa.token')).calls - lwaBefore.calls, 1, 'one refresh');
});

test('a revoked authorisation (LWA invalid_grant) is AccessDenied on refreshAccessToken', async () => {
  const { sellerId, port } = await seedSeller('A2GONE');
  await port.getMarketplaceParticipations();
  await control.revokeAuthorisation(sellerId);
  const err = await failure(port.getMarketplaceParticipations());
  assert.equal(err.type, 'AccessDenied');
  assert.equal(err.details.operation, 'refreshAccessToken');
  assert.equal(err.details.code, 'invalid_grant');
  assert.match(err.message, /re-authorise/);
});

test('a burst of 500s is Transient and retryable; the call after it succeeds', async () => {
  const { sellerId, port } = await seedSeller('A2FLAKY');
  const orderId = await createOrder(sellerId);
  await control.setFaults([{ operation: 'orders.getOrder', kind: 'internalFailure', count: 3, sellerId }]);
  for (let i = 0; i < 3; i++) {
    const err = await failure(port.getOrder(orderId));
    assert.equal(err.type, 'Transient');
    assert.equal(err.details.httpStatus, 500);
    assert.equal(err.retryable, true);
    assert.equal(toApplicationFailure(err).nonRetryable, false);
  }
  assert.equal((await port.getOrder(orderId)).orderId, orderId);
  await control.clearFaults();
});

test('an HTML 503 and a dropped connection are Transient; a malformed body is BadResponse', async () => {
  const { sellerId, port } = await seedSeller('A2BROKEN');
  const orderId = await createOrder(sellerId);
  await control.setFaults([{ operation: 'orders.getOrder', kind: 'serviceUnavailable', count: 1, sellerId }]);
  const html = await failure(port.getOrder(orderId));
  assert.equal(html.type, 'Transient');
  assert.equal(html.details.httpStatus, 503);
  await control.setFaults([{ operation: 'orders.getOrder', kind: 'dropConnection', count: 1, sellerId }]);
  assert.equal((await failure(port.getOrder(orderId))).type, 'Transient');
  await control.setFaults([{ operation: 'orders.getOrder', kind: 'malformedJson', count: 1, sellerId }]);
  const malformed = await failure(port.getOrder(orderId));
  assert.equal(malformed.type, 'BadResponse');
  assert.equal(toApplicationFailure(malformed).nonRetryable, true);
  await control.clearFaults();
  const rows = await database.db.select().from(schema.channelLog).where(eq(schema.channelLog.connectionId, 'conn-A2BROKEN')).orderBy(schema.channelLog.id);
  assert.deepEqual(
    rows.filter((r) => r.operation === 'getOrder').map((r) => r.errorType),
    ['Transient', 'Transient', 'BadResponse'],
  );
});

test('inside an activity, the channel_log row carries the workflow id', async () => {
  const { port } = await seedSeller('A2INACTIVITY');
  const env = new MockActivityEnvironment({ workflowExecution: { workflowId: 'order-download:uk-acme', runId: 'run-1' } });
  await env.run(() => port.getMarketplaceParticipations());
  const rows = await database.db.select().from(schema.channelLog).where(eq(schema.channelLog.connectionId, 'conn-A2INACTIVITY'));
  assert.deepEqual(
    rows.map((r) => [r.operation, r.workflowId]),
    [['getMarketplaceParticipations', 'order-download:uk-acme']],
  );
});

test('the app port exchanges a consent code for a refresh token; a reused code is AccessDenied', async () => {
  await control.seedSeller({ sellerId: 'A2CONSENT', region: 'eu', marketplaceIds: [UK] });
  const consent = await control.consent({ clientId: app.clientId, sellerId: 'A2CONSENT', roles: ['Product Listing'] });
  secrets.push(consent.spapi_oauth_code);
  const appPort = createSpApiAppPort({ clientId: app.clientId, clientSecret: app.clientSecret, endpoint: sim.url, db: database.db });
  const { refreshToken } = await appPort.exchangeAuthorizationCode(consent.spapi_oauth_code);
  secrets.push(refreshToken);
  assert.match(refreshToken, /^Atzr\|/);
  const reused = await failure(appPort.exchangeAuthorizationCode(consent.spapi_oauth_code));
  assert.equal(reused.type, 'AccessDenied');
  assert.equal(reused.details.operation, 'exchangeAuthorizationCode');
});

test('nothing in channel_log or in any error message contains a refresh token, the client secret or another token', async () => {
  const rows = await database.db.select().from(schema.channelLog);
  assert.ok(rows.length > 100);
  const logged = JSON.stringify(rows);
  assert.ok(messages.length >= 10);
  for (const secret of secrets) {
    assert.ok(!logged.includes(secret), 'a secret is in channel_log');
    for (const message of messages) assert.ok(!message.includes(secret), `a secret is in: ${message}`);
  }
  assert.doesNotMatch(logged, /Atz[ar]\||amzn1\.oa2-cs/);
  for (const message of messages) assert.doesNotMatch(message, /Atz[ar]\||amzn1\.oa2-cs/);
});
