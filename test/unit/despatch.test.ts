import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateDespatch, isLateForDespatch, carrierFor, isPackageReferenceId, type DespatchInstruction, type DespatchableOrder } from '../../domain';

const order: DespatchableOrder = {
  amazonOrderId: '202-1234567-1234567',
  marketplaceId: 'A1F83G8C2ARO7P',
  route: 'FBM',
  fulfillmentStatus: 'UNSHIPPED',
  purchasedAt: '2026-11-26T18:00:00Z',
  latestShipDate: '2026-11-27T23:59:59Z',
  items: [
    { orderItemId: '11111111111111', sellerSku: 'MUG-RED', quantityOrdered: 2, quantityShipped: 0 },
    { orderItemId: '22222222222222', sellerSku: 'MUG-BLUE', quantityOrdered: 3, quantityShipped: 1 },
  ],
};
const despatch: DespatchInstruction = {
  carrierCode: 'Royal Mail',
  shippingMethod: 'Tracked 24',
  trackingNumber: ' AB123456789GB ',
  shipDate: '2026-11-27T10:00:00Z',
  lines: [{ orderItemId: '11111111111111', quantity: 2 }],
};
const ctx = { now: '2026-11-27T10:05:00Z', packageReferenceId: '1' };

const errorsFor = (i: DespatchInstruction, o: DespatchableOrder = order, c = ctx) => {
  const r = validateDespatch(i, o, c);
  assert.equal(r.ok, false);
  return r.ok ? [] : r.errors;
};

test('a good despatch becomes exactly the confirmShipment body Amazon expects', () => {
  const r = validateDespatch(despatch, order, ctx);
  assert.deepEqual(r, {
    ok: true,
    confirmShipmentBody: {
      marketplaceId: 'A1F83G8C2ARO7P',
      packageDetail: {
        packageReferenceId: '1',
        carrierCode: 'Royal Mail',
        carrierName: 'Royal Mail',
        shippingMethod: 'Tracked 24',
        trackingNumber: 'AB123456789GB',
        shipDate: '2026-11-27T10:00:00.000Z',
        orderItems: [{ orderItemId: '11111111111111', quantity: 2 }],
      },
    },
  });
  assert.ok(r.ok && !('codCollectionMethod' in r.confirmShipmentBody));
});

test('common carrier spellings are accepted and sent as Amazon\'s code (Hermes is Evri)', () => {
  assert.equal(carrierFor('royal mail')?.code, 'Royal Mail');
  assert.equal(carrierFor('Hermes')?.code, 'Evri');
  assert.equal(carrierFor('parcelforce')?.code, 'Parcelforce');
  assert.equal(carrierFor('Bob\'s Vans'), null);
  const r = validateDespatch({ ...despatch, carrierCode: 'hermes' }, order, ctx);
  assert.ok(r.ok && r.confirmShipmentBody.packageDetail.carrierCode === 'Evri');
});

test('an unknown carrier is refused with the list of codes and the "Other" route', () => {
  const [e] = errorsFor({ ...despatch, carrierCode: 'Whistl' });
  assert.equal(e?.field, 'carrierCode');
  assert.match(e?.message ?? '', /carrierCode "Whistl".*Royal Mail.*Other.*carrierName/s);
});

test('carrier "Other" needs a carrier name, which is then sent as given', () => {
  const [e] = errorsFor({ ...despatch, carrierCode: 'Other' });
  assert.equal(e?.field, 'carrierName');
  const r = validateDespatch({ ...despatch, carrierCode: 'Other', carrierName: 'Whistl' }, order, ctx);
  assert.ok(r.ok);
  assert.deepEqual(r.ok && [r.confirmShipmentBody.packageDetail.carrierCode, r.confirmShipmentBody.packageDetail.carrierName], ['Other', 'Whistl']);
});

test('tracking numbers must be present and made of letters, digits and hyphens', () => {
  assert.equal(errorsFor({ ...despatch, trackingNumber: '   ' })[0]?.field, 'trackingNumber');
  const [e] = errorsFor({ ...despatch, trackingNumber: 'AB 1234 5678 9GB' });
  assert.match(e?.message ?? '', /trackingNumber .* contains " "/);
  assert.match(errorsFor({ ...despatch, trackingNumber: 'AB12' })[0]?.message ?? '', /4 characters/);
});

test('a ship date in the future, before the order, or without a time zone is refused', () => {
  assert.match(errorsFor({ ...despatch, shipDate: '2026-11-28T10:00:00Z' })[0]?.message ?? '', /shipDate .* is in the future/);
  assert.match(errorsFor({ ...despatch, shipDate: '2026-11-25T10:00:00Z' })[0]?.message ?? '', /before the order was placed/);
  assert.match(errorsFor({ ...despatch, shipDate: '2026-11-27 10:00' })[0]?.message ?? '', /ISO-8601/);
  // A few minutes of warehouse clock drift is tolerated.
  assert.ok(validateDespatch({ ...despatch, shipDate: '2026-11-27T10:15:00Z' }, order, ctx).ok);
  // UK local time with an offset is fine and sent as UTC.
  const bst = validateDespatch({ ...despatch, shipDate: '2026-11-27T10:00:00+00:00' }, order, ctx);
  assert.ok(bst.ok && bst.confirmShipmentBody.packageDetail.shipDate === '2026-11-27T10:00:00.000Z');
});

test('lines must be items on the order and not exceed what is left to ship', () => {
  const unknown = errorsFor({ ...despatch, lines: [{ orderItemId: 'MUG-RED', quantity: 1 }] });
  assert.equal(unknown[0]?.field, 'lines[0].orderItemId');
  assert.match(unknown[0]?.message ?? '', /not an item on order 202-1234567-1234567/);

  const tooMany = errorsFor({ ...despatch, lines: [{ orderItemId: '22222222222222', quantity: 1 }, { orderItemId: '22222222222222', quantity: 2 }] });
  assert.equal(tooMany[0]?.field, 'lines[1].quantity');
  assert.match(tooMany[0]?.message ?? '', /3 unit\(s\) .*MUG-BLUE.* only 2 left to ship .* Send at most 2/);

  assert.equal(errorsFor({ ...despatch, lines: [] })[0]?.field, 'lines');
  assert.equal(errorsFor({ ...despatch, lines: [{ orderItemId: '11111111111111', quantity: 0 }] })[0]?.field, 'lines[0].quantity');
});

test('repeated lines for one item are combined into one order item in the body', () => {
  const r = validateDespatch({ ...despatch, lines: [{ orderItemId: '22222222222222', quantity: 1 }, { orderItemId: '11111111111111', quantity: 1 }, { orderItemId: '22222222222222', quantity: 1 }] }, order, ctx);
  assert.ok(r.ok);
  assert.deepEqual(r.ok && r.confirmShipmentBody.packageDetail.orderItems, [
    { orderItemId: '22222222222222', quantity: 2 },
    { orderItemId: '11111111111111', quantity: 1 },
  ]);
});

test('FBA, cancelled and already-shipped orders are never confirmed', () => {
  assert.match(errorsFor(despatch, { ...order, route: 'FBA' })[0]?.message ?? '', /fulfilled by Amazon/);
  assert.match(errorsFor(despatch, { ...order, fulfillmentStatus: 'CANCELLED' })[0]?.message ?? '', /cancelled/);
  assert.match(errorsFor(despatch, { ...order, fulfillmentStatus: 'SHIPPED' })[0]?.message ?? '', /already fully shipped/);
});

test('every problem is reported at once, each naming its field', () => {
  const errors = errorsFor({ carrierCode: '', shippingMethod: '', trackingNumber: '', shipDate: 'yesterday', lines: [] }, order, { ...ctx, packageReferenceId: '0' });
  assert.deepEqual(errors.map((e) => e.field), ['packageReferenceId', 'carrierCode', 'shippingMethod', 'trackingNumber', 'shipDate', 'lines']);
  for (const e of errors) assert.ok(e.message.includes(e.field), e.message);
});

test('package reference ids are positive numbers written as digits', () => {
  assert.ok(isPackageReferenceId('1'));
  assert.ok(isPackageReferenceId('12'));
  assert.ok(!isPackageReferenceId('0'));
  assert.ok(!isPackageReferenceId('01'));
  assert.ok(!isPackageReferenceId('PKG1'));
});

test('an order is late for despatch once its latest ship date has passed', () => {
  assert.equal(isLateForDespatch('2026-11-27T23:59:59Z', '2026-11-27T23:00:00Z'), false);
  assert.equal(isLateForDespatch('2026-11-27T23:59:59Z', '2026-11-28T00:00:00Z'), true);
  assert.equal(isLateForDespatch(undefined, '2026-11-28T00:00:00Z'), false);
});
