import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decideReturn,
  returnMovements,
  returnIdempotencyKey,
  fbmReturnId,
  fbaReturnId,
  inspectionEscalation,
  applyMovements,
  fbmAvailable,
  type ReturnedItem,
  type SkuStock,
} from '../../domain';

const fbmReturn: ReturnedItem = {
  returnId: fbmReturnId('DzXyZ123RMA'),
  route: 'FBM',
  amazonOrderId: '202-1234567-1234567',
  sku: 'MUG-RED',
  quantity: 2,
  receivedAt: '2026-11-27T09:00:00Z',
  condition: 'SELLABLE',
};
const stock: SkuStock = { sku: 'MUG-RED', fbm: { onHand: 3, allocated: 1, buffer: 0 }, fba: { fulfillable: 10, inbound: 0, reserved: 0, unfulfillable: 0, researching: 0, reportedAt: '2026-11-27T08:00:00Z' } };

test('a sellable FBM return is restocked into the FBM pool, and more is offered on Amazon', () => {
  assert.equal(decideReturn(fbmReturn), 'RESTOCK');
  const moves = returnMovements(fbmReturn, 'RESTOCK');
  assert.deepEqual(moves.map((m) => [m.pool, m.kind, m.onHandDelta, m.idempotencyKey]), [['FBM', 'RETURN_RESTOCK', 2, 'return:fbm:DzXyZ123RMA']]);
  const r = applyMovements(stock, moves);
  assert.ok(r.ok);
  assert.equal(r.ok && fbmAvailable(r.stock.fbm), 4);
});

test('a damaged FBM return is written off and moves no stock', () => {
  const damaged = { ...fbmReturn, condition: 'CUSTOMER_DAMAGED' as const };
  assert.equal(decideReturn(damaged), 'DISPOSE');
  assert.deepEqual(returnMovements(damaged, 'DISPOSE'), []);
});

test('an uninspected FBM return waits for inspection and moves nothing yet', () => {
  const pending = { ...fbmReturn, condition: null };
  assert.equal(decideReturn(pending), 'AWAIT_INSPECTION');
  assert.deepEqual(returnMovements(pending, 'AWAIT_INSPECTION'), []);
});

test('an FBA return is recorded against the FBA pool only: the FBM quantity offered never changes', () => {
  const fba: ReturnedItem = { ...fbmReturn, route: 'FBA', returnId: fbaReturnId({ amazonOrderId: '202-1234567-1234567', sku: 'MUG-RED', licensePlateNumber: 'LPNRR123', returnDate: '2026-11-27T09:00:00Z' }) };
  const moves = returnMovements(fba, decideReturn(fba));
  assert.deepEqual(moves.map((m) => [m.pool, m.kind, m.onHandDelta]), [['FBA', 'FBA_RETURN', 2]]);
  const r = applyMovements(stock, moves);
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.deepEqual(r.stock.fbm, stock.fbm);
  assert.equal(r.stock.fba?.fulfillable, 12);

  const unsellable = returnMovements({ ...fba, condition: 'DEFECTIVE' }, 'DISPOSE');
  assert.deepEqual(unsellable.map((m) => [m.pool, m.onHandDelta]), [['FBA', 0]]);
});

test('re-reading the same return gives the same idempotency key, so it is restocked once', () => {
  assert.equal(returnIdempotencyKey('fbm:DzXyZ123RMA'), 'return:fbm:DzXyZ123RMA');
  const moves = [...returnMovements(fbmReturn, 'RESTOCK'), ...returnMovements(fbmReturn, 'RESTOCK')];
  const r = applyMovements(stock, moves);
  assert.equal(r.ok && r.stock.fbm.onHand, 5);
  assert.equal(fbaReturnId({ amazonOrderId: '1', sku: 'S', returnDate: '2026-11-27T09:00:00Z' }), 'fba:1:S:2026-11-27T09:00:00Z');
  assert.throws(() => returnIdempotencyKey(' '));
});

test('an FBM return left uninspected past the timeout is escalated to an operator', () => {
  const pending = { ...fbmReturn, condition: null };
  assert.equal(inspectionEscalation(pending, '2026-11-28T09:00:00Z').escalate, false);
  const late = inspectionEscalation(pending, '2026-11-29T10:00:00Z');
  assert.equal(late.escalate, true);
  assert.equal(late.hoursWaiting, 49);
  assert.match(late.message, /still not inspected.*record SELLABLE to restock/);
  assert.equal(inspectionEscalation(fbmReturn, '2026-12-29T10:00:00Z').escalate, false); // already inspected
  assert.equal(inspectionEscalation({ ...pending, receivedAt: null }, '2026-12-29T10:00:00Z').escalate, false); // in transit
  assert.equal(inspectionEscalation({ ...pending, route: 'FBA' }, '2026-12-29T10:00:00Z').escalate, false); // Amazon inspects
  assert.equal(inspectionEscalation(pending, '2026-11-28T10:00:00Z', 24).escalate, true);
});
