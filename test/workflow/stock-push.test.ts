/**
 * The per-SKU FBM push workflow on the time-skipping server with stubbed activities: a burst of
 * changes becomes one push of the latest figure, unchanged figures are not pushed, Amazon's
 * INVALID answer is needs-attention with its message, and the workflow finishes when idle.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { createStockActivities, FbmPushState, PushFbmQuantityInput, PushFbmQuantityResult } from '../../activities/stock';
import type { FeedActivities } from '../../activities/feeds';
import { startTimeSkipping, type TimeSkipping } from '../support/time-skipping';
import { pendingPushQuery, skuPushWorkflowId, stockChangedSignal, parseSkuPushWorkflowId } from '../../workflows/contracts/stock';

type StockActivities = ReturnType<typeof createStockActivities>;

let server: TimeSkipping;
let env: TestWorkflowEnvironment;
const taskQueue = 'stock-push-test';

/** A fake warehouse + Amazon: the figure the ledger derives, and what was pushed. */
const fake = {
  quantity: 0,
  lastPushed: null as number | null,
  pushes: [] as number[],
  invalidNext: null as string | null,
  gate: null as Promise<void> | null,
  kind: 'FBM' as 'FBM' | 'FBA_ONLY' | 'UNKNOWN_SKU',
  reads: 0,
  notFoundNext: false,
};

const activities: Pick<StockActivities, 'readFbmPushState' | 'pushFbmQuantity' | 'recordFbmPush'> = {
  async readFbmPushState(): Promise<FbmPushState> {
    fake.reads++;
    if (fake.kind !== 'FBM') return { kind: fake.kind };
    return { kind: 'FBM', quantity: fake.quantity, lastPushedQuantity: fake.lastPushed, productType: 'MUG', sellerId: 'A2SELLER', marketplaceIds: ['A1F83G8C2ARO7P'] };
  },
  async pushFbmQuantity(input: PushFbmQuantityInput): Promise<PushFbmQuantityResult> {
    if (fake.gate) await fake.gate;
    if (fake.notFoundNext) {
      fake.notFoundNext = false;
      throw ApplicationFailure.create({ type: 'NotFound', message: 'Listing not found', nonRetryable: true, details: [{ operation: 'patchListingsItem', scope: 'FEEDS' }] });
    }
    if (fake.invalidNext) {
      const message = fake.invalidNext;
      fake.invalidNext = null;
      return { status: 'INVALID', submissionId: 's-bad', message };
    }
    fake.pushes.push(input.quantity);
    return { status: 'ACCEPTED', submissionId: `s-${fake.pushes.length}` };
  },
  async recordFbmPush(input: { quantity: number }) {
    fake.lastPushed = input.quantity;
    return { pushedAt: new Date().toISOString() };
  },
};

// The push takes its SKU's feed lock first (workflows/feeds/push-gate.ts); no bulk feed runs in these tests.
const feedGate: Pick<FeedActivities, 'beginFbmPush' | 'endFbmPush'> = {
  async beginFbmPush() {
    return { clear: true };
  },
  async endFbmPush() {},
};

before(async () => {
  server = await startTimeSkipping();
  env = server.env;
  await server.serve(taskQueue, { ...activities, ...feedGate });
});

after(() => server?.teardown());

beforeEach(() => {
  Object.assign(fake, { quantity: 0, lastPushed: null, pushes: [], invalidNext: null, gate: null, kind: 'FBM', reads: 0, notFoundNext: false });
});

/** One worker for the file: workflows left idling by one test keep being served while another skips time. */
async function withWorker<T>(fn: () => Promise<T>): Promise<T> {
  return fn();
}

const startPush = (sku: string, tuning: Record<string, unknown> = {}) =>
  env.client.workflow.signalWithStart('skuStockPush', {
    workflowId: skuPushWorkflowId('uk-acme', sku),
    taskQueue,
    args: [{ connectionId: 'uk-acme', sku, tuning: { settle: '50 milliseconds', idle: '1 minute', ...tuning } }],
    signal: stockChangedSignal,
    signalArgs: [{ cause: 'ADJUST' }],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  });

test('workflow IDs keep case, spaces and unicode apart and can be read back', () => {
  const ids = ['MUG-RED', 'mug-red', 'MUG-RED ', 'MUG RED', 'Café:1', 'Cafe\u0301:1'].map((s) => skuPushWorkflowId('uk-acme', s));
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(skuPushWorkflowId('uk-acme', 'MUG RED '), 'sku-push:uk-acme:MUG%20RED%20');
  for (const sku of ['MUG RED ', 'Café:1', '50%/off', 'a+b']) {
    assert.deepEqual(parseSkuPushWorkflowId(skuPushWorkflowId('uk-acme', sku)), { connectionId: 'uk-acme', sku });
  }
});

test('a burst of changes during a push becomes one more push of the latest figure', async () => {
  await withWorker(async () => {
    let open!: () => void;
    fake.gate = new Promise((r) => (open = r));
    fake.quantity = 10;
    const handle = await startPush('MUG-RED');
    // Wait until the first push has read 10 and is in flight, then change stock 25 times.
    await waitFor(async () => fake.reads === 1 && (await handle.query(pendingPushQuery)).pushing);
    for (let i = 1; i <= 25; i++) {
      fake.quantity = 10 - (i % 7) + i; // a wandering figure; the last one is 10 - 4 + 25 = 31
      await handle.signal(stockChangedSignal, { cause: 'ALLOCATE' });
    }
    const during = await handle.query(pendingPushQuery);
    assert.equal(during.pending, true, 'the feeds engineer can see a push is pending');
    fake.gate = null;
    open();
    await waitFor(async () => !(await handle.query(pendingPushQuery)).pending);
    assert.deepEqual(fake.pushes, [10, 31], 'first figure, then only the latest figure');
    const state = await handle.query(pendingPushQuery);
    assert.equal(state.lastPushedQuantity, 31);
    assert.equal(state.pushes, 2);
  });
});

test('a change that leaves the FBM figure unchanged is not pushed', async () => {
  await withWorker(async () => {
    fake.quantity = 5;
    fake.lastPushed = 5;
    const handle = await startPush('MUG-BLUE');
    await waitFor(async () => (await handle.query(pendingPushQuery)).skipped === 1);
    assert.deepEqual(fake.pushes, []);
    fake.quantity = 4;
    await handle.signal(stockChangedSignal, { cause: 'ALLOCATE' });
    await waitFor(async () => (await handle.query(pendingPushQuery)).pushes === 1);
    assert.deepEqual(fake.pushes, [4]);
  });
});

test("Amazon's INVALID answer is needs-attention with Amazon's message, cleared by the next accepted push", async () => {
  await withWorker(async () => {
    fake.quantity = 3;
    fake.invalidNext = "4000003: The Amazon product type specified is invalid or not supported.";
    const handle = await startPush('MUG-GREEN');
    await waitFor(async () => (await handle.query(pendingPushQuery)).needsAttention !== null);
    const state = await handle.query(pendingPushQuery);
    assert.match(state.needsAttention!, /product type specified is invalid/);
    assert.equal(fake.lastPushed, null, 'a refused figure is not recorded as pushed');
    await handle.signal(stockChangedSignal, { cause: 'ADJUST' });
    await waitFor(async () => (await handle.query(pendingPushQuery)).pushes === 1);
    assert.equal((await handle.query(pendingPushQuery)).needsAttention, null);
    assert.deepEqual(fake.pushes, [3]);
  });
});

test('a refusal retrying cannot fix is needs-attention and the SKU keeps its push workflow', async () => {
  await withWorker(async () => {
    fake.quantity = 8;
    fake.notFoundNext = true;
    const handle = await startPush('MUG-TEAL');
    await waitFor(async () => (await handle.query(pendingPushQuery)).needsAttention !== null);
    assert.match((await handle.query(pendingPushQuery)).needsAttention!, /NotFound.*Listing not found/);
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    await handle.signal(stockChangedSignal, { cause: 'ADJUST' });
    await waitFor(async () => (await handle.query(pendingPushQuery)).pushes === 1);
    assert.deepEqual(fake.pushes, [8]);
  });
});

test('the workflow finishes when idle and the next change starts it again', async () => {
  await withWorker(async () => {
    fake.quantity = 7;
    const handle = await startPush('MUG-PINK');
    const result = await handle.result(); // time skips through the idle period
    assert.equal(result.pending, false);
    assert.equal(result.pushes, 1);
    fake.quantity = 6;
    const again = await startPush('MUG-PINK');
    const second = await again.result();
    assert.equal(second.lastPushedQuantity, 6);
    assert.deepEqual(fake.pushes, [7, 6]);
  });
});

test('continue-as-new keeps history small and loses no pending change', async () => {
  await withWorker(async () => {
    fake.quantity = 1;
    const handle = await startPush('MUG-GOLD', { maxCyclesPerRun: 2, idle: '1 hour' });
    const latestRun = env.client.workflow.getHandle(handle.workflowId); // follows continue-as-new
    for (let q = 2; q <= 6; q++) {
      // (No queries here: the time-skipping test server can hang a query that races a continue-as-new.)
      await waitFor(async () => fake.pushes.at(-1) === q - 1 && fake.lastPushed === q - 1);
      fake.quantity = q;
      await latestRun.signal(stockChangedSignal, { cause: 'ADJUST' });
    }
    const result = await env.client.workflow.getHandle(handle.workflowId).result();
    assert.equal(result.lastPushedQuantity, 6);
    assert.equal(fake.pushes.at(-1), 6);
    assert.ok(result.pushes >= 5, `pushes carried across runs (${result.pushes})`);
    const latest = await env.client.workflow.getHandle(handle.workflowId).describe();
    assert.notEqual(latest.runId, handle.signaledRunId, 'continued as new');
    const history = await env.client.workflow.getHandle(handle.workflowId).fetchHistory();
    assert.ok((history.events?.length ?? 0) < 60, `the latest run's history stays small (${history.events?.length} events)`);
  });
});

test('an FBA-only SKU is never given a merchant-fulfilled quantity', async () => {
  await withWorker(async () => {
    fake.kind = 'FBA_ONLY';
    fake.quantity = 9;
    const handle = await startPush('FBA-ONLY-1');
    await waitFor(async () => (await handle.query(pendingPushQuery)).skipped === 1);
    assert.deepEqual(fake.pushes, []);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met in time');
}
