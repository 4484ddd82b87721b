import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { APP, DE, SELLER, UK, assertExchangesConform, isoMinutesAgo, rejection, spClient, startTestSim, type Json, type TestSim } from './helpers';
import { ROLES } from '../../simulator/roles';

let t: TestSim;

before(async () => {
  t = await startTestSim({ timeScale: 1, fbaShipSeconds: 3600, fbaLagSeconds: 5 * 3600 });
});

after(async () => {
  await t.close();
  assertExchangesConform(t.handle);
});

async function search(query: Record<string, unknown>): Promise<Json> {
  return t.client().callAPI({ operation: 'orders.searchOrders', query });
}

async function createFbm(lines: { sku: string; quantity: number }[] = [{ sku: 'MUG-BLUE', quantity: 2 }], extra: Record<string, unknown> = {}) {
  const { orders } = await t.control.createOrders(SELLER, [{ items: lines, pendingSeconds: 0, fulfilledBy: 'MERCHANT', ...extra }]);
  return orders[0] as NonNullable<(typeof orders)[0]>;
}

function shipment(order: { orderId: string; items: { orderItemId: string; quantityOrdered: number }[] }, packageReferenceId = '1', items = order.items.map((i) => ({ orderItemId: i.orderItemId, quantity: i.quantityOrdered }))) {
  return {
    operation: 'orders.confirmShipment',
    path: { orderId: order.orderId },
    body: {
      marketplaceId: UK,
      packageDetail: { packageReferenceId, carrierCode: 'Royal Mail', carrierName: 'Royal Mail', shippingMethod: 'Tracked 24', trackingNumber: `RM${packageReferenceId}GB`, shipDate: new Date(t.handle.sim.core.clock.now()).toISOString(), orderItems: items },
    },
  };
}

test('searchOrders enforces the model rules for its time window and page size', async () => {
  const now = t.handle.sim.core.clock.now();
  const cases: [Record<string, unknown>, RegExp][] = [
    [{}, /Exactly one of createdAfter and lastUpdatedAfter/],
    [{ createdAfter: isoMinutesAgo(t.handle, 60), lastUpdatedAfter: isoMinutesAgo(t.handle, 60) }, /Exactly one/],
    [{ createdAfter: isoMinutesAgo(t.handle, 60), lastUpdatedBefore: isoMinutesAgo(t.handle, 10) }, /cannot be provided together with createdAfter/],
    [{ lastUpdatedAfter: isoMinutesAgo(t.handle, 60), createdBefore: isoMinutesAgo(t.handle, 10) }, /createdBefore cannot be provided/],
    [{ createdAfter: isoMinutesAgo(t.handle, 60), createdBefore: new Date(now - 60_000).toISOString() }, /at least two minutes before/],
    [{ createdAfter: isoMinutesAgo(t.handle, 10), createdBefore: isoMinutesAgo(t.handle, 20) }, /must be equal to or after/],
    [{ createdAfter: isoMinutesAgo(t.handle, 60), maxResultsPerPage: 101 }, /between 1 and 100/],
    [{ createdAfter: isoMinutesAgo(t.handle, 60), maxResultsPerPage: 0 }, /between 1 and 100/],
    [{ createdAfter: 'yesterday' }, /ISO 8601/],
    [{ createdAfter: isoMinutesAgo(t.handle, 60), fulfillmentStatuses: ['Shipped'] }, /not one of/],
  ];
  for (const [query, message] of cases) {
    const err = await rejection(search(query));
    assert.equal(err.code, 'InvalidInput', JSON.stringify(query));
    assert.match(err.message ?? '', message, JSON.stringify(query));
  }
});

test('orders move PENDING → UNSHIPPED over simulated time; lastUpdatedTime follows every change', async () => {
  const since = isoMinutesAgo(t.handle, 1);
  const { orders } = await t.control.createOrders(SELLER, [{ items: [{ sku: 'MUG-BLUE', quantity: 1 }], fulfilledBy: 'MERCHANT' }]);
  const created = orders[0];
  assert.equal(created?.status, 'PENDING');
  await t.control.advance(3 * 60);
  const page = await search({ lastUpdatedAfter: since, includedData: ['FULFILLMENT'] });
  const order = page.orders.find((o: Json) => o.orderId === created?.orderId);
  assert.equal(order.fulfillment.fulfillmentStatus, 'UNSHIPPED');
  assert.equal(order.fulfillment.fulfilledBy, 'MERCHANT');
  assert.ok(Date.parse(order.lastUpdatedTime) > Date.parse(order.createdTime));
  assert.ok(page.lastUpdatedBefore, 'the window end is echoed');
  const pendingOnly = await search({ lastUpdatedAfter: since, fulfillmentStatuses: ['PENDING'] });
  assert.equal(pendingOnly.orders.some((o: Json) => o.orderId === created?.orderId), false);
});

test('orders created in the last two minutes are outside the default window until it moves on', async () => {
  const order = await createFbm();
  const early = await search({ createdAfter: isoMinutesAgo(t.handle, 1) });
  assert.equal(early.orders.some((o: Json) => o.orderId === order.orderId), false);
  await t.control.advance(150);
  const later = await search({ createdAfter: isoMinutesAgo(t.handle, 10) });
  assert.equal(later.orders.some((o: Json) => o.orderId === order.orderId), true);
});

test('searchOrders paginates with a token bound to the original parameters', async () => {
  const since = isoMinutesAgo(t.handle, 1);
  await t.control.createOrders(SELLER, Array.from({ length: 7 }, () => ({ items: [{ sku: 'MUG-BLUE', quantity: 1 }], pendingSeconds: 0 })));
  await t.control.advance(180);
  const first = await search({ createdAfter: since, maxResultsPerPage: 3 });
  assert.equal(first.orders.length, 3);
  const token = first.pagination.nextToken;
  const mismatch = await rejection(search({ createdAfter: isoMinutesAgo(t.handle, 30), paginationToken: token }));
  assert.match(mismatch.message ?? '', /original request/);
  const second = await search({ createdAfter: since, maxResultsPerPage: 3, paginationToken: token, includedData: ['FULFILLMENT'] });
  assert.equal(second.orders.length, 3);
  assert.ok(second.orders[0].fulfillment, 'includedData may change between pages');
  const third = await search({ createdAfter: since, maxResultsPerPage: 3, paginationToken: second.pagination.nextToken });
  assert.equal(third.orders.length, 1);
  assert.equal(third.pagination, undefined, 'the last page has no pagination object');
  const ids = [...first.orders, ...second.orders, ...third.orders].map((o: Json) => o.orderId);
  assert.equal(new Set(ids).size, 7);
});

test('datasets come only with includedData; recipient and buyer also need their restricted roles', async () => {
  const order = await createFbm();
  await t.control.advance(150);
  const sp = t.client();
  const bare = (await sp.callAPI({ operation: 'orders.getOrder', path: { orderId: order.orderId } })).order;
  assert.equal(bare.fulfillment, undefined);
  assert.equal(bare.recipient, undefined);
  assert.equal(bare.orderItems[0].product.sellerSku, 'MUG-BLUE');
  const full = (await sp.callAPI({ operation: 'orders.getOrder', path: { orderId: order.orderId }, query: { includedData: ['RECIPIENT', 'BUYER', 'FULFILLMENT', 'PROCEEDS'] } })).order;
  assert.equal(full.recipient.deliveryAddress.countryCode, 'GB');
  assert.equal(full.buyer, undefined, 'BUYER needs Tax Invoicing or Tax Remittance');
  assert.equal(full.proceeds.grandTotal.currencyCode, 'GBP');

  const { refreshToken } = await t.control.authorise(SELLER, { clientId: APP.clientId, roles: [ROLES.sellingPartnerInsights, ROLES.taxInvoicing] });
  const insightsOnly = spClient(t.handle, refreshToken);
  const limited = (await insightsOnly.callAPI({ operation: 'orders.getOrder', path: { orderId: order.orderId }, query: { includedData: ['RECIPIENT', 'BUYER'] } })).order;
  assert.equal(limited.recipient, undefined, 'no Direct-to-Consumer Shipping role: recipient omitted, not an error');
  assert.equal(limited.buyer.buyerName, order.buyer.name);
  assert.ok(limited.buyer.buyerEmail, 'FBM orders carry the anonymised email');
});

test('getOrder answers 404 for an unknown order', async () => {
  const err = await rejection(t.client().callAPI({ operation: 'orders.getOrder', path: { orderId: '999-9999999-9999999' } }));
  assert.equal(err.code, 'NotFound');
});

test('FBA orders are shipped by Amazon later; real FBA stock drops at once, the reported level only after the lag', async () => {
  const { orders } = await t.control.createOrders(SELLER, [{ items: [{ sku: 'TEE-RED-M', quantity: 3 }], pendingSeconds: 0 }]);
  const order = orders[0];
  assert.equal(order?.fulfilledBy, 'AMAZON');
  const before = await t.control.fbaStock(SELLER, 'TEE-RED-M');
  await t.control.advance(3601);
  const shipped = await t.control.order(order?.orderId ?? '');
  assert.equal(shipped.status, 'SHIPPED');
  assert.equal(shipped.items[0]?.quantityShipped, 3);
  const stock = await t.control.fbaStock(SELLER, 'TEE-RED-M');
  assert.equal(stock.realQuantity, before.realQuantity - 3);
  assert.equal(stock.reportedQuantity, before.reportedQuantity, 'FBA inventory lags reality');
  const got = (await t.client().callAPI({ operation: 'orders.getOrder', path: { orderId: order?.orderId }, query: { includedData: ['FULFILLMENT', 'PACKAGES'] } })).order;
  assert.equal(got.fulfillment.fulfilledBy, 'AMAZON');
  assert.equal(got.fulfillment.fulfillmentStatus, 'SHIPPED');
  assert.equal(got.packages, undefined, 'packages are FBM only');
});

test('confirmShipment: 204, partial then full shipment, packages, idempotent edit, and the 400s Amazon gives', async () => {
  const sp = t.client();
  const order = await createFbm([
    { sku: 'MUG-BLUE', quantity: 2 },
    { sku: 'LAMP-01', quantity: 1 },
  ]);
  const [mug, lamp] = order.items;
  assert.ok(mug && lamp);
  assert.deepEqual(await sp.callAPI(shipment(order, '1', [{ orderItemId: mug.orderItemId, quantity: 2 }])), { success: true });
  assert.equal((await t.control.order(order.orderId)).status, 'PARTIALLY_SHIPPED');
  await sp.callAPI(shipment(order, '2', [{ orderItemId: lamp.orderItemId, quantity: 1 }]));
  let view = await t.control.order(order.orderId);
  assert.equal(view.status, 'SHIPPED');
  assert.equal(view.confirmationsCount, 2);

  const already = await rejection(sp.callAPI(shipment(order, '3', [{ orderItemId: lamp.orderItemId, quantity: 1 }])));
  assert.equal(already.code, 'InvalidInput');
  assert.match(already.message ?? '', /already SHIPPED/);

  // Re-sending an existing packageReferenceId edits that package (safe retry after a timeout).
  const edit = shipment(order, '2', [{ orderItemId: lamp.orderItemId, quantity: 1 }]);
  edit.body.packageDetail.trackingNumber = 'RM-CORRECTED';
  await sp.callAPI(edit);
  view = await t.control.order(order.orderId);
  assert.equal(view.packages.length, 2);
  assert.equal(view.packages.find((p) => p.packageReferenceId === '2')?.trackingNumber, 'RM-CORRECTED');
  assert.equal(view.confirmationsCount, 3);

  await t.control.advance(150);
  const got = (await sp.callAPI({ operation: 'orders.getOrder', path: { orderId: order.orderId }, query: { includedData: ['PACKAGES', 'FULFILLMENT'] } })).order;
  assert.equal(got.packages.length, 2);
  assert.equal(got.packages[0].packageStatus.status, 'SHIPPED');
  assert.equal(got.orderItems[0].fulfillment.quantityFulfilled, 2);

  const other = await createFbm([{ sku: 'MUG-BLUE', quantity: 1 }]);
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ packageReferenceId: 'ABC' }, /positive number/],
    [{ carrierCode: 'Other', carrierName: undefined }, /carrierName is required/],
    [{ shipDate: '02/21/2022' }, /cannot be parsed/],
    [{ orderItems: [{ orderItemId: '000', quantity: 1 }] }, /not part of order/],
    [{ orderItems: [{ orderItemId: other.items[0]?.orderItemId, quantity: 5 }] }, /exceeds the unshipped quantity/],
    [{ trackingNumber: undefined }, /cannot be parsed/],
  ];
  for (const [patch, message] of bad) {
    const call = shipment(other);
    Object.assign(call.body.packageDetail, patch);
    const err = await rejection(sp.callAPI(call));
    assert.equal(err.code, 'InvalidInput', JSON.stringify(patch));
    assert.match(`${err.message} ${err.details}`, message, JSON.stringify(patch));
  }
  const wrongMarketplace = shipment(other);
  wrongMarketplace.body.marketplaceId = DE;
  assert.match((await rejection(sp.callAPI(wrongMarketplace))).message ?? '', /does not match the marketplace/);
  assert.equal((await t.control.order(other.orderId)).confirmationsCount, 0);
});

test('confirmShipment refuses FBA, cancelled and pending orders', async () => {
  const sp = t.client();
  const { orders } = await t.control.createOrders(SELLER, [{ items: [{ sku: 'TEE-RED-M', quantity: 1 }], pendingSeconds: 0 }]);
  assert.match((await rejection(sp.callAPI(shipment(orders[0] as never)))).message ?? '', /fulfilled by Amazon/);
  const cancelled = await createFbm();
  await t.control.cancelOrder(cancelled.orderId, { reason: 'Changed my mind' });
  assert.match((await rejection(sp.callAPI(shipment(cancelled)))).message ?? '', /cancelled/);
  const { orders: pending } = await t.control.createOrders(SELLER, [{ items: [{ sku: 'MUG-BLUE', quantity: 1 }], fulfilledBy: 'MERCHANT' }]);
  assert.match((await rejection(sp.callAPI(shipment(pending[0] as never)))).message ?? '', /PENDING/);
});

test('updateShipmentStatus validates its body and answers 204', async () => {
  const sp = t.client();
  const order = await createFbm();
  const ok = await sp.callAPI({ operation: 'orders.updateShipmentStatus', path: { orderId: order.orderId }, body: { marketplaceId: UK, shipmentStatus: 'ReadyForPickup' } });
  assert.deepEqual(ok, { success: true });
  const err = await rejection(sp.callAPI({ operation: 'orders.updateShipmentStatus', path: { orderId: order.orderId }, body: { marketplaceId: UK, shipmentStatus: 'Teleported' } }));
  assert.equal(err.code, 'InvalidInput');
  assert.equal((await t.control.order(order.orderId)).shipmentStatusUpdates.length, 1);
});

test('a buyer cancellation cancels the order and gives the units back to the FBM listing', async () => {
  const before = (await t.control.listing(SELLER, 'MUG-BLUE')).quantity;
  const order = await createFbm([{ sku: 'MUG-BLUE', quantity: 2 }]);
  assert.equal((await t.control.listing(SELLER, 'MUG-BLUE')).quantity, before - 2);
  await t.control.cancelOrder(order.orderId, { reason: 'Ordered by mistake' });
  assert.equal((await t.control.listing(SELLER, 'MUG-BLUE')).quantity, before);
  await t.control.advance(150);
  const got = (await t.client().callAPI({ operation: 'orders.getOrder', path: { orderId: order.orderId }, query: { includedData: ['CANCELLATION', 'FULFILLMENT'] } })).order;
  assert.equal(got.fulfillment.fulfillmentStatus, 'CANCELLED');
  assert.equal(got.orderItems[0].cancellation.cancellationRequest.requester, 'BUYER');
});

test('legacy MWS sellers: orders reach SP-API hours late, with no error anywhere; reconnecting releases them', async () => {
  await t.control.setMws(SELLER, true, 3 * 3600);
  const since = isoMinutesAgo(t.handle, 1);
  const late = await createFbm();
  await t.control.advance(3600);
  const sp = t.client();
  assert.equal((await search({ lastUpdatedAfter: since })).orders.some((o: Json) => o.orderId === late.orderId), false);
  assert.equal((await rejection(sp.callAPI({ operation: 'orders.getOrder', path: { orderId: late.orderId } }))).code, 'NotFound');
  await t.control.advance(2 * 3600 + 180);
  const found = (await search({ lastUpdatedAfter: since })).orders.find((o: Json) => o.orderId === late.orderId);
  assert.ok(found, 'visible after the MWS delay');
  assert.ok(Date.parse(found.lastUpdatedTime) - Date.parse(found.createdTime) >= 3 * 3600 * 1000);

  const stuck = await createFbm();
  await t.control.setMws(SELLER, false);
  await t.control.advance(150);
  assert.ok((await t.control.order(stuck.orderId)).visible);
});
