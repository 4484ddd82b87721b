import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { APP, SELLER, UK, DE, accessToken, assertExchangesConform, eventually, rawRequest, rejection, startTestSim, type Json, type TestSim } from './helpers';
import { SimulatorControl } from '../../simulator/control-client';
import { startSimulator } from '../../simulator/server';

let t: TestSim;

before(async () => {
  t = await startTestSim({ timeScale: 1 });
});

after(async () => {
  await t.close();
  assertExchangesConform(t.handle);
});

const participations = { operation: 'sellers.getMarketplaceParticipations' };

test('getMarketplaceParticipations lists the seller’s marketplaces of its region', async () => {
  const payload = await t.client().callAPI(participations);
  assert.deepEqual(payload.map((p: Json) => p.marketplace.id), [UK, DE]);
  assert.equal(payload[0].marketplace.countryCode, 'GB');
  assert.equal(payload[0].marketplace.defaultCurrencyCode, 'GBP');
  assert.deepEqual(payload[0].participation, { isParticipating: true, hasSuspendedListings: false });
});

test('every SP-API response carries x-amzn-RequestId and x-amzn-RateLimit-Limit (rate × time scale)', async () => {
  const token = await accessToken(t.handle, t.refreshToken);
  const ok = await rawRequest(t.handle, { host: 'sellingpartnerapi-eu.amazon.com', method: 'GET', path: '/sellers/v1/marketplaceParticipations', headers: { 'x-amz-access-token': token } });
  assert.equal(ok.status, 200);
  assert.match(String(ok.headers['x-amzn-requestid']), /^[0-9a-f-]{36}$/);
  assert.equal(ok.headers['x-amzn-ratelimit-limit'], '0.016');
  const bad = await rawRequest(t.handle, { host: 'sellingpartnerapi-eu.amazon.com', method: 'GET', path: '/sellers/v1/marketplaceParticipations', headers: { 'x-amz-access-token': 'Atza|bogus' } });
  assert.equal(bad.status, 403);
  assert.ok(bad.headers['x-amzn-requestid']);
  assert.equal(bad.headers['x-amzn-ratelimit-limit'], '0.016');
  const sandbox = await rawRequest(t.handle, { host: 'sandbox.sellingpartnerapi-eu.amazon.com', method: 'GET', path: '/sellers/v1/marketplaceParticipations', headers: { 'x-amz-access-token': token } });
  assert.equal(sandbox.status, 200);
  const unknown = await rawRequest(t.handle, { host: 'sellingpartnerapi-eu.amazon.com', method: 'GET', path: '/catalog/2022-04-01/items', headers: { 'x-amz-access-token': token } });
  assert.equal(unknown.status, 404);
});

test('usage plans: the burst is honoured, then 429 QuotaExceeded with the rate-limit header', async () => {
  const sp = t.client();
  // sellers.getMarketplaceParticipations: 0.016 req/s, burst 15 (from the model); two calls already made.
  let ok = 0;
  let throttled: Error & { code?: string } | undefined;
  for (let i = 0; i < 20 && !throttled; i++) {
    try {
      await sp.callAPI(participations);
      ok++;
    } catch (err) {
      throttled = err as Error & { code?: string };
    }
  }
  assert.equal(throttled?.code, 'QuotaExceeded');
  assert.equal(throttled?.message, 'You exceeded your quota for the requested resource.');
  assert.equal(ok, 15 - 2 - 1);
  const raw = await sp.callAPI({ ...participations, options: { raw_result: true } });
  assert.equal(raw.statusCode, 429);
  assert.equal(raw.headers['x-amzn-ratelimit-limit'], '0.016');
  assert.deepEqual(JSON.parse(raw.body), { errors: [{ code: 'QuotaExceeded', message: 'You exceeded your quota for the requested resource.', details: '' }] });
  // One token every 1/0.016 = 62.5 simulated seconds.
  await t.control.advance(63);
  await sp.callAPI(participations);
  const stats = (await t.control.stats()).operations['sellers.getMarketplaceParticipations'];
  assert.ok((stats?.throttled ?? 0) >= 2);
});

test('the time scale multiplies usage-plan rates', async () => {
  await t.control.setTimeScale(60);
  const plans = await t.control.usagePlans();
  assert.equal(plans['orders.searchOrders']?.rate, 0.0056);
  assert.ok(Math.abs((plans['orders.searchOrders']?.scaledRate ?? 0) - 0.336) < 1e-9);
  const raw = await t.client().callAPI({ operation: 'orders.getOrder', path: { orderId: '111-1111111-1111111' }, options: { raw_result: true } });
  assert.equal(raw.headers['x-amzn-ratelimit-limit'], '30');
  await t.control.setTimeScale(1);
});

test('faults on demand: 500 InternalFailure, 503 non-JSON, dropped connection, malformed JSON, slow answers', async () => {
  const sp = t.client();
  const inventory = { operation: 'fbaInventory.getInventorySummaries', query: { granularityType: 'Marketplace', granularityId: UK, marketplaceIds: [UK] } };
  await t.control.setFaults([{ operation: 'fbaInventory.getInventorySummaries', kind: 'internalFailure', count: 1 }]);
  assert.equal((await rejection(sp.callAPI(inventory))).code, 'InternalFailure');
  await sp.callAPI(inventory);

  await t.control.advance(2);
  await t.control.setFaults([{ operation: '*', kind: 'serviceUnavailable', count: 1 }]);
  const unavailable = await rejection(sp.callAPI(inventory));
  assert.equal(unavailable.code, 'JSON_PARSE_ERROR');
  assert.match(unavailable.message ?? '', /503 Service Unavailable/);

  await t.control.advance(2);
  await t.control.setFaults([{ operation: 'fbaInventory.getInventorySummaries', kind: 'dropConnection', count: 1 }]);
  const dropped = await rejection(sp.callAPI(inventory));
  assert.equal(dropped.code, 'ECONNRESET');

  await t.control.advance(2);
  await t.control.setFaults([{ operation: 'fbaInventory.getInventorySummaries', kind: 'malformedJson', count: 1 }]);
  assert.equal((await rejection(sp.callAPI(inventory))).code, 'JSON_PARSE_ERROR');

  await t.control.advance(2);
  await t.control.setFaults([{ operation: 'fbaInventory.getInventorySummaries', kind: 'slow', delayMs: 300, count: 1 }]);
  const started = Date.now();
  await sp.callAPI(inventory);
  assert.ok(Date.now() - started >= 290);

  await t.control.setFaults([{ operation: 'lwa.token', kind: 'internalFailure', count: 1 }]);
  await t.control.expireAccessTokens();
  assert.ok(await rejection(sp.callAPI(participations)));
  const faults = await t.control.faults();
  assert.equal(faults.rules[0]?.fired, 1);
  await t.control.clearFaults();
  const stats = (await t.control.stats()).operations['fbaInventory.getInventorySummaries'];
  assert.equal(stats?.faults, 5);
});

test('a drop after the handler ran: the confirmation is recorded although the caller saw a reset (idempotency drills)', async () => {
  const sp = t.client();
  const { orders } = await t.control.createOrders(SELLER, [{ items: [{ sku: 'MUG-BLUE', quantity: 1 }], pendingSeconds: 0, fulfilledBy: 'MERCHANT' }]);
  const order = orders[0];
  assert.ok(order);
  await t.control.setFaults([{ operation: 'orders.confirmShipment', kind: 'dropConnection', afterHandler: true, count: 1 }]);
  const call = {
    operation: 'orders.confirmShipment',
    path: { orderId: order.orderId },
    body: { marketplaceId: UK, packageDetail: { packageReferenceId: '1', carrierCode: 'DPD', trackingNumber: 'DPD1', shipDate: new Date(t.handle.sim.core.clock.now()).toISOString(), orderItems: [{ orderItemId: order.items[0]?.orderItemId, quantity: 1 }] } },
  };
  assert.equal((await rejection(sp.callAPI(call))).code, 'ECONNRESET');
  assert.equal((await t.control.order(order.orderId)).status, 'SHIPPED');
  assert.deepEqual(await sp.callAPI(call), { success: true }, 'retrying with the same packageReferenceId is safe');
  assert.equal((await t.control.order(order.orderId)).packages.length, 1);
});

test('ORDER_CHANGE notifications are POSTed on creation and every status change, retried on failure', async () => {
  const received: Json[] = [];
  let failuresLeft = 2;
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failuresLeft > 0) {
        failuresLeft--;
        res.writeHead(500).end();
        return;
      }
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/amazon`;
  try {
    const sp = t.client();
    const destination = await sp.callAPI({ operation: 'notifications.createDestination', body: { name: 'conduit-orders', resourceSpecification: { sqs: { arn: 'arn:aws:sqs:eu-west-1:123456789012:orders' } } } });
    const subscription = await sp.callAPI({
      operation: 'notifications.createSubscription',
      path: { notificationType: 'ORDER_CHANGE' },
      body: { payloadVersion: '1.0', destinationId: destination.destinationId, processingDirective: { eventFilter: { eventFilterType: 'ORDER_CHANGE', orderChangeTypes: ['OrderStatusChange', 'BuyerRequestedChange'] } } },
    });
    assert.equal((await sp.callAPI({ operation: 'notifications.getSubscription', path: { notificationType: 'ORDER_CHANGE' } })).subscriptionId, subscription.subscriptionId);
    await t.control.setNotificationUrl(url, destination.destinationId);

    const { orders } = await t.control.createOrders(SELLER, [{ items: [{ sku: 'MUG-BLUE', quantity: 1 }], fulfilledBy: 'MERCHANT' }]);
    const orderId = orders[0]?.orderId;
    await t.control.advance(61);
    await t.control.cancelOrder(orderId ?? '', { reason: 'No longer needed' });
    await eventually(() => received.length >= 3, 5000);
    const statuses = received.map((n) => n.Payload.OrderChangeNotification.Summary.OrderStatus);
    assert.deepEqual(statuses, ['Pending', 'Unshipped', 'Canceled']);
    for (const n of received) {
      assert.deepEqual(t.handle.sim.core.models.validateAgainstSchemaFile('notifications/OrderChangeNotification.json', n), []);
      assert.equal(n.NotificationMetadata.SubscriptionId, subscription.subscriptionId);
      assert.equal(n.Payload.OrderChangeNotification.AmazonOrderId, orderId);
      assert.equal(n.Payload.OrderChangeNotification.Summary.FulfillmentType, 'MFN');
    }
    const deliveries = (await t.control.notifications({ orderId })).deliveries;
    assert.equal(deliveries[0]?.attempts, 3, 'two 500s, then delivered');
    assert.ok(deliveries.every((d) => d.status === 'delivered'));
  } finally {
    await new Promise((r) => receiver.close(r));
  }
});

test('notification destinations and subscriptions: list, get, delete, conflicts', async () => {
  const sp = t.client();
  const destinations = await sp.callAPI({ operation: 'notifications.getDestinations' });
  assert.ok(destinations.length >= 1);
  const first = destinations[0];
  assert.equal((await sp.callAPI({ operation: 'notifications.getDestination', path: { destinationId: first.destinationId } })).name, first.name);
  const duplicate = await rejection(sp.callAPI({ operation: 'notifications.createDestination', body: { name: 'again', resourceSpecification: first.resource } }));
  assert.equal(duplicate.code, 'Conflict');
  const listed = await sp.callAPI({ api_path: '/notifications/v1/subscriptions', method: 'GET', query: { notificationTypes: ['ORDER_CHANGE'] } });
  const subscription = listed.subscriptions[0];
  assert.ok(subscription.subscriptionId);
  const again = await rejection(sp.callAPI({ operation: 'notifications.createSubscription', path: { notificationType: 'ORDER_CHANGE' }, body: { payloadVersion: '1.0', destinationId: subscription.destinationId } }));
  assert.equal(again.code, 'Conflict');
  const removed = await rejection(sp.callAPI({ operation: 'notifications.createSubscription', path: { notificationType: 'ORDER_STATUS_CHANGE' }, body: { payloadVersion: '1.0', destinationId: subscription.destinationId } }));
  assert.match(removed.message ?? '', /use ORDER_CHANGE/);
  const byId = await sp.callAPI({ operation: 'notifications.getSubscriptionById', path: { notificationType: 'ORDER_CHANGE', subscriptionId: subscription.subscriptionId } });
  assert.equal(byId.destinationId, subscription.destinationId);
  const inUse = await rejection(sp.callAPI({ operation: 'notifications.deleteDestination', path: { destinationId: subscription.destinationId } }));
  assert.equal(inUse.code, 'Conflict');
  await sp.callAPI({ operation: 'notifications.deleteSubscriptionById', path: { notificationType: 'ORDER_CHANGE', subscriptionId: subscription.subscriptionId } });
  await sp.callAPI({ operation: 'notifications.deleteDestination', path: { destinationId: subscription.destinationId } });
  assert.equal((await rejection(sp.callAPI({ operation: 'notifications.getSubscription', path: { notificationType: 'ORDER_CHANGE' } }))).code, 'NotFound');
});

test('an unreachable notification URL fails after retries without hurting the simulator', async () => {
  await t.control.setNotificationUrl('http://127.0.0.1:9/unreachable');
  const destinations = [...t.handle.state.destinations.values()];
  for (const d of destinations) d.deliveryUrl = undefined;
  const { orders } = await t.control.createOrders(SELLER, [{ items: [{ sku: 'MUG-BLUE', quantity: 1 }], fulfilledBy: 'MERCHANT' }]);
  const failed = await eventually(async () => (await t.control.notifications({ orderId: orders[0]?.orderId, status: 'failed' })).deliveries[0], 5000);
  assert.equal(failed.attempts, 4);
  assert.ok(failed.lastError);
  assert.deepEqual(await t.control.health(), { ok: true });
  await t.control.setNotificationUrl(null);
});

test('control API answers 400 {error: "<field>: …"} for bad input', async () => {
  const control = t.control;
  const cases: [() => Promise<unknown>, RegExp][] = [
    [() => control.seedSeller({ sellerId: 'x', region: 'eu', marketplaceIds: [UK] }), /^.*sellerId: must be 5–20 capital letters/],
    [() => control.seedSeller({ sellerId: 'A2NEWSELLER', region: 'eu', marketplaceIds: ['ATVPDKIKX0DER'] }), /marketplaceIds\[0\]: ATVPDKIKX0DER \(Amazon.com\) is in region na/],
    [() => control.seedSeller({ sellerId: 'A2NEWSELLER', region: 'moon' as never, marketplaceIds: [UK] }), /region: must be eu, na or fe/],
    [() => control.seedSeller({ sellerId: 'A2NEWSELLER', region: 'eu', marketplaceIds: [UK], roles: ['Orders'] }), /roles\.0: must be one of the SP-API role names/],
    [() => control.seedSeller({ sellerId: 'A2NEWSELLER', region: 'eu', marketplaceIds: [UK], catalogue: [{ sku: 'A', title: 'A', productType: 'home', price: 1, fulfilment: 'FBM' }] }), /catalogue\.0\.productType: must be an Amazon product type/],
    [() => control.createOrders(SELLER, [{ items: [{ sku: 'mug-blue', quantity: 1 }] }]), /orders\[0\]\.items\[0\]\.sku: seller .* has no listing/],
    [() => control.createOrders(SELLER, [{ items: [] }]), /orders\.0\.items: needs at least one line/],
    [() => control.moveFbaStock({ sellerId: SELLER, sku: 'TEE-RED-M' }), /delta: give exactly one of/],
    [() => control.setFaults([{ operation: '*', kind: 'explode' as never }]), /rules\.0\.kind: must be internalFailure/],
    [() => control.setFaults([{ operation: '*', kind: 'slow', probability: 2 }]), /rules\.0\.probability: must be between 0 and 1/],
    [() => control.setClock({}), /timeScale: give timeScale and\/or advanceSeconds/],
    [() => control.setClock({ advanceSeconds: -5 }), /advanceSeconds: must be >= 0/],
    [() => control.consent({ clientId: APP.clientId, sellerId: SELLER, roles: [] }), /roles: needs at least one role/],
    [() => control.createReturn({ sellerId: SELLER, channel: 'FBA', sku: 'MUG-BLUE', quantity: 1 }), /channel: MUG-BLUE is not fulfilled by Amazon/],
    [() => control.setNotificationUrl('not a url'), /url: must be an http\(s\) URL/],
  ];
  for (const [call, message] of cases) {
    const err = (await rejection(call())) as Error & { status?: number };
    assert.equal(err.status, 400, err.message);
    assert.match(err.message, message);
  }
  const typo = await fetch(`${t.handle.url}/_sim/apps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ clientID: 'x' }) });
  assert.equal(typo.status, 400);
  assert.match(((await typo.json()) as { error: string }).error, /^clientID: unknown field/);
  const notJson = await fetch(`${t.handle.url}/_sim/apps`, { method: 'POST', body: '{' });
  assert.deepEqual(await notJson.json(), { error: 'body: is not valid JSON' });
  assert.equal((await rejection(control.order('nope'))).message.includes('orderId: no order nope'), true);
  const onAmazonHost = await rawRequest(t.handle, { host: 'sellingpartnerapi-eu.amazon.com', method: 'GET', path: '/_sim/health' });
  assert.equal(onAmazonHost.status, 404, 'the control API is not reachable through Amazon hosts');
});

test('the order generator creates orders at the requested simulated rate', async () => {
  const before = (await t.control.orders({ sellerId: SELLER })).orders.length;
  await t.control.startOrderGenerator({ sellerId: SELLER, ordersPerHour: 60 });
  await t.control.advance(3600);
  const { created } = await t.control.stopOrderGenerator(SELLER);
  assert.ok(created >= 30 && created <= 100, `created ${created}`);
  assert.equal((await t.control.orders({ sellerId: SELLER })).orders.length, before + created);
});

test('the same seed gives the same orders; rateLimits:false lifts every usage plan', async () => {
  const runs: string[][] = [];
  for (let i = 0; i < 2; i++) {
    const h = await startSimulator({ seed: 99, rateLimits: false });
    try {
      const c = new SimulatorControl(h.url);
      await c.registerApp(APP);
      const seller = await c.seedSeller({ sellerId: SELLER, region: 'eu', marketplaceIds: [UK], clientId: APP.clientId, roles: ['Selling Partner Insights'], catalogue: [
        { sku: 'A', title: 'A', productType: 'HOME', price: 2, fbmQuantity: 50, fulfilment: 'FBM' },
        { sku: 'B', title: 'B', productType: 'HOME', price: 3, fbaQuantity: 50, fulfilment: 'FBA' },
      ] });
      const { orders } = await c.createRandomOrders(SELLER, { count: 8, fbaShare: 0.5, maxLines: 2 });
      runs.push(orders.map((o) => `${o.orderId}:${o.fulfilledBy}:${o.items.map((it) => `${it.sku}x${it.quantityOrdered}`).join('+')}`));
      if (i === 0) {
        const token = await accessToken(h, seller.refreshToken ?? '');
        for (let n = 0; n < 40; n++) {
          const r = await rawRequest(h, { host: 'sellingpartnerapi-eu.amazon.com', method: 'GET', path: '/sellers/v1/marketplaceParticipations', headers: { 'x-amz-access-token': token } });
          assert.equal(r.status, 200);
        }
      }
    } finally {
      await h.close();
    }
  }
  assert.deepEqual(runs[0], runs[1]);
  assert.ok(runs[0]?.some((o) => o.includes('AMAZON')) && runs[0]?.some((o) => o.includes('MERCHANT')));
});
