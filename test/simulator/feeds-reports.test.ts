import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { APP, SELLER, UK, DE, assertExchangesConform, rejection, spClient, startTestSim, type Json, type Sp, type TestSim } from './helpers';
import { ROLES } from '../../simulator/roles';

let t: TestSim;
const JSON_TYPE = 'application/json; charset=UTF-8';

before(async () => {
  t = await startTestSim({ timeScale: 1, rateLimits: false, listingApplySeconds: 5, feedQueueSeconds: { min: 60, max: 60 }, feedRunSeconds: { min: 120, max: 120 } });
});

after(async () => {
  await t.close();
  assertExchangesConform(t.handle);
});

async function submitFeed(sp: Sp, content: string, contentType = JSON_TYPE): Promise<string> {
  const doc = await sp.callAPI({ operation: 'feeds.createFeedDocument', body: { contentType } });
  assert.match(doc.url, /^https:\/\/sim-docs\.local\//);
  assert.deepEqual(await sp.upload(doc, { content, contentType }), { success: true });
  const created = await sp.callAPI({ operation: 'feeds.createFeed', body: { feedType: 'JSON_LISTINGS_FEED', marketplaceIds: [UK], inputFeedDocumentId: doc.feedDocumentId } });
  return created.feedId as string;
}

async function feed(sp: Sp, feedId: string): Promise<Json> {
  return sp.callAPI({ operation: 'feeds.getFeed', path: { feedId } });
}

async function resultOf(sp: Sp, feedId: string): Promise<Json> {
  const done = await feed(sp, feedId);
  const doc = await sp.callAPI({ operation: 'feeds.getFeedDocument', path: { feedDocumentId: done.resultFeedDocumentId } });
  return sp.download(doc, { json: true });
}

const listingsFeed = (messages: unknown[], report = true) =>
  JSON.stringify({
    header: { sellerId: SELLER, version: '2.0', issueLocale: 'en_GB', ...(report ? { report: { includedData: ['issues', 'fulfillmentAvailability'], apiVersion: '2021-08-01' } } : {}) },
    messages,
  });

const qty = (messageId: number, sku: string, quantity: number, productType = 'HOME') => ({
  messageId,
  sku,
  operationType: 'PATCH',
  productType,
  patches: [{ op: 'replace', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity }] }],
});

test('JSON_LISTINGS_FEED end to end: upload, IN_QUEUE → IN_PROGRESS → DONE, processing report with per-message issues', async () => {
  const sp = t.client();
  const feedId = await submitFeed(
    sp,
    listingsFeed([
      qty(1, 'MUG-BLUE', 21),
      { messageId: 2, sku: 'LAMP-01', operationType: 'PARTIAL_UPDATE', productType: 'LAMP', attributes: { item_name: [{ value: 'Desk lamp, brass', language_tag: 'en_GB', marketplace_id: UK }] } },
      qty(3, 'NO-SUCH-SKU', 1),
      qty(4, 'LAMP-01', 2, 'HOME'),
      { messageId: 5, sku: 'LAMP-01', operationType: 'DELETE', productType: 'LAMP' },
    ]),
  );
  const queued = await feed(sp, feedId);
  assert.equal(queued.processingStatus, 'IN_QUEUE');
  assert.equal(queued.feedType, 'JSON_LISTINGS_FEED');
  await t.control.advance(125);
  assert.equal((await feed(sp, feedId)).processingStatus, 'IN_PROGRESS');
  await t.control.advance(245);
  const done = await feed(sp, feedId);
  assert.equal(done.processingStatus, 'DONE');
  assert.ok(done.processingStartTime && done.processingEndTime && done.resultFeedDocumentId);

  const report = await resultOf(sp, feedId);
  assert.deepEqual(t.handle.sim.core.models.validateAgainstSchemaFile('feeds/listings-feed-processing-report-schema-v2.json', report), []);
  assert.equal(report.header.feedId, feedId);
  assert.deepEqual(report.summary, { errors: 3, warnings: 0, messagesProcessed: 5, messagesAccepted: 2, messagesInvalid: 3, itemSummary: { items: 2, errors: 0, warnings: 0 } });
  const byMessage = Object.fromEntries(report.issues.map((i: Json) => [i.messageId, i.code]));
  assert.deepEqual(byMessage, { 3: '8560', 4: '4000003', 5: '4000001' });
  const mug = report.items.find((i: Json) => i.sku === 'MUG-BLUE');
  assert.deepEqual(mug.fulfillmentAvailability, [{ fulfillmentChannelCode: 'DEFAULT', quantity: 21 }]);

  assert.equal((await t.control.listing(SELLER, 'LAMP-01')).title, 'Desk lamp, brass');
  const change = (await t.control.listing(SELLER, 'MUG-BLUE')).quantityHistory.at(-1);
  assert.equal(change?.source, 'feed');
  assert.equal(change?.feedId, feedId);
});

test('unparseable feeds end FATAL with a processing report', async () => {
  const sp = t.client();
  const feedId = await submitFeed(sp, '<AmazonEnvelope>not json</AmazonEnvelope>');
  await t.control.advance(400);
  const done = await feed(sp, feedId);
  assert.equal(done.processingStatus, 'FATAL');
  const report = await resultOf(sp, feedId);
  assert.equal(report.issues[0].code, '4002001');
  assert.match(report.issues[0].message, /cannot be parsed/);

  const noMessages = await submitFeed(sp, JSON.stringify({ header: { sellerId: SELLER, version: '1.0' }, messages: [] }));
  await t.control.advance(400);
  assert.equal((await feed(sp, noMessages)).processingStatus, 'FATAL');
});

test('presigned URLs: the upload content type is signed, and URLs expire after 5 simulated minutes', async () => {
  const sp = t.client();
  const doc = await sp.callAPI({ operation: 'feeds.createFeedDocument', body: { contentType: JSON_TYPE } });
  const wrongType = await rejection(sp.upload(doc, { content: '{}', contentType: 'text/xml; charset=UTF-8' }));
  assert.equal(wrongType.code, 'SignatureDoesNotMatch');
  await t.control.advance(301);
  const late = await rejection(sp.upload(doc, { content: '{}', contentType: JSON_TYPE }));
  assert.equal(late.code, 'AccessDenied');
  assert.equal(late.message, 'Request has expired');
});

test('cancelFeed works only IN_QUEUE (200 with an empty body, which amazon-sp-api cannot parse)', async () => {
  const sp = t.client();
  const feedId = await submitFeed(sp, listingsFeed([qty(1, 'MUG-BLUE', 5)]));
  const raw = await sp.callAPI({ operation: 'feeds.cancelFeed', path: { feedId }, options: { raw_result: true } });
  assert.equal(raw.statusCode, 200);
  assert.equal(raw.body, '');
  assert.equal((await feed(sp, feedId)).processingStatus, 'CANCELLED');

  const running = await submitFeed(sp, listingsFeed([qty(1, 'MUG-BLUE', 6)]));
  await t.control.advance(125);
  assert.equal((await feed(sp, running)).processingStatus, 'IN_PROGRESS');
  const err = await rejection(sp.callAPI({ operation: 'feeds.cancelFeed', path: { feedId: running } }));
  assert.equal(err.code, 'InvalidInput');
  await t.control.advance(400);
});

test('getFeeds filters by type and status and pages with a nextToken that must travel alone', async () => {
  const sp = t.client();
  const all = await sp.callAPI({ operation: 'feeds.getFeeds', query: { feedTypes: ['JSON_LISTINGS_FEED'], pageSize: 2 } });
  assert.equal(all.feeds.length, 2);
  const next = await sp.callAPI({ operation: 'feeds.getFeeds', query: { nextToken: all.nextToken } });
  assert.ok(next.feeds.length >= 1);
  const mixed = await rejection(sp.callAPI({ operation: 'feeds.getFeeds', query: { nextToken: all.nextToken, pageSize: 2 } }));
  assert.match(mixed.message ?? '', /alone/);
  const fatal = await sp.callAPI({ operation: 'feeds.getFeeds', query: { feedTypes: ['JSON_LISTINGS_FEED'], processingStatuses: ['FATAL'] } });
  assert.equal(fatal.feeds.length, 2);
  assert.equal((await rejection(sp.callAPI({ operation: 'feeds.getFeeds', query: {} }))).code, 'InvalidInput');
  const unsupported = await rejection(sp.callAPI({ operation: 'feeds.createFeed', body: { feedType: 'POST_PRODUCT_DATA', marketplaceIds: [UK], inputFeedDocumentId: 'x' } }));
  assert.match(unsupported.message ?? '', /JSON_LISTINGS_FEED/);
});

test('the guide’s collision: a quantity change for a SKU in a pending feed waits 30–90 simulated minutes for that feed', async () => {
  const sp = t.client();
  const feedId = await submitFeed(sp, listingsFeed([{ messageId: 1, sku: 'MUG-BLUE', operationType: 'PARTIAL_UPDATE', productType: 'HOME', attributes: { item_name: [{ value: 'Blue mug (bulk title update)', marketplace_id: UK }] } }]));
  const collided = await sp.callAPI({
    operation: 'listingsItems.patchListingsItem',
    path: { sellerId: SELLER, sku: 'MUG-BLUE' },
    query: { marketplaceIds: [UK] },
    body: { productType: 'HOME', patches: [{ op: 'replace', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity: 13 }] }] },
  });
  assert.equal(collided.status, 'ACCEPTED');
  const free = await sp.callAPI({
    operation: 'listingsItems.patchListingsItem',
    path: { sellerId: SELLER, sku: 'LAMP-01' },
    query: { marketplaceIds: [UK] },
    body: { productType: 'LAMP', patches: [{ op: 'replace', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity: 4 }] }] },
  });
  assert.equal(free.status, 'ACCEPTED');
  await t.control.advance(10 * 60);
  assert.equal((await t.control.listing(SELLER, 'LAMP-01')).quantity, 4, 'a SKU outside the feed updates in seconds');
  const waiting = await t.control.listing(SELLER, 'MUG-BLUE');
  assert.notEqual(waiting.quantity, 13);
  assert.equal(waiting.pendingQuantityChanges[0]?.blockedByFeedId, feedId);
  const stalled = await t.control.feed(feedId);
  assert.ok(stalled.stalledUntil);
  assert.notEqual((await feed(sp, feedId)).processingStatus, 'DONE', 'an ordinary feed would be done by now; this one stalled');
  await t.control.advance(85 * 60);
  assert.equal((await feed(sp, feedId)).processingStatus, 'DONE');
  const view = await t.control.listing(SELLER, 'MUG-BLUE');
  assert.equal(view.quantity, 13);
  const change = view.quantityHistory.at(-1);
  assert.equal(change?.delayedByFeedId, feedId);
  assert.ok((change?.latencySeconds ?? 0) >= 25 * 60 && (change?.latencySeconds ?? 0) <= 95 * 60, `latency ${change?.latencySeconds}`);
  assert.equal(view.title, 'Blue mug (bulk title update)');
});

test('stuck feeds never leave IN_QUEUE until released (watchdog tests)', async () => {
  const sp = t.client();
  await t.control.setFeedsStuck('IN_QUEUE');
  const feedId = await submitFeed(sp, listingsFeed([qty(1, 'LAMP-01', 9, 'LAMP')]));
  await t.control.advance(6 * 3600);
  assert.equal((await feed(sp, feedId)).processingStatus, 'IN_QUEUE');
  await t.control.setFeedsStuck(false);
  await t.control.advance(400);
  assert.equal((await feed(sp, feedId)).processingStatus, 'DONE');
  assert.equal((await t.control.listing(SELLER, 'LAMP-01')).quantity, 9);
});

async function report(sp: Sp, reportType: string, marketplaceIds = [UK]): Promise<Json> {
  const { reportId } = await sp.callAPI({ operation: 'reports.createReport', body: { reportType, marketplaceIds } });
  assert.equal((await sp.callAPI({ operation: 'reports.getReport', path: { reportId } })).processingStatus, 'IN_QUEUE');
  await t.control.advance(301);
  return sp.callAPI({ operation: 'reports.getReport', path: { reportId } });
}

async function rows(sp: Sp, done: Json): Promise<Json[]> {
  assert.equal(done.processingStatus, 'DONE');
  const doc = await sp.callAPI({ operation: 'reports.getReportDocument', path: { reportDocumentId: done.reportDocumentId } });
  return sp.download(doc, { json: true });
}

test('GET_MERCHANT_LISTINGS_ALL_DATA lists every SKU with quantity, price, title and channel', async () => {
  const sp = t.client();
  const listing = await rows(sp, await report(sp, 'GET_MERCHANT_LISTINGS_ALL_DATA'));
  const mug = listing.find((r: Json) => r['seller-sku'] === 'MUG-BLUE');
  assert.equal(mug['fulfillment-channel'], 'DEFAULT');
  assert.equal(mug.quantity, '13');
  assert.equal(mug.price, '9.99');
  assert.equal(mug['item-name'], 'Blue mug (bulk title update)');
  assert.ok(mug.asin1);
  const tee = listing.find((r: Json) => r['seller-sku'] === 'TEE-RED-M');
  assert.equal(tee['fulfillment-channel'], 'AMAZON_EU');
  assert.equal(listing.filter((r: Json) => r['seller-sku'] === 'LAMP-01').length, 2, 'a hybrid SKU has a DEFAULT and an AMAZON_EU row');
});

test('returns reports (FBM and FBA); FBM returns never touch the listing, sellable FBA returns go back to FBA stock', async () => {
  const sp = t.client();
  const mugBefore = (await t.control.listing(SELLER, 'MUG-BLUE')).quantity;
  const teeBefore = (await t.control.fbaStock(SELLER, 'TEE-RED-M')).realQuantity;
  await t.control.createReturn({ sellerId: SELLER, channel: 'FBM', sku: 'MUG-BLUE', quantity: 1, reason: 'Damaged in transit' });
  await t.control.createReturn({ sellerId: SELLER, channel: 'FBA', sku: 'TEE-RED-M', quantity: 2 });
  assert.equal((await t.control.listing(SELLER, 'MUG-BLUE')).quantity, mugBefore);
  assert.equal((await t.control.fbaStock(SELLER, 'TEE-RED-M')).realQuantity, teeBefore + 2);

  const fbm = await rows(sp, await report(sp, 'GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE'));
  assert.equal(fbm.length, 1);
  assert.equal(fbm[0]['Merchant SKU'], 'MUG-BLUE');
  assert.equal(fbm[0]['Return quantity'], '1');
  assert.equal(fbm[0]['Return Reason'], 'Damaged in transit');
  const fba = await rows(sp, await report(sp, 'GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA'));
  assert.equal(fba[0].sku, 'TEE-RED-M');
  assert.equal(fba[0]['detailed-disposition'], 'SELLABLE');

  const empty = await report(sp, 'GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA', [DE]);
  assert.equal(empty.processingStatus, 'CANCELLED', 'Amazon cancels reports without data');
});

test('getReports lists by type; cancelReport works while IN_QUEUE', async () => {
  const sp = t.client();
  const { reportId } = await sp.callAPI({ operation: 'reports.createReport', body: { reportType: 'GET_MERCHANT_LISTINGS_ALL_DATA', marketplaceIds: [UK] } });
  const raw = await sp.callAPI({ operation: 'reports.cancelReport', path: { reportId }, options: { raw_result: true } });
  assert.equal(raw.statusCode, 200);
  assert.equal((await sp.callAPI({ operation: 'reports.getReport', path: { reportId } })).processingStatus, 'CANCELLED');
  const listed = await sp.callAPI({ operation: 'reports.getReports', query: { reportTypes: ['GET_MERCHANT_LISTINGS_ALL_DATA'], processingStatuses: ['CANCELLED', 'DONE'] } });
  assert.ok(listed.reports.some((r: Json) => r.reportId === reportId));
  assert.ok(listed.reports.every((r: Json) => r.reportType === 'GET_MERCHANT_LISTINGS_ALL_DATA'));
  const future = await rejection(sp.callAPI({ operation: 'reports.createReport', body: { reportType: 'GET_MERCHANT_LISTINGS_ALL_DATA', marketplaceIds: [UK], dataEndTime: '2999-01-01T00:00:00Z' } }));
  assert.match(future.message ?? '', /future/);
});

test('report types need a fitting role; unsupported report types are refused', async () => {
  const { refreshToken } = await t.control.authorise(SELLER, { clientId: APP.clientId, roles: [ROLES.pricing] });
  const pricingOnly = spClient(t.handle, refreshToken);
  const denied = await rejection(pricingOnly.callAPI({ operation: 'reports.createReport', body: { reportType: 'GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA', marketplaceIds: [UK] } }));
  assert.equal(denied.code, 'Unauthorized');
  const unsupported = await rejection(t.client().callAPI({ operation: 'reports.createReport', body: { reportType: 'GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE', marketplaceIds: [UK] } }));
  assert.equal(unsupported.code, 'InvalidInput');
});
