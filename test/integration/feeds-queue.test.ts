/**
 * Listing changes and feed documents against a real Postgres: queue validation (exact SKUs with
 * near-misses named, prices, titles, no quantities), latest value per SKU, the JSON_LISTINGS_FEED
 * document Conduit uploads validated against Amazon's own schema, per-SKU results from a
 * processing report, and the SKU lock between feeds and FBM pushes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { and, eq, sql } from 'drizzle-orm';
import type { Client } from '@temporalio/client';
import { schema } from '../../db/client';
import { createFeedActivities, queueListingChanges, validateListingChange, type ListingChangeInput } from '../../activities/feeds';
import { silentLogger, type ActivityDeps } from '../../activities/deps';
import { SchemaValidator, type JsonSchema } from '../../simulator/model-validator';
import type { SpApiPort } from '../../spapi/port';
import { createTestDatabase, type TestDatabase } from '../support/services';

const MODELS = path.resolve(__dirname, '../../../shared/sp-api-models/schemas/feeds');
const feedSchema = JSON.parse(fs.readFileSync(path.join(MODELS, 'listings-feed-schema-v2.json'), 'utf8')) as JsonSchema;
const CONNECTION = 'uk-queue';

let database: TestDatabase;
const uploads: Array<{ contentType: string; content: string }> = [];
let report: unknown = null;

/** Just the Feeds part of the SP-API port: captures uploads, answers with the test's processing report. */
const fakePort = {
  connectionId: CONNECTION,
  async createFeedDocument() {
    return { feedDocumentId: `doc-${uploads.length + 1}`, url: 'https://sim-docs.local/doc' };
  },
  async uploadFeedDocument(_url: string, contentType: string, content: string) {
    uploads.push({ contentType, content });
  },
  async getFeedDocumentContent() {
    return JSON.stringify(report);
  },
} as unknown as SpApiPort;

let activities: ReturnType<typeof createFeedActivities>;

before(async () => {
  database = await createTestDatabase();
  const db = database.db;
  await db.insert(schema.connections).values({ id: CONNECTION, sellerId: 'A2QUEUESELLER', region: 'eu', marketplaceIds: ['A1F83G8C2ARO7P'] });
  await db.insert(schema.catalogueItems).values([
    { connectionId: CONNECTION, sku: 'MUG-RED', productType: 'DRINKING_CUP', fulfilment: 'FBM' },
    { connectionId: CONNECTION, sku: 'CAP-01', productType: 'HAT', fulfilment: 'FBM' },
    { connectionId: CONNECTION, sku: 'TEE Ü', productType: 'SHIRT', fulfilment: 'HYBRID' },
  ]);
  const deps: ActivityDeps = {
    db,
    spApiFor: async () => fakePort,
    spApiApp: { exchangeAuthorizationCode: async () => ({ refreshToken: '' }) },
    sealer: { seal: (s) => s, open: (s) => s },
    clock: () => new Date(),
    log: silentLogger,
    workflowClient: {} as Client,
    taskQueue: 'unused',
  };
  activities = createFeedActivities(deps);
});
after(async () => {
  await database?.drop();
});
beforeEach(async () => {
  await database.db.delete(schema.listingChanges);
  await database.db.delete(schema.skuFeedLocks);
  await database.db.delete(schema.feeds);
  uploads.length = 0;
});

const problemsOf = async (changes: ListingChangeInput[]) => {
  const result = await queueListingChanges(database.db, CONNECTION, changes);
  assert.equal(result.ok, false, 'refused');
  return result.ok ? [] : result.problems;
};

test('quantities are refused with a pointer to stock adjust; nothing is queued', async () => {
  const problems = await problemsOf([{ sku: 'MUG-RED', title: 'Red mug' }, { sku: 'CAP-01', quantity: 5 }, { sku: 'CAP-01', fulfillment_availability: [] }]);
  assert.equal(problems.length, 2);
  for (const p of problems) assert.match(p.message, /never carry quantities.*stock adjust/);
  assert.match(problems[0]!.message, /npm run conduit -- stock adjust --connection uk-queue --sku CAP-01/);
  assert.equal((await database.db.select().from(schema.listingChanges)).length, 0, 'all or nothing: the valid change was not queued either');
});

test('SKUs must exist exactly; a near-miss is named', async () => {
  const problems = await problemsOf([{ sku: 'mug-red ', title: 'x' }, { sku: 'NOPE-1', title: 'x' }]);
  assert.match(problems[0]!.message, /"mug-red·" in this listing change is not in the Conduit catalogue\. It looks like "MUG-RED"/);
  assert.match(problems[0]!.message, /upper\/lower case/);
  assert.match(problems[0]!.message, /at the end/);
  assert.match(problems[1]!.message, /"NOPE-1" .* not in the Conduit catalogue and nothing similar is/);
});

test('prices must be positive with at most 2 decimals; titles non-blank and at most 200 characters', () => {
  const ctx = { catalogueSkus: ['MUG-RED'], marketplaceIds: ['A1F83G8C2ARO7P'], connectionId: CONNECTION };
  const bad = (change: ListingChangeInput) => validateListingChange(change, 0, ctx).problems.map((p) => `${p.field}: ${p.message}`);
  assert.match(bad({ sku: 'MUG-RED', price: 12.999 })[0]!, /price: .*at most 2 decimals/);
  assert.match(bad({ sku: 'MUG-RED', price: 0 })[0]!, /price: price must be a positive amount/);
  assert.match(bad({ sku: 'MUG-RED', price: '-3' })[0]!, /price/);
  assert.match(bad({ sku: 'MUG-RED', price: '1e3' })[0]!, /price/);
  assert.match(bad({ sku: 'MUG-RED', title: '   ' })[0]!, /title: title must not be blank/);
  assert.match(bad({ sku: 'MUG-RED', title: 'x'.repeat(201) })[0]!, /201 characters; Amazon allows at most 200/);
  assert.match(bad({ sku: 'MUG-RED' })[0]!, /changes nothing/);
  assert.deepEqual(bad({ sku: 'MUG-RED', title: 'é'.repeat(200), price: '19.9' }), []);
  assert.deepEqual(validateListingChange({ sku: 'MUG-RED', price: 19.99 }, 0, ctx).attributes, { marketplaceId: 'A1F83G8C2ARO7P', price: { amount: 19.99, currency: 'GBP' } });
});

test('latest value per SKU wins, field by field; the database refuses a quantity even if code forgot', async () => {
  assert.ok((await queueListingChanges(database.db, CONNECTION, [{ sku: 'MUG-RED', title: 'Red mug' }])).ok);
  assert.ok((await queueListingChanges(database.db, CONNECTION, [{ sku: 'MUG-RED', price: '9.50' }, { sku: 'MUG-RED', title: 'Red enamel mug' }])).ok);
  const [row] = await database.db.select().from(schema.listingChanges).where(eq(schema.listingChanges.sku, 'MUG-RED'));
  assert.deepEqual(row!.attributes, { marketplaceId: 'A1F83G8C2ARO7P', title: 'Red enamel mug', price: { amount: 9.5, currency: 'GBP' } });
  assert.equal(row!.status, 'QUEUED');
  await assert.rejects(
    database.db.execute(sql`insert into listing_changes (connection_id, sku, attributes) values (${CONNECTION}, 'CAP-01', '{"fulfillment_availability": []}'::jsonb)`),
    (err: { cause?: { constraint_name?: string } }) => err.cause?.constraint_name === 'listing_changes_no_quantity',
  );
});

test('the uploaded document is a valid JSON_LISTINGS_FEED (Amazon schema), one PATCH per SKU, no quantities; results land per SKU with Amazon’s reason', async () => {
  assert.ok(
    (
      await queueListingChanges(database.db, CONNECTION, [
        { sku: 'MUG-RED', title: 'Red mug', price: '12.50' },
        { sku: 'CAP-01', description: 'Warm wool cap' },
        { sku: 'TEE Ü', title: 'Organic tee' },
      ])
    ).ok,
  );
  const claim = await activities.claimFeedChunk({ connectionId: CONNECTION, feedRecordId: 'f-1', maxSkus: 10, pushSettleMs: 0, quietPeriodMs: 0 });
  assert.ok(claim.claimed);
  assert.deepEqual(claim.skus, ['CAP-01', 'MUG-RED', 'TEE Ü']);
  const again = await activities.claimFeedChunk({ connectionId: CONNECTION, feedRecordId: 'f-1', maxSkus: 10, pushSettleMs: 0, quietPeriodMs: 0 });
  assert.deepEqual(again, claim, 'a retried claim returns the same chunk');

  const prepared = await activities.prepareFeedDocument({ feedRecordId: 'f-1' });
  assert.equal(prepared.messages, 3);
  assert.equal(uploads.length, 1);
  assert.equal(uploads[0]!.contentType, 'application/json; charset=UTF-8');
  const document = JSON.parse(uploads[0]!.content) as { header: Record<string, unknown>; messages: Array<Record<string, unknown>> };
  assert.deepEqual(new SchemaValidator(feedSchema).validate(feedSchema, document), [], 'valid against listings-feed-schema-v2.json');
  assert.deepEqual(document.header, { sellerId: 'A2QUEUESELLER', version: '2.0', issueLocale: 'en_GB' });
  assert.deepEqual(
    document.messages.map((m) => [m.messageId, m.sku, m.operationType, m.productType]),
    [
      [1, 'CAP-01', 'PATCH', 'HAT'],
      [2, 'MUG-RED', 'PATCH', 'DRINKING_CUP'],
      [3, 'TEE Ü', 'PATCH', 'SHIRT'],
    ],
  );
  assert.ok(!uploads[0]!.content.includes('fulfillment_availability') && !/quantity/i.test(uploads[0]!.content), 'no quantity anywhere in the feed');

  const locked = await activities.lockFeedSkus({ feedRecordId: 'f-1', pushSettleMs: 0, quietPeriodMs: 0 });
  assert.deepEqual(locked, { locked: 3, busy: [] });
  // A push for a SKU inside the feed is told to wait, naming the feed.
  assert.deepEqual(await activities.beginFbmPush({ connectionId: CONNECTION, sku: 'MUG-RED' }), { clear: false, feedRecordId: 'f-1', feedWorkflowId: 'listing-feed:uk-queue' });

  report = {
    header: { sellerId: 'A2QUEUESELLER', version: '2.0', feedId: '50001' },
    issues: [{ messageId: 3, code: '4000003', severity: 'ERROR', message: 'The Amazon product type specified is invalid or not supported.' }],
    summary: { errors: 1, warnings: 0, messagesProcessed: 3, messagesAccepted: 2, messagesInvalid: 1 },
  };
  const results = await activities.recordFeedResults({ feedRecordId: 'f-1', processingStatus: 'DONE', resultFeedDocumentId: 'r-1' });
  assert.equal(results.accepted, 2);
  assert.deepEqual(results.rejected, [{ sku: 'TEE Ü', message: '4000003: The Amazon product type specified is invalid or not supported.' }]);
  const rows = await database.db.select().from(schema.listingChanges);
  assert.deepEqual(Object.fromEntries(rows.map((r) => [r.sku, [r.status, r.message]])), {
    'CAP-01': ['ACCEPTED', null],
    'MUG-RED': ['ACCEPTED', null],
    'TEE Ü': ['REJECTED', '4000003: The Amazon product type specified is invalid or not supported.'],
  });
  assert.deepEqual(await activities.beginFbmPush({ connectionId: CONNECTION, sku: 'MUG-RED' }), { clear: true }, 'the feed let go of its SKUs');
});

test('a SKU being pushed is never claimed into a feed until its push has settled; moving stock makes it busy at lock time', async () => {
  assert.ok((await queueListingChanges(database.db, CONNECTION, [{ sku: 'MUG-RED', title: 'a' }, { sku: 'CAP-01', title: 'b' }])).ok);
  assert.deepEqual(await activities.beginFbmPush({ connectionId: CONNECTION, sku: 'MUG-RED' }), { clear: true });
  const first = await activities.claimFeedChunk({ connectionId: CONNECTION, feedRecordId: 'f-2', maxSkus: 10, pushSettleMs: 60_000, quietPeriodMs: 0 });
  assert.ok(first.claimed);
  assert.deepEqual(first.skus, ['CAP-01'], 'MUG-RED is being pushed');
  await activities.endFbmPush({ connectionId: CONNECTION, sku: 'MUG-RED' });
  const settling = await activities.claimFeedChunk({ connectionId: CONNECTION, feedRecordId: 'f-3', maxSkus: 10, pushSettleMs: 60_000, quietPeriodMs: 0 });
  assert.equal(settling.claimed, false, 'still settling (Amazon applies accepted pushes asynchronously)');
  const settled = await activities.claimFeedChunk({ connectionId: CONNECTION, feedRecordId: 'f-4', maxSkus: 10, pushSettleMs: 0, quietPeriodMs: 0 });
  assert.ok(settled.claimed);
  assert.deepEqual(settled.skus, ['MUG-RED']);

  // Claimed but not yet locked: a push can still go (the document is being built) — and the lock then finds it busy.
  assert.deepEqual(await activities.beginFbmPush({ connectionId: CONNECTION, sku: 'MUG-RED' }), { clear: true });
  await activities.prepareFeedDocument({ feedRecordId: 'f-4' });
  assert.deepEqual(await activities.lockFeedSkus({ feedRecordId: 'f-4', pushSettleMs: 0, quietPeriodMs: 0 }), { locked: 0, busy: ['MUG-RED'] }, 'busy: the feed must go without it');
  const requeued = await activities.releaseSkusFromChunk({ feedRecordId: 'f-4', skus: ['MUG-RED'] });
  assert.equal(requeued.requeued, 1);
  const [row] = await database.db.select().from(schema.listingChanges).where(and(eq(schema.listingChanges.sku, 'MUG-RED')));
  assert.equal(row!.status, 'QUEUED');
  assert.equal(row!.feedId, null);
});
