import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecklist, readyToLaunch, routingProblems, DEFAULT_DOWNLOAD_RULES, DEFAULT_FEED_WINDOW, DEFAULT_PEAK_HOURS, type ChecklistFacts } from '../../domain';

const healthy: ChecklistFacts = {
  connectionId: 'conn-uk-1',
  scopes: { granted: ['SELLING_PARTNER_INSIGHTS', 'FULFILMENT_INVENTORY', 'ORDERS', 'FEEDS'], blocked: [] },
  catalogue: { conduitSkus: ['MUG-RED', 'MUG-BLUE', 'NOT-LISTED'], amazonSkus: ['MUG-RED', 'MUG-BLUE'] },
  hybridSkus: ['MUG-RED'],
  separateStockPools: true,
  downloadRules: DEFAULT_DOWNLOAD_RULES,
  apiKind: 'SP_API',
  endToEndTestOrder: { amazonOrderId: '202-1234567-1234567', despatchedInConduit: true, amazonFulfillmentStatus: 'SHIPPED' },
  feedSchedule: { window: DEFAULT_FEED_WINDOW, stockSyncPausedDuringFeeds: true },
  stockSyncIntervalMinutes: 15,
  peakHours: DEFAULT_PEAK_HOURS,
  fbaLagAcknowledged: true,
};

const item = (facts: ChecklistFacts, id: number) => {
  const found = runChecklist(facts).find((i) => i.id === id);
  assert.ok(found);
  return found;
};

test('a correctly set-up connection passes all eight checks and is ready to launch', () => {
  const items = runChecklist(healthy);
  assert.deepEqual(items.map((i) => i.id), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.ok(items.every((i) => i.passed && i.fix === null), JSON.stringify(items.filter((i) => !i.passed)));
  assert.ok(readyToLaunch(items));
});

test('a blocked Orders scope fails check 1 with the symptom and the re-authorise command', () => {
  const i = item({ ...healthy, scopes: { granted: healthy.scopes.granted, blocked: ['ORDERS'] } }, 1);
  assert.equal(i.passed, false);
  assert.match(i.detail, /Orders is missing \(Tracking fails to push; FBM orders stay Unshipped in Seller Central; granted by role Inventory and Order Tracking/);
  assert.match(i.fix ?? '', /do not create a new one/);
  assert.match(i.fix ?? '', /`npm run conduit -- reauth url --connection conn-uk-1`/);
  assert.equal(readyToLaunch(runChecklist({ ...healthy, scopes: { granted: [], blocked: [] } })), false);
});

test("a trailing space on an Amazon SKU fails check 2 and names it", () => {
  const i = item({ ...healthy, catalogue: { conduitSkus: ['MUG-RED'], amazonSkus: ['MUG-RED ', 'MUG-GREEN'] } }, 2);
  assert.equal(i.passed, false);
  assert.match(i.detail, /Amazon "MUG-RED·" vs Conduit "MUG-RED" \(trailing-space\)/);
  assert.match(i.detail, /"MUG-GREEN"/);
  assert.match(i.fix ?? '', /npm run conduit -- reconcile --connection conn-uk-1 --report-only/);
  assert.equal(item({ ...healthy, catalogue: { conduitSkus: ['A'], amazonSkus: [] } }, 2).passed, false);
});

test('hybrid FBA+FBM SKUs sharing one stock figure fail check 3', () => {
  const i = item({ ...healthy, separateStockPools: false }, 3);
  assert.equal(i.passed, false);
  assert.match(i.detail, /oversell/);
  assert.match(i.fix ?? '', /npm run conduit -- schedules trigger --kind fba-sync --connection conn-uk-1/);
  assert.equal(item({ ...healthy, separateStockPools: false, hybridSkus: [] }, 3).passed, true);
});

test('routing that would allocate stock for shipped orders, or hide FBA orders, fails check 4', () => {
  assert.deepEqual(routingProblems(DEFAULT_DOWNLOAD_RULES), []);
  const i = item({ ...healthy, downloadRules: { fbmStatuses: ['UNSHIPPED', 'PARTIALLY_SHIPPED', 'SHIPPED'], fbaStatuses: [] } }, 4);
  assert.equal(i.passed, false);
  assert.match(i.detail, /SHIPPED status are downloaded as new work/);
  assert.match(i.detail, /FBA orders are not downloaded at all/);
  assert.match(i.fix ?? '', /npm run conduit -- connection reset-routing --connection conn-uk-1/);
  assert.match(item({ ...healthy, downloadRules: { fbmStatuses: ['PARTIALLY_SHIPPED'], fbaStatuses: 'ALL' } }, 4).detail, /Unshipped status are not downloaded/);
});

test('an MWS connection fails check 5 and is migrated, not patched', () => {
  const i = item({ ...healthy, apiKind: 'MWS' }, 5);
  assert.equal(i.passed, false);
  assert.match(i.detail, /hours late/);
  assert.match(i.fix ?? '', /npm run conduit -- migrate-mws --connection conn-uk-1.*Do not try to patch/);
});

test('check 6 wants Shipped in Seller Central, not just despatched in Conduit', () => {
  const i = item({ ...healthy, endToEndTestOrder: { amazonOrderId: '202-1234567-1234567', despatchedInConduit: true, amazonFulfillmentStatus: 'UNSHIPPED' } }, 6);
  assert.equal(i.passed, false);
  assert.match(i.detail, /despatched in Conduit but Amazon shows it UNSHIPPED/);
  assert.equal(item({ ...healthy, endToEndTestOrder: null }, 6).passed, false);
});

test('check 7 fails for a feed window in peak hours, or no window, or a large catalogue syncing stock during feeds', () => {
  const peak = item({ ...healthy, feedSchedule: { window: { startHour: 20, endHour: 2, timeZone: 'Europe/London' }, stockSyncPausedDuringFeeds: true } }, 7);
  assert.equal(peak.passed, false);
  assert.match(peak.detail, /20:00–02:00 UK overlaps peak hours 08:00–22:00 UK/);
  assert.match(peak.fix ?? '', /npm run conduit -- listings schedule --connection conn-uk-1 --window 22-06/);
  assert.equal(item({ ...healthy, feedSchedule: { window: null, stockSyncPausedDuringFeeds: true } }, 7).passed, false);

  const big = Array.from({ length: 600 }, (_, n) => `SKU-${n}`);
  const large = item({ ...healthy, catalogue: { conduitSkus: big, amazonSkus: big }, feedSchedule: { window: DEFAULT_FEED_WINDOW, stockSyncPausedDuringFeeds: false } }, 7);
  assert.equal(large.passed, false);
  assert.match(large.detail, /every 15 min.*up to 90 min \(about 6 sync runs\)/);
  // A small catalogue may keep syncing while a night-time feed runs.
  assert.equal(item({ ...healthy, feedSchedule: { window: DEFAULT_FEED_WINDOW, stockSyncPausedDuringFeeds: false } }, 7).passed, true);
});

test('check 8 needs the FBA lag acknowledged by the operations team', () => {
  const i = item({ ...healthy, fbaLagAcknowledged: false }, 8);
  assert.equal(i.passed, false);
  assert.match(i.detail, /4–6 hours/);
  assert.match(i.fix ?? '', /npm run conduit -- checklist --connection conn-uk-1 --acknowledge-fba-lag/);
});
