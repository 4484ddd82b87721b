import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  routeOrder,
  routeFromFulfillmentChannel,
  isDownloadable,
  searchFilterFor,
  searchWindowFor,
  nextCursor,
  orderWorkflowId,
  parseOrderWorkflowId,
  isAmazonOrderId,
  DEFAULT_DOWNLOAD_RULES,
  type RoutableOrder,
  type DownloadRules,
} from '../../domain';

const order = (fulfilledBy: string | undefined, fulfillmentStatus: string): RoutableOrder => ({
  orderId: '202-1234567-1234567',
  fulfillment: fulfilledBy === undefined ? { fulfillmentStatus } : { fulfillmentStatus, fulfilledBy },
});

test('orders shipped by Amazon route to FBA, merchant-shipped orders to FBM', () => {
  assert.equal(routeOrder(order('AMAZON', 'SHIPPED')), 'FBA');
  assert.equal(routeOrder(order('MERCHANT', 'UNSHIPPED')), 'FBM');
  assert.equal(routeFromFulfillmentChannel('AFN'), 'FBA');
  assert.equal(routeFromFulfillmentChannel('MFN'), 'FBM');
});

test('an order without fulfilment data is never guessed to be FBM (or FBA)', () => {
  assert.equal(routeOrder(order(undefined, 'UNSHIPPED')), 'UNKNOWN');
  assert.equal(routeOrder({ orderId: '202-1234567-1234567' }), 'UNKNOWN');
  assert.equal(isDownloadable(DEFAULT_DOWNLOAD_RULES, order(undefined, 'UNSHIPPED')), false);
});

test('by default the warehouse gets Unshipped and partly shipped FBM orders, and every FBA order is recorded', () => {
  const r = DEFAULT_DOWNLOAD_RULES;
  assert.equal(isDownloadable(r, order('MERCHANT', 'UNSHIPPED')), true);
  assert.equal(isDownloadable(r, order('MERCHANT', 'PARTIALLY_SHIPPED')), true);
  assert.equal(isDownloadable(r, order('MERCHANT', 'PENDING')), false);
  assert.equal(isDownloadable(r, order('MERCHANT', 'SHIPPED')), false);
  assert.equal(isDownloadable(r, order('AMAZON', 'SHIPPED')), true);
  assert.equal(isDownloadable(r, order('AMAZON', 'PENDING')), true);
});

test('the default rules need one unfiltered search (FBA is "all"), then per-route filtering', () => {
  assert.deepEqual(searchFilterFor(DEFAULT_DOWNLOAD_RULES), {});
});

test('FBM-only rules search merchant orders in those statuses, plus cancellations of orders holding stock', () => {
  assert.deepEqual(searchFilterFor({ fbmStatuses: ['UNSHIPPED', 'PARTIALLY_SHIPPED'], fbaStatuses: [] }), {
    fulfilledBy: ['MERCHANT'],
    fulfillmentStatuses: ['UNSHIPPED', 'PARTIALLY_SHIPPED', 'CANCELLED'],
  });
  assert.deepEqual(searchFilterFor({ fbmStatuses: ['UNSHIPPED'], fbaStatuses: ['SHIPPED'] }), {
    fulfillmentStatuses: ['UNSHIPPED', 'SHIPPED', 'CANCELLED'],
  });
  assert.equal(searchFilterFor({ fbmStatuses: [], fbaStatuses: [] }), null);
});

test('property: the search filter never hides an order the rules would download', () => {
  const statuses = ['PENDING_AVAILABILITY', 'PENDING', 'UNSHIPPED', 'PARTIALLY_SHIPPED', 'SHIPPED', 'CANCELLED', 'UNFULFILLABLE'] as const;
  const rulesArb: fc.Arbitrary<DownloadRules> = fc.record({
    fbmStatuses: fc.subarray([...statuses]),
    fbaStatuses: fc.oneof(fc.constant('ALL' as const), fc.subarray([...statuses])),
  });
  fc.assert(
    fc.property(rulesArb, fc.constantFrom('AMAZON', 'MERCHANT'), fc.constantFrom(...statuses), (rules, by, status) => {
      const o = order(by, status);
      if (!isDownloadable(rules, o)) return;
      const f = searchFilterFor(rules);
      assert.ok(f);
      if (f.fulfilledBy) assert.ok((f.fulfilledBy as string[]).includes(by));
      if (f.fulfillmentStatuses) assert.ok(f.fulfillmentStatuses.includes(status));
    }),
    { numRuns: 500 },
  );
});

test('a poll window always ends at least 2 minutes before now, as Amazon requires', () => {
  const w = searchWindowFor('2026-11-27T10:00:00Z', '2026-11-27T10:30:00Z');
  assert.deepEqual(w, { lastUpdatedAfter: '2026-11-27T10:00:00.000Z', lastUpdatedBefore: '2026-11-27T10:27:00.000Z' });
  assert.equal(searchWindowFor('2026-11-27T10:29:00Z', '2026-11-27T10:30:00Z'), null);
});

test('the next cursor steps back by the overlap from the newest change seen, so a boundary order is fetched again', () => {
  assert.equal(nextCursor('2026-11-27T10:00:00Z', '2026-11-27T10:20:00Z', 5, '2026-11-27T10:30:00Z'), '2026-11-27T10:15:00.000Z');
  // Nothing changed: advance to the window end, minus the overlap.
  assert.equal(nextCursor('2026-11-27T10:00:00Z', null, 5, '2026-11-27T10:30:00Z'), '2026-11-27T10:22:00.000Z');
  // Never backwards.
  assert.equal(nextCursor('2026-11-27T10:20:00Z', '2026-11-27T10:21:00Z', 10, '2026-11-27T10:30:00Z'), '2026-11-27T10:20:00.000Z');
  assert.throws(() => nextCursor('2026-11-27T10:00:00Z', null, -1, '2026-11-27T10:30:00Z'));
});

test('property: polling with the cursor never skips an order, even one Amazon indexes up to overlapMinutes late', () => {
  const base = Date.UTC(2026, 10, 27, 10);
  const at = (minutes: number): string => new Date(base + minutes * 60_000).toISOString();
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 30 }), // overlap, minutes
      fc.array(fc.record({ updated: fc.integer({ min: 1, max: 600 }), lag: fc.integer({ min: 0, max: 30 }) }), { maxLength: 30 }),
      fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 20 }), // gaps between polls
      (overlap, rawOrders, gaps) => {
        const orders = rawOrders.map((o, i) => ({ id: i, updated: o.updated, visibleFrom: o.updated + Math.min(o.lag, overlap) }));
        const seen = new Set<number>();
        let cursor = at(0);
        let t = 0;
        for (const gap of [...gaps, 2_000, 2_000]) {
          t += gap;
          const window = searchWindowFor(cursor, at(t));
          if (window === null) continue;
          assert.ok(Date.parse(window.lastUpdatedBefore) <= base + t * 60_000 - 2 * 60_000);
          const after = Date.parse(window.lastUpdatedAfter), before = Date.parse(window.lastUpdatedBefore);
          const page = orders.filter((o) => o.visibleFrom <= t && base + o.updated * 60_000 > after && base + o.updated * 60_000 <= before);
          for (const o of page) seen.add(o.id);
          const maxSeen = page.length ? at(Math.max(...page.map((o) => o.updated))) : null;
          const next = nextCursor(cursor, maxSeen, overlap, at(t));
          assert.ok(Date.parse(next) >= Date.parse(cursor));
          cursor = next;
        }
        for (const o of orders) assert.ok(seen.has(o.id), `order updated at +${o.updated} min, visible at +${o.visibleFrom} min was skipped`);
      },
    ),
    { numRuns: 1000 },
  );
});

test('order workflow IDs are built from the marketplace and the 3-7-7 Amazon order id', () => {
  assert.equal(orderWorkflowId('A1F83G8C2ARO7P', '202-1234567-1234567'), 'order:A1F83G8C2ARO7P:202-1234567-1234567');
  assert.deepEqual(parseOrderWorkflowId('order:A1F83G8C2ARO7P:202-1234567-1234567'), { marketplaceId: 'A1F83G8C2ARO7P', amazonOrderId: '202-1234567-1234567' });
  assert.equal(parseOrderWorkflowId('order:A1F83G8C2ARO7P:202-123'), null);
  assert.throws(() => orderWorkflowId('A1F83G8C2ARO7P', '2021234567-1234567'));
  assert.throws(() => orderWorkflowId('uk', '202-1234567-1234567'));
  assert.equal(isAmazonOrderId('202-1234567-1234567'), true);
  assert.equal(isAmazonOrderId(' 202-1234567-1234567'), false);
  assert.equal(isAmazonOrderId('S01-1234567-1234567'), false);
});
