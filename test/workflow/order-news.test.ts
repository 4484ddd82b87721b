/**
 * Regression (found by the chaos run): Amazon news that arrives while the order workflow is
 * publishing its state (the saveOrderState activity in flight) must wake it at once. Before the
 * fix such a signal was counted before the wait began, so the order sat in FBA_RECORDED or
 * ALLOCATED until the 6-hour fallback poll. Time-skipping server, stubbed activities: the stub
 * holds saveOrderState until the test has sent the news.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { OrderActivities } from '../../activities/orders';
import { startTimeSkipping, type TimeSkipping } from '../support/time-skipping';
import { amazonOrderUpdatedSignal, orderWorkflowId, type OrderSnapshot } from '../../workflows/contracts/orders';

let server: TimeSkipping;
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
const taskQueue = 'order-news-test';
const MP = 'A1F83G8C2ARO7P';

/** saveOrderState for `state` waits for `release`; `entered` resolves when it is in flight. */
let hold: { state: string; entered: () => void; release: Promise<void> } | null = null;
let reads = 0;
/** What the fallback poll would read (the news itself): a missed signal still ends, but only after the 6-hour poll. */
let amazonNow: OrderSnapshot | null = null;

const activities: Partial<OrderActivities> & Record<string, (...args: never[]) => Promise<unknown>> = {
  async loadOrderRecord() {
    return null;
  },
  async catalogueCandidates() {
    return ['MUG-RED'];
  },
  async readFbmPools() {
    return { 'MUG-RED': { onHand: 10, allocated: 0, buffer: 0 } };
  },
  async recordMovements() {
    return { ok: true, applied: 1, skipped: 0, fbmAvailable: {} };
  },
  async requestStockPush() {},
  async saveOrderState(input: { state: string }) {
    if (hold && input.state === hold.state) {
      const h = hold;
      hold = null;
      h.entered();
      await h.release;
    }
  },
  async getAmazonOrder() {
    reads++;
    return amazonNow!;
  },
};

before(async () => {
  server = await startTimeSkipping();
  ({ env, bundle } = server);
});

after(() => server?.teardown());

function order(id: string, over: Partial<OrderSnapshot>, now: string): OrderSnapshot {
  return {
    amazonOrderId: id,
    marketplaceId: MP,
    fulfilledBy: 'MERCHANT',
    status: 'UNSHIPPED',
    purchasedAt: now,
    lastUpdatedAt: now,
    latestShipDate: new Date(Date.parse(now) + 3 * 86_400_000).toISOString(),
    lines: [{ orderItemId: '11111111111111', sku: 'MUG-RED', quantityOrdered: 1, quantityShipped: 0 }],
    packages: [],
    ...over,
  };
}

/** Starts the order, waits until it is publishing `state`, sends `news`, lets the publish finish; returns the outcome. */
async function newsDuringPublish(id: string, first: Partial<OrderSnapshot>, state: string, news: Partial<OrderSnapshot>) {
  const now = new Date(await env.currentTimeMs()).toISOString();
  const snapshot = order(id, first, now);
  let entered!: () => void;
  let release!: () => void;
  const inFlight = new Promise<void>((r) => (entered = r));
  hold = { state, entered, release: new Promise<void>((r) => (release = r)) };
  reads = 0;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.signalWithStart('amazonOrder', {
      workflowId: orderWorkflowId(MP, id),
      taskQueue,
      args: [{ connectionId: 'uk-news', marketplaceId: MP, amazonOrderId: id, downloadedVia: 'POLL' }],
      signal: amazonOrderUpdatedSignal,
      signalArgs: [snapshot],
    });
    await inFlight;
    amazonNow = { ...snapshot, ...news, lastUpdatedAt: new Date(Date.parse(now) + 60_000).toISOString() };
    await handle.signal(amazonOrderUpdatedSignal, amazonNow);
    await new Promise((r) => setTimeout(r, 300)); // the signal reaches history while the activity is still in flight
    release();
    return { outcome: await handle.result() };
  });
}

test('FBA: Amazon ships while the order is being recorded → FBA_SHIPPED at once, no 6-hour wait', async () => {
  const { outcome } = await newsDuringPublish('202-0000000-7000001', { fulfilledBy: 'AMAZON' }, 'FBA_RECORDED', { status: 'SHIPPED' });
  assert.equal(outcome.state, 'FBA_SHIPPED');
  assert.equal(reads, 0, 'the signal finished it, not the 6-hour fallback poll');
});

test('FBM: the buyer cancels while the order is being published as awaiting payment → CANCELLED at once', async () => {
  // No latest ship date: the wait's only deadline is the 6-hour fallback poll, which the bug would have needed.
  const { outcome } = await newsDuringPublish('202-0000000-7000002', { status: 'PENDING', latestShipDate: undefined }, 'AWAITING_PAYMENT', { status: 'CANCELLED' });
  assert.equal(outcome.state, 'CANCELLED');
  assert.equal(reads, 0, 'the signal finished it, not the 6-hour fallback poll');
});
