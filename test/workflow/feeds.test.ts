/**
 * The listing-feed workflow on the time-skipping server with a fake Amazon and a fake queue:
 * window refusal and the operator's override, chunking and per-SKU results, the push ↔ feed
 * hand-shake with the real per-SKU push workflow (cancel while IN_QUEUE, hold while IN_PROGRESS),
 * and the stuck-feed watchdog (cancel + halve; abandon IN_PROGRESS).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import type { ClaimFeedChunkInput, FeedActivities, FeedResults, PreparedFeed } from '../../activities/feeds';
import type { FbmPushState, createStockActivities } from '../../activities/stock';
import { ukLocalHour } from '../../domain/schedule';
import { startTimeSkipping, type TimeSkipping } from '../support/time-skipping';
import {
  listingFeedStatusQuery,
  listingFeedWorkflowId,
  rejectedListingsQuery,
  type ListingFeedInput,
  type ListingFeedResult,
  type ListingFeedTuning,
} from '../../workflows/contracts/feeds';
import { skuPushWorkflowId, stockChangedSignal } from '../../workflows/contracts/stock';

type StockActivities = ReturnType<typeof createStockActivities>;

let server: TimeSkipping;
let env: TestWorkflowEnvironment;
const taskQueue = 'feeds-test';
const CONNECTION = 'uk-feeds';

interface FakeFeed {
  recordId: string;
  skus: string[];
  amazonId: string | null;
  status: 'CLAIMED' | 'IN_QUEUE' | 'IN_PROGRESS' | 'DONE' | 'CANCELLED' | 'RELEASED';
  polls: number;
  /** SKUs locked (just before createFeed). */
  locked: boolean;
}

/** The queue, the locks and Amazon's feed queue, all in memory; `script` decides each poll's answer. */
const fake = {
  window: { startHour: 0, endHour: 0, timeZone: 'Europe/London' as const },
  queued: [] as string[],
  /** SKUs whose stock just moved (a push began): never claimed until the push has ended. */
  moving: new Set<string>(),
  /** SKUs whose push ended recently: the next claim skips them once (the settle period). */
  settling: new Set<string>(),
  feeds: [] as FakeFeed[],
  rejectSkus: new Map<string, string>(),
  script: (_feed: FakeFeed): FakeFeed['status'] => 'DONE',
  events: [] as string[],
  pushes: [] as string[],
  accepted: [] as string[],
  cancels: 0,
  afterClaim: undefined as (() => void) | undefined,
};

function inFlightHolding(sku: string): FakeFeed | undefined {
  return fake.feeds.find((f) => f.locked && ['CLAIMED', 'IN_QUEUE', 'IN_PROGRESS'].includes(f.status) && f.skus.includes(sku));
}

const feedActivities: Omit<FeedActivities, 'queueListingChanges' | 'ensureListingFeedSchedule' | 'describeListingFeedSchedule'> = {
  async loadFeedSettings() {
    return { sellerId: 'A2SELLER', marketplaceIds: ['A1F83G8C2ARO7P'], window: fake.window, windowIsDefault: false };
  },
  async claimFeedChunk(input: ClaimFeedChunkInput) {
    const existing = fake.feeds.find((f) => f.recordId === input.feedRecordId);
    if (existing) return { claimed: true as const, feedRecordId: existing.recordId, skus: existing.skus, marketplaceId: 'A1F83G8C2ARO7P' };
    const eligible = fake.queued.filter((s) => !fake.moving.has(s) && !fake.settling.has(s) && !inFlightHolding(s));
    fake.settling.clear();
    if (eligible.length === 0) return { claimed: false as const, queued: fake.queued.length, deferred: fake.queued.length };
    const skus = eligible.slice(0, input.maxSkus);
    fake.queued = fake.queued.filter((s) => !skus.includes(s));
    fake.feeds.push({ recordId: input.feedRecordId, skus, amazonId: null, status: 'CLAIMED', polls: 0, locked: false });
    fake.afterClaim?.();
    return { claimed: true as const, feedRecordId: input.feedRecordId, skus, marketplaceId: 'A1F83G8C2ARO7P' };
  },
  async prepareFeedDocument(input: { feedRecordId: string }): Promise<PreparedFeed> {
    const feed = fake.feeds.find((f) => f.recordId === input.feedRecordId)!;
    return { empty: feed.skus.length === 0, feedDocumentId: `doc-${feed.recordId}`, marketplaceId: 'A1F83G8C2ARO7P', messages: feed.skus.length, unbuildable: [] };
  },
  async lockFeedSkus(input: { feedRecordId: string }) {
    const feed = fake.feeds.find((f) => f.recordId === input.feedRecordId)!;
    const busy = feed.skus.filter((s) => fake.moving.has(s) || fake.settling.has(s));
    feed.locked = true; // the quiet ones; the busy ones are taken out by the workflow
    return { locked: feed.skus.length - busy.length, busy };
  },
  async submitFeed(input: { feedRecordId: string }) {
    const feed = fake.feeds.find((f) => f.recordId === input.feedRecordId)!;
    feed.amazonId ??= `F${fake.feeds.indexOf(feed) + 1}`;
    feed.status = 'IN_QUEUE';
    fake.events.push(`submit ${feed.amazonId} [${feed.skus.join(',')}]`);
    return { amazonFeedId: feed.amazonId, submittedAt: new Date().toISOString() };
  },
  async checkFeed(input: { amazonFeedId: string }) {
    const feed = fake.feeds.find((f) => f.amazonId === input.amazonFeedId)!;
    if (feed.status === 'IN_QUEUE' || feed.status === 'IN_PROGRESS') {
      feed.polls++;
      feed.status = fake.script(feed);
      if (feed.status === 'DONE') fake.events.push(`done ${feed.amazonId}`);
    }
    return { processingStatus: feed.status, ...(feed.status === 'DONE' ? { resultFeedDocumentId: `result-${feed.amazonId}` } : {}) };
  },
  async cancelAmazonFeed(input: { amazonFeedId: string }) {
    const feed = fake.feeds.find((f) => f.amazonId === input.amazonFeedId)!;
    if (feed.status !== 'IN_QUEUE') return { cancelled: false, processingStatus: feed.status };
    feed.status = 'CANCELLED';
    fake.cancels++;
    fake.events.push(`cancel ${feed.amazonId}`);
    return { cancelled: true, processingStatus: 'CANCELLED' };
  },
  async recordFeedResults(input: { feedRecordId: string }): Promise<FeedResults> {
    const feed = fake.feeds.find((f) => f.recordId === input.feedRecordId)!;
    const rejected = feed.skus.filter((s) => fake.rejectSkus.has(s)).map((sku) => ({ sku, message: fake.rejectSkus.get(sku)! }));
    const accepted = feed.skus.filter((s) => !fake.rejectSkus.has(s));
    fake.accepted.push(...accepted);
    feed.status = 'DONE';
    feed.skus = [];
    return { accepted: accepted.length, rejected, requeued: 0, problem: null };
  },
  async unlockFeedSkus(input: { feedRecordId: string }) {
    const feed = fake.feeds.find((f) => f.recordId === input.feedRecordId)!;
    feed.locked = false;
    return { unlocked: feed.skus.length };
  },
  async releaseFeedChunk(input: { feedRecordId: string }) {
    const feed = fake.feeds.find((f) => f.recordId === input.feedRecordId)!;
    const requeued = feed.skus.length;
    fake.queued.unshift(...feed.skus);
    feed.skus = [];
    feed.locked = false;
    if (feed.status !== 'CANCELLED') feed.status = 'RELEASED';
    return { requeued };
  },
  async releaseSkusFromChunk(input: { feedRecordId: string; skus: string[] }) {
    const feed = fake.feeds.find((f) => f.recordId === input.feedRecordId)!;
    feed.skus = feed.skus.filter((s) => !input.skus.includes(s));
    fake.queued.push(...input.skus);
    return { requeued: input.skus.length };
  },
  async recoverUnfinishedFeeds() {
    return { recovered: 0, requeued: 0 };
  },
  async countQueuedListingChanges() {
    return fake.queued.length;
  },
  async beginFbmPush(input: { connectionId: string; sku: string }) {
    fake.moving.add(input.sku);
    const feed = inFlightHolding(input.sku);
    if (feed) {
      fake.events.push(`held ${input.sku} by ${feed.amazonId ?? feed.recordId}`);
      return { clear: false as const, feedRecordId: feed.recordId, feedWorkflowId: listingFeedWorkflowId(input.connectionId) };
    }
    return { clear: true as const };
  },
  async endFbmPush(input: { sku: string }) {
    fake.moving.delete(input.sku);
    fake.settling.add(input.sku);
  },
  async releaseOrphanedFeedLocks() {
    return { released: 0 };
  },
};

const stockActivities: Pick<StockActivities, 'readFbmPushState' | 'pushFbmQuantity' | 'recordFbmPush'> = {
  async readFbmPushState(): Promise<FbmPushState> {
    return { kind: 'FBM', quantity: 3, lastPushedQuantity: null, productType: 'MUG', sellerId: 'A2SELLER', marketplaceIds: ['A1F83G8C2ARO7P'] };
  },
  async pushFbmQuantity(input) {
    fake.events.push(`push ${input.sku}`);
    fake.pushes.push(input.sku);
    return { status: 'ACCEPTED', submissionId: `s-${fake.pushes.length}` };
  },
  async recordFbmPush() {
    return { pushedAt: new Date().toISOString() };
  },
};

before(async () => {
  server = await startTimeSkipping();
  env = server.env;
  await server.serve(taskQueue, { ...feedActivities, ...stockActivities });
});

after(() => server?.teardown());

beforeEach(() => {
  Object.assign(fake, {
    window: { startHour: 0, endHour: 0, timeZone: 'Europe/London' },
    queued: [],
    moving: new Set(),
    settling: new Set(),
    feeds: [],
    rejectSkus: new Map(),
    script: () => 'DONE',
    events: [],
    pushes: [],
    accepted: [],
    cancels: 0,
    afterClaim: undefined,
  });
});

const FAST: ListingFeedTuning = {
  pollInterval: '30 seconds',
  pollIntervalWhileHolding: '5 seconds',
  stuckAfter: '20 minutes',
  abandonAfter: '1 hour',
  busyRetry: '1 minute',
  maxBusyRounds: 3,
};

const startFeed = (input: Partial<ListingFeedInput> = {}) =>
  env.client.workflow.start('listingFeed', {
    workflowId: listingFeedWorkflowId(CONNECTION),
    taskQueue,
    args: [{ connectionId: CONNECTION, trigger: 'OPERATOR', requestedBy: 'test', ...input, tuning: { ...FAST, ...input.tuning } } satisfies ListingFeedInput],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  });

/** A stock change for `sku`: the real per-SKU push workflow, with its gate against the fake locks. */
const stockChange = (sku: string) =>
  env.client.workflow.signalWithStart('skuStockPush', {
    workflowId: skuPushWorkflowId(CONNECTION, sku),
    taskQueue,
    args: [{ connectionId: CONNECTION, sku, tuning: { settle: '50 milliseconds', idle: '30 seconds' } }],
    signal: stockChangedSignal,
    signalArgs: [{ cause: 'ADJUST' }],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  });

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met in time');
}

/** A window that is closed right now (UK time), whatever the hour the test runs. */
function closedWindow() {
  const hour = ukLocalHour(new Date().toISOString());
  return { startHour: (hour + 3) % 24, endHour: (hour + 5) % 24, timeZone: 'Europe/London' as const };
}

test('a scheduled run outside the feed window refuses to start; an operator override runs and says so', async () => {
  fake.window = closedWindow();
  fake.queued = ['A', 'B'];
  const scheduled = await startFeed({ trigger: 'SCHEDULE', requestedBy: 'schedule' });
  const refused: ListingFeedResult = await scheduled.result();
  assert.equal(refused.outcome, 'REFUSED_OUTSIDE_WINDOW');
  assert.equal(refused.stillQueued, 2);
  assert.equal(fake.feeds.length, 0, 'nothing claimed or sent');

  const operatorWithoutFlag = await startFeed({ trigger: 'OPERATOR' });
  assert.equal((await operatorWithoutFlag.result()).outcome, 'REFUSED_OUTSIDE_WINDOW');

  const overridden = await startFeed({ trigger: 'OPERATOR', overrideWindow: true, requestedBy: 'ops:alice' });
  const result: ListingFeedResult = await overridden.result();
  assert.equal(result.outcome, 'COMPLETED');
  assert.equal(result.totals.accepted, 2);
  const description = await overridden.describe();
  assert.equal((await description.memo)?.feedWindowOverriddenBy, 'ops:alice', 'the override is in the workflow memo');
  const history = await overridden.fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  assert.ok(started, 'the start event carries the override flag in its input');
});

test('changes go out in feeds of at most maxSkusPerFeed; Amazon rejections are needs-attention with the reason', async () => {
  fake.queued = ['S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7'];
  fake.rejectSkus.set('S5', '4000003: The Amazon product type specified is invalid or not supported.');
  fake.script = (f) => (f.polls >= 2 ? 'DONE' : f.polls === 1 ? 'IN_PROGRESS' : 'IN_QUEUE');
  const handle = await startFeed({ tuning: { maxSkusPerFeed: 3 } });
  const result: ListingFeedResult = await handle.result();
  assert.equal(result.outcome, 'COMPLETED');
  assert.deepEqual(
    fake.feeds.map((f) => f.amazonId),
    ['F1', 'F2', 'F3'],
  );
  assert.equal(result.totals.feeds, 3);
  assert.equal(result.totals.accepted, 6);
  assert.deepEqual(result.rejected.map((r) => [r.sku, r.message]), [['S5', '4000003: The Amazon product type specified is invalid or not supported.']]);
  const rejected = await handle.query(rejectedListingsQuery);
  assert.equal(rejected[0]?.sku, 'S5');
  const status = await handle.query(listingFeedStatusQuery);
  assert.equal(status.needsAttention, true);
  assert.match(status.attention.join('\n'), /S5 \(4000003/);
  assert.equal(status.phase, 'DONE');
});

test('a stock change for a SKU in a feed still IN_QUEUE: the feed is cancelled, the push goes at once, the rest is resubmitted', async () => {
  fake.queued = ['M1', 'M2', 'M3', 'M4'];
  // Amazon keeps the first feed IN_QUEUE until something happens; later feeds finish at once.
  fake.script = (f) => (f.amazonId === 'F1' ? 'IN_QUEUE' : 'DONE');
  const feed = await startFeed();
  await waitFor(async () => (await feed.query(listingFeedStatusQuery)).current?.status === 'IN_QUEUE');

  const push = await stockChange('M2');
  await waitFor(() => fake.pushes.includes('M2'));
  const at = (event: string) => fake.events.indexOf(event);
  assert.equal(fake.events[0], 'submit F1 [M1,M2,M3,M4]');
  assert.ok(at('held M2 by F1') > 0 && at('held M2 by F1') < at('cancel F1') && at('cancel F1') < at('push M2'), `held, cancelled, then pushed: ${fake.events.join(' | ')}`);

  const result: ListingFeedResult = await feed.result();
  assert.equal(result.totals.cancelledForStock, 1);
  assert.equal(result.totals.pushesReleased, 1);
  assert.deepEqual([...fake.accepted].sort(), ['M1', 'M2', 'M3', 'M4'], 'every change landed, M2 in a later feed');
  const f2 = fake.feeds.find((f) => f.amazonId === 'F2');
  assert.ok(f2, 'resubmitted');
  assert.ok(!fake.events.find((e) => e.startsWith('submit F2'))!.includes('M2'), 'the pushed SKU waits for a later feed (it is settling)');
  await push.result();
});

test('a stock change for a SKU in a feed IN_PROGRESS waits for the feed to finish (minutes, never the 30–90 min collision)', async () => {
  fake.queued = ['P1', 'P2'];
  let finish = false;
  fake.script = () => (finish ? 'DONE' : 'IN_PROGRESS');
  const feed = await startFeed();
  await env.sleep('31 seconds');
  await waitFor(async () => (await feed.query(listingFeedStatusQuery)).current?.status === 'IN_PROGRESS');

  const push = await stockChange('P1');
  await waitFor(async () => (await feed.query(listingFeedStatusQuery)).current?.waitingPushes.includes('P1') ?? false);
  assert.equal(fake.pushes.length, 0, 'not sent into the feed in progress');
  finish = true;
  const result: ListingFeedResult = await feed.result();
  await push.result();
  assert.equal(result.totals.pushesHeld, 1);
  assert.ok(fake.events.indexOf('done F1') < fake.events.indexOf('push P1'), `pushed after the feed finished: ${fake.events.join(' | ')}`);
  assert.equal(fake.cancels, 0);
});

test('a SKU whose stock is moving when the feed is about to be submitted is taken out and sent in a later feed', async () => {
  fake.queued = ['B1', 'B2', 'B3'];
  // B2's stock changes just after the chunk was claimed: its push is in flight while the document is built.
  fake.afterClaim = () => {
    fake.moving.add('B2');
    fake.afterClaim = undefined;
  };
  fake.script = (f) => {
    fake.moving.delete('B2');
    return f.polls >= 1 ? 'DONE' : 'IN_QUEUE';
  };
  const handle = await startFeed();
  const result: ListingFeedResult = await handle.result();
  assert.deepEqual(
    fake.events.filter((e) => e.startsWith('submit')),
    ['submit F1 [B1,B3]', 'submit F2 [B2]'],
  );
  assert.equal(result.totals.accepted, 3);
  assert.equal(result.totals.requeued, 1);
  assert.equal(fake.cancels, 0, 'nothing had to be cancelled');
});

test('watchdog: a feed stuck IN_QUEUE is cancelled and retried in halves, and the operator is told', async () => {
  fake.queued = Array.from({ length: 8 }, (_, i) => `Q${i + 1}`);
  fake.script = (f) => (f.amazonId === 'F1' ? 'IN_QUEUE' : 'DONE');
  const handle = await startFeed({ tuning: { maxSkusPerFeed: 8, minSkusPerFeed: 2 } });
  const result: ListingFeedResult = await handle.result();
  assert.equal(result.outcome, 'COMPLETED');
  assert.equal(result.totals.stuckFeeds, 1);
  assert.deepEqual(
    fake.feeds.map((f) => [f.amazonId, f.status]),
    [
      ['F1', 'CANCELLED'],
      ['F2', 'DONE'],
      ['F3', 'DONE'],
    ],
  );
  assert.equal(fake.accepted.length, 8, 'every change landed after the retry');
  assert.ok(fake.events.filter((e) => e.startsWith('submit F2') || e.startsWith('submit F3')).every((e) => e.split(',').length === 4), 'halved: 4 + 4');
  assert.match(result.attention.join('\n'), /stuck IN_QUEUE .*cancelled it and is resubmitting in feeds of at most 4/);
});

test('watchdog: a feed stuck IN_PROGRESS (cannot be cancelled) is abandoned after the limit; its changes stay queued', async () => {
  fake.queued = ['R1', 'R2', 'R3'];
  fake.script = () => 'IN_PROGRESS';
  const handle = await startFeed();
  const result: ListingFeedResult = await handle.result();
  assert.equal(result.outcome, 'STOPPED_STUCK');
  assert.equal(result.stillQueued, 3);
  assert.equal(fake.cancels, 0);
  assert.match(result.attention.join('\n'), /IN_PROGRESS for .* Amazon does not allow cancelling/);
  assert.match(result.attention.join('\n'), /abandoned/);
});

test('a repeated start joins the run in flight (one feed run per connection)', async () => {
  fake.queued = ['U1'];
  fake.script = (f) => (f.polls >= 1 ? 'DONE' : 'IN_QUEUE');
  const first = await startFeed();
  const second = await env.client.workflow.start('listingFeed', {
    workflowId: listingFeedWorkflowId(CONNECTION),
    taskQueue,
    args: [{ connectionId: CONNECTION, trigger: 'OPERATOR' } satisfies ListingFeedInput],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  assert.equal(second.firstExecutionRunId, first.firstExecutionRunId);
  await first.result();
});
