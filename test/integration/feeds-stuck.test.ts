/**
 * The stuck-feed watchdog against the simulator's stuck-feeds knob: a feed Amazon never starts is
 * cancelled and its changes resubmitted in halves, a feed Amazon never finishes (IN_PROGRESS,
 * which cannot be cancelled) is abandoned with its changes left queued — and the operator is told
 * both times (NeedsAttention with a message).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { schema } from '../../db/client';
import { queueListingChanges, startListingFeedRun } from '../../activities/feeds';
import type { SimCatalogueItem } from '../../simulator/control-client';
import { listingFeedStatusQuery, type ListingFeedResult, type ListingFeedTuning } from '../../workflows/contracts/feeds';
import { NeedsAttentionKey } from '../../workflows/contracts/search-attributes';
import { startStack, type Stack } from '../support/stack';

const catalogue: SimCatalogueItem[] = Array.from({ length: 40 }, (_, i) => ({
  sku: `ST-${String(i + 1).padStart(3, '0')}`,
  title: `Stool ${i + 1}`,
  productType: 'CHAIR',
  price: 25,
  fulfilment: 'FBM' as const,
  fbmQuantity: 3,
}));

const TUNING: ListingFeedTuning = {
  maxSkusPerFeed: 40,
  minSkusPerFeed: 5,
  pollInterval: '300 milliseconds',
  pollIntervalWhileHolding: '200 milliseconds',
  pushSettle: '200 milliseconds',
  quietPeriod: '200 milliseconds',
  stuckAfter: '4 seconds',
  abandonAfter: '8 seconds',
};

let stack: Stack;
before(async () => {
  stack = await startStack({ catalogue, timeScale: 60, connectionId: `uk-stuck-${randomBytes(3).toString('hex')}` });
});
after(async () => {
  await stack?.control.setFeedsStuck(false).catch(() => {});
  await stack?.stop();
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
}

async function statuses(): Promise<Record<string, string>> {
  const rows = await stack.db.select().from(schema.listingChanges).where(eq(schema.listingChanges.connectionId, stack.connectionId));
  return Object.fromEntries(rows.map((r) => [r.sku, r.status]));
}

test('a feed stuck IN_QUEUE is cancelled, resubmitted in halves, and the operator is told', async () => {
  const queued = await queueListingChanges(
    stack.db,
    stack.connectionId,
    catalogue.map((c) => ({ sku: c.sku, title: `${c.title} (oak)` })),
  );
  assert.ok(queued.ok);
  await stack.control.setFeedsStuck('IN_QUEUE', stack.sellerId);
  const run = await startListingFeedRun(stack.client, { connectionId: stack.connectionId, taskQueue: stack.taskQueue, requestedBy: 'test', tuning: TUNING });
  const handle = stack.client.workflow.getHandle(run.workflowId);

  await waitFor(async () => (await handle.query(listingFeedStatusQuery)).totals.stuckFeeds >= 1);
  const during = await handle.query(listingFeedStatusQuery);
  assert.equal(during.needsAttention, true);
  assert.match(during.attention.join('\n'), /stuck IN_QUEUE for 4 seconds: Conduit cancelled it and is resubmitting in feeds of at most 20/);
  // Amazon's queue recovers.
  await stack.control.setFeedsStuck(false);
  const result: ListingFeedResult = await handle.result();

  assert.equal(result.outcome, 'COMPLETED');
  const simFeeds = (await stack.control.feeds(stack.sellerId)).feeds.sort((a, b) => Date.parse(a.createdTime) - Date.parse(b.createdTime));
  assert.equal(simFeeds[0]?.processingStatus, 'CANCELLED', 'the stuck feed was cancelled on Amazon');
  assert.equal(simFeeds[0]?.touchedSkus.length, 40);
  const later = simFeeds.slice(1);
  assert.ok(later.length >= 2 && later.every((f) => f.touchedSkus.length <= 20), `resubmitted in halves: ${later.map((f) => f.touchedSkus.length).join(', ')}`);
  assert.ok(later.some((f) => f.processingStatus === 'DONE'));
  assert.deepEqual(new Set(Object.values(await statuses())), new Set(['ACCEPTED']), 'every change landed after the retry');
  const listing = await stack.control.listing(stack.sellerId, 'ST-007');
  assert.equal(listing.title, 'Stool 7 (oak)');
  const description = await handle.describe();
  assert.equal(description.typedSearchAttributes.get(NeedsAttentionKey), true, 'NeedsAttention = true in the Web UI');
});

test('a feed stuck IN_PROGRESS cannot be cancelled: it is abandoned after the limit, its changes stay queued, the operator is told', async () => {
  const queued = await queueListingChanges(
    stack.db,
    stack.connectionId,
    catalogue.slice(0, 10).map((c) => ({ sku: c.sku, price: '29.99' })),
  );
  assert.ok(queued.ok);
  await stack.control.setFeedsStuck('IN_PROGRESS', stack.sellerId);
  const run = await startListingFeedRun(stack.client, { connectionId: stack.connectionId, taskQueue: stack.taskQueue, requestedBy: 'test', tuning: TUNING });
  const handle = stack.client.workflow.getHandle(run.workflowId);
  const result: ListingFeedResult = await handle.result();

  assert.equal(result.outcome, 'STOPPED_STUCK');
  assert.equal(result.stillQueued, 10);
  assert.match(result.attention.join('\n'), /IN_PROGRESS for .* Amazon does not allow cancelling it now/);
  assert.match(result.attention.join('\n'), /abandoned \(Amazon cannot cancel a feed in progress\)/);
  const simFeeds = (await stack.control.feeds(stack.sellerId)).feeds;
  assert.equal(simFeeds.filter((f) => f.processingStatus === 'IN_PROGRESS').length, 1, 'one feed, still stuck on Amazon; nothing more was queued behind it');
  const rows = await stack.db.select().from(schema.listingChanges).where(and(eq(schema.listingChanges.connectionId, stack.connectionId), eq(schema.listingChanges.status, 'QUEUED')));
  assert.equal(rows.length, 10);
  assert.ok(rows.every((r) => r.attempts === 1), 'the attempt is counted');
  const locks = await stack.db.select().from(schema.skuFeedLocks).where(eq(schema.skuFeedLocks.holder, 'FEED'));
  assert.deepEqual(locks, [], 'its SKUs are not held back from stock pushes');
  const feedRow = await stack.db.select().from(schema.feeds).where(eq(schema.feeds.status, 'ABANDONED'));
  assert.equal(feedRow.length, 1);
});
