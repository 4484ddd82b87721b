import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  applyMovement,
  applyMovements,
  allocationFor,
  releaseFor,
  despatchFor,
  restockFor,
  fbmAvailable,
  fbaEstimate,
  fbaPoolFromSummary,
  recordFbaReport,
  shouldPush,
  emptySkuStock,
  type SkuStock,
  type StockMovement,
  type FbaPool,
  type MovementKind,
} from '../../domain';

const stock = (onHand: number, allocated = 0, buffer = 0): SkuStock => ({ sku: 'MUG-RED', fbm: { onHand, allocated, buffer }, fba: null });
const adjust = (delta: number, key = `adjust:${delta}`): StockMovement => ({
  sku: 'MUG-RED', pool: 'FBM', kind: 'ADJUST', onHandDelta: delta, allocatedDelta: 0, idempotencyKey: key, reason: 'stock count',
});
const fbaReport = (fulfillable: number, reportedAt = '2026-11-27T08:00:00Z'): FbaPool => ({
  fulfillable, inbound: 0, reserved: 0, unfulfillable: 0, researching: 0, reportedAt,
});

test('the FBM quantity offered to Amazon is on hand minus allocated minus buffer, never negative', () => {
  assert.equal(fbmAvailable({ onHand: 10, allocated: 3, buffer: 2 }), 5);
  assert.equal(fbmAvailable({ onHand: 2, allocated: 1, buffer: 5 }), 0);
});

test('a hybrid SKU\'s FBA sale never changes the FBM quantity offered to Amazon', () => {
  let s: SkuStock = { ...stock(10, 2, 1), fba: fbaReport(40) };
  const before = fbmAvailable(s.fbm);
  const fbaSale: StockMovement = { sku: 'MUG-RED', pool: 'FBA', kind: 'FBA_REPORT', onHandDelta: -5, allocatedDelta: 0, idempotencyKey: 'fba:report:2', reason: 'FBA sales' };
  const r = applyMovement(s, fbaSale);
  assert.ok(r.ok);
  s = r.stock;
  assert.equal(fbmAvailable(s.fbm), before);
  assert.equal(s.fba?.fulfillable, 35);
});

test('an FBA sale booked against the FBM pool is refused, not silently applied', () => {
  const wrong: StockMovement = { sku: 'MUG-RED', pool: 'FBM', kind: 'FBA_REPORT', onHandDelta: -1, allocatedDelta: 0, idempotencyKey: 'x', reason: '' };
  const r = applyMovement(stock(5), wrong);
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.reason, 'INVALID_MOVEMENT');
});

test('allocating more than is on hand is refused as an oversell and changes nothing', () => {
  const s = stock(3, 2);
  const r = applyMovement(s, { sku: 'MUG-RED', pool: 'FBM', kind: 'ALLOCATE', onHandDelta: 0, allocatedDelta: 2, idempotencyKey: 'a', reason: '' });
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.reason, 'OVERSELL');
  assert.deepEqual(s, stock(3, 2));
});

test('a stock count below what is on hand would go negative and is refused with a readable reason', () => {
  const r = applyMovement(stock(2), adjust(-3));
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.reason, 'NEGATIVE_ON_HAND');
    assert.match(r.message, /MUG-RED/);
  }
});

test('a movement for another SKU is refused', () => {
  const r = applyMovement(stock(2), { ...adjust(1), sku: 'MUG-BLUE' });
  assert.equal(!r.ok && r.reason, 'SKU_MISMATCH');
});

test('an FBM order is allocated all-or-nothing, and a shortfall names each short SKU', () => {
  const pools = { 'MUG-RED': { onHand: 5, allocated: 1, buffer: 3 }, 'MUG-BLUE': { onHand: 1, allocated: 0, buffer: 0 } };
  const ok = allocationFor('202-1234567-1234567', [
    { orderItemId: '111', sku: 'MUG-RED', quantity: 2 },
    { orderItemId: '112', sku: 'MUG-RED', quantity: 2 },
  ], pools);
  assert.ok(ok.ok);
  assert.deepEqual(ok.ok && ok.movements.map((m) => [m.kind, m.allocatedDelta, m.idempotencyKey]), [
    ['ALLOCATE', 2, 'allocate:202-1234567-1234567:111'],
    ['ALLOCATE', 2, 'allocate:202-1234567-1234567:112'],
  ]);

  const short = allocationFor('202-1234567-1234567', [
    { orderItemId: '111', sku: 'MUG-RED', quantity: 3 },
    { orderItemId: '112', sku: 'MUG-RED', quantity: 2 },
    { orderItemId: '113', sku: 'MUG-BLUE', quantity: 1 },
    { orderItemId: '114', sku: 'MUG-GREEN', quantity: 1 },
  ], pools);
  assert.deepEqual(short, {
    ok: false,
    shortfalls: [
      { sku: 'MUG-RED', requested: 5, allocatable: 4 },
      { sku: 'MUG-GREEN', requested: 1, allocatable: 0 },
    ],
  });
});

test('the buffer holds stock back from Amazon but does not stop allocating an order Amazon already took', () => {
  const r = allocationFor('202-1234567-1234567', [{ orderItemId: '1', sku: 'MUG-RED', quantity: 4 }], { 'MUG-RED': { onHand: 4, allocated: 0, buffer: 2 } });
  assert.ok(r.ok);
});

test('allocate → despatch takes units off the shelf; allocate → cancel gives them back', () => {
  const lines = [{ orderItemId: '111', sku: 'MUG-RED', quantity: 2 }];
  const alloc = allocationFor('202-1234567-1234567', lines, { 'MUG-RED': stock(5).fbm });
  assert.ok(alloc.ok);
  const allocated = applyMovements(stock(5), alloc.ok ? alloc.movements : []);
  assert.ok(allocated.ok);
  if (!allocated.ok) return;
  assert.deepEqual(allocated.stock.fbm, { onHand: 5, allocated: 2, buffer: 0 });
  assert.equal(fbmAvailable(allocated.stock.fbm), 3);

  const shipped = applyMovements(allocated.stock, despatchFor('202-1234567-1234567', '1', lines));
  assert.ok(shipped.ok);
  assert.deepEqual(shipped.ok && shipped.stock.fbm, { onHand: 3, allocated: 0, buffer: 0 });

  const cancelled = applyMovements(allocated.stock, releaseFor('202-1234567-1234567', lines));
  assert.ok(cancelled.ok);
  assert.deepEqual(cancelled.ok && cancelled.stock.fbm, { onHand: 5, allocated: 0, buffer: 0 });
});

test('despatching more than was allocated is refused', () => {
  const r = applyMovements(stock(5, 1), despatchFor('202-1234567-1234567', '1', [{ orderItemId: '1', sku: 'MUG-RED', quantity: 2 }]));
  assert.equal(!r.ok && r.reason, 'NEGATIVE_ALLOCATED');
});

test('a restocked FBM return goes back on the shelf and a repeated key in one batch is applied once', () => {
  const m = restockFor({ sku: 'MUG-RED', quantity: 1, idempotencyKey: 'return:fbm:RMA1' });
  const r = applyMovements(stock(2), [m, m]);
  assert.ok(r.ok);
  assert.equal(r.ok && r.stock.fbm.onHand, 3);
  assert.throws(() => restockFor({ sku: 'MUG-RED', quantity: 0, idempotencyKey: 'k' }));
});

test('FBA estimate subtracts only FBA units ordered after the report and says how old the figure is', () => {
  const report = fbaReport(20, '2026-11-27T08:00:00Z');
  const e = fbaEstimate(report, [
    { quantity: 3, orderedAt: '2026-11-27T07:59:00Z' }, // already in Amazon's figure
    { quantity: 4, orderedAt: '2026-11-27T09:00:00Z' },
    { quantity: 2, orderedAt: '2026-11-27T11:30:00Z' },
  ], '2026-11-27T12:30:00Z');
  assert.deepEqual(e, {
    estimatedFulfillable: 14, reportedFulfillable: 20, unitsOrderedSinceReport: 6,
    reportedAt: '2026-11-27T08:00:00Z', ageMinutes: 270, lagging: true,
  });
  assert.equal(fbaEstimate(fbaReport(2), [{ quantity: 5, orderedAt: '2026-11-27T09:00:00Z' }], '2026-11-27T09:30:00Z').estimatedFulfillable, 0);
  assert.equal(fbaEstimate(fbaReport(2), [], '2026-11-27T09:30:00Z').lagging, false);
});

test('an FBA inventory summary becomes the FBA pool; without details it is not guessed', () => {
  const pool = fbaPoolFromSummary({
    sellerSku: 'MUG-RED',
    lastUpdatedTime: '2026-11-27T07:00:00Z',
    inventoryDetails: {
      fulfillableQuantity: 12, inboundWorkingQuantity: 1, inboundShippedQuantity: 2, inboundReceivingQuantity: 3,
      reservedQuantity: { totalReservedQuantity: 4 }, unfulfillableQuantity: { totalUnfulfillableQuantity: 1 },
    },
  }, '2026-11-27T08:00:00Z');
  assert.deepEqual(pool, { fulfillable: 12, inbound: 6, reserved: 4, unfulfillable: 1, researching: 0, reportedAt: '2026-11-27T07:00:00.000Z' });
  assert.equal(fbaPoolFromSummary({ sellerSku: 'X', totalQuantity: 5 }, '2026-11-27T08:00:00Z'), null);
});

test('a newer FBA report replaces the mirror without touching FBM; an older one is ignored', () => {
  const s = { ...stock(7, 1, 1), fba: fbaReport(10, '2026-11-27T08:00:00Z') };
  const newer = recordFbaReport(s, { ...fbaReport(6, '2026-11-27T09:00:00Z'), reserved: 2 }, 'fba-report:MUG-RED:2026-11-27T09');
  assert.ok(newer.recorded);
  if (newer.recorded) {
    assert.deepEqual(newer.stock.fbm, s.fbm);
    assert.equal(newer.stock.fba?.fulfillable, 6);
    assert.deepEqual([newer.movement.kind, newer.movement.pool, newer.movement.onHandDelta, newer.movement.allocatedDelta], ['FBA_REPORT', 'FBA', -4, 2]);
    // Replaying the ledger entry gives the same FBA figures.
    const replay = applyMovement(s, newer.movement);
    assert.ok(replay.ok);
    assert.equal(replay.ok && replay.stock.fba?.fulfillable, 6);
  }
  assert.deepEqual(recordFbaReport(s, fbaReport(1, '2026-11-27T07:00:00Z'), 'k'), { recorded: false, reason: 'STALE_REPORT' });
});

test('a quantity push is skipped when Amazon already shows that figure', () => {
  assert.equal(shouldPush(null, 0), true);
  assert.equal(shouldPush(5, 5), false);
  assert.equal(shouldPush(5, 4), true);
  assert.throws(() => shouldPush(5, -1));
});

// ---- property tests -------------------------------------------------------------------------------

const KINDS: MovementKind[] = ['ADJUST', 'ALLOCATE', 'RELEASE', 'DESPATCH', 'RETURN_RESTOCK', 'FBA_REPORT', 'FBA_RETURN'];

// Arbitrary movements, including malformed ones (wrong pool, wrong signs): applyMovement must cope.
const movementArb: fc.Arbitrary<StockMovement> = fc.record({
  sku: fc.constant('MUG-RED'),
  pool: fc.constantFrom<'FBM' | 'FBA'>('FBM', 'FBA'),
  kind: fc.constantFrom(...KINDS),
  onHandDelta: fc.integer({ min: -8, max: 8 }),
  allocatedDelta: fc.integer({ min: -8, max: 8 }),
  idempotencyKey: fc.string({ minLength: 1, maxLength: 6 }),
  reason: fc.constant('property'),
});
// Well-formed movements, so many sequences get far.
const wellFormedArb: fc.Arbitrary<StockMovement> = fc.tuple(fc.constantFrom(...KINDS), fc.integer({ min: 1, max: 6 }), fc.integer({ min: -6, max: 6 })).map(([kind, q, d]) => {
  const base = { sku: 'MUG-RED', idempotencyKey: `${kind}:${q}:${d}`, reason: 'property' };
  switch (kind) {
    case 'ADJUST': return { ...base, pool: 'FBM', kind, onHandDelta: d, allocatedDelta: 0 };
    case 'ALLOCATE': return { ...base, pool: 'FBM', kind, onHandDelta: 0, allocatedDelta: q };
    case 'RELEASE': return { ...base, pool: 'FBM', kind, onHandDelta: 0, allocatedDelta: -q };
    case 'DESPATCH': return { ...base, pool: 'FBM', kind, onHandDelta: -q, allocatedDelta: -q };
    case 'RETURN_RESTOCK': return { ...base, pool: 'FBM', kind, onHandDelta: q, allocatedDelta: 0 };
    case 'FBA_REPORT': return { ...base, pool: 'FBA', kind, onHandDelta: d, allocatedDelta: d };
    case 'FBA_RETURN': return { ...base, pool: 'FBA', kind, onHandDelta: q, allocatedDelta: 0 };
  }
});
const startArb = fc.record({ onHand: fc.nat(20), allocated: fc.nat(20), buffer: fc.nat(5) }).filter((p) => p.allocated <= p.onHand);

test('property: whatever movements are accepted, stock never goes negative and FBM orders never hold more than is on hand', () => {
  fc.assert(
    fc.property(startArb, fc.array(fc.oneof(movementArb, wellFormedArb), { maxLength: 60 }), (fbm, movements) => {
      let s: SkuStock = { sku: 'MUG-RED', fbm, fba: null };
      for (const m of movements) {
        const before = s;
        const r = applyMovement(s, m);
        if (!r.ok) {
          assert.deepEqual(s, before); // a refusal changes nothing
          continue;
        }
        s = r.stock;
        assert.ok(s.fbm.onHand >= 0);
        assert.ok(s.fbm.allocated >= 0);
        assert.ok(s.fbm.allocated <= s.fbm.onHand);
        assert.ok(fbmAvailable(s.fbm) <= s.fbm.onHand);
        assert.ok(fbmAvailable(s.fbm) >= 0);
        if (s.fba) assert.ok(s.fba.fulfillable >= 0 && s.fba.reserved >= 0);
      }
    }),
    { numRuns: 500 },
  );
});

test('property: FBA movements never change the FBM figure', () => {
  fc.assert(
    fc.property(startArb, fc.array(fc.oneof(movementArb, wellFormedArb), { maxLength: 40 }), (fbm, movements) => {
      let s: SkuStock = { sku: 'MUG-RED', fbm, fba: null };
      for (const m of movements) {
        const r = applyMovement(s, m);
        if (!r.ok) continue;
        if (m.pool === 'FBA') {
          assert.deepEqual(r.stock.fbm, s.fbm);
          assert.equal(fbmAvailable(r.stock.fbm), fbmAvailable(s.fbm));
        }
        s = r.stock;
      }
    }),
    { numRuns: 500 },
  );
});

test('property: an accepted allocation always applies cleanly, and a refusal names only SKUs that really are short', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ sku: fc.constantFrom('A', 'B', 'C'), quantity: fc.integer({ min: 0, max: 6 }) }), { minLength: 1, maxLength: 6 }),
      fc.record({ A: startArb, B: startArb }),
      (rawLines, pools) => {
        const lines = rawLines.map((l, i) => ({ ...l, orderItemId: String(i + 1) }));
        const r = allocationFor('202-0000000-0000001', lines, pools);
        if (r.ok) {
          for (const sku of ['A', 'B'] as const) {
            const applied = applyMovements({ sku, fbm: pools[sku], fba: null }, r.movements.filter((m) => m.sku === sku));
            assert.ok(applied.ok);
          }
          assert.ok(r.movements.every((m) => m.sku !== 'C'));
        } else {
          assert.ok(r.shortfalls.length > 0);
          for (const s of r.shortfalls) assert.ok(s.requested > s.allocatable);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('emptySkuStock starts with nothing to offer', () => {
  assert.equal(fbmAvailable(emptySkuStock('NEW', 2).fbm), 0);
});
