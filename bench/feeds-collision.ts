/**
 * Benchmark (not a test): FBM stock-change-to-Amazon latency while a bulk listing feed runs, in
 * the simulator's collision model (a quantity change for a SKU inside a pending feed waits for the
 * feed, and stalls the feed to 30–90 min). Three scenarios, each on a fresh stack:
 *
 *   no feed        — stock changes only (the level to stay at)
 *   conduit feed   — Conduit's listing feed (titles + prices for every SKU, small feeds, no
 *                    quantities, SKU locks, cancel-while-IN_QUEUE) while stock changes
 *   naive feed     — the guide's situation: one bulk feed carrying titles *and quantities* for every
 *                    SKU (built here, not in production code), submitted straight to Amazon while
 *                    Conduit's per-SKU pushes keep going
 *
 * Stock changes are uniformly random over the catalogue at a fixed rate. Latency per change is
 * measured in simulated time from the simulator's quantity-change history: stock change → the
 * first push requested after it is visible on Amazon. Prints a table; writes
 * bench/results/feeds-collision.json.
 *
 *   npx tsx bench/feeds-collision.ts [--skus 300] [--rate 2] [--seconds 40] [--time-scale 60]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { and, eq } from 'drizzle-orm';
import { queueListingChanges, startListingFeedRun } from '../activities/feeds';
import { createStockActivities } from '../activities/stock';
import { createStockLedgerActivities } from '../activities/stock-ledger';
import { schema } from '../db/client';
import { fbmAvailable } from '../domain/stock';
import type { SimCatalogueItem, SimListingView } from '../simulator/control-client';
import type { ListingFeedResult, ListingFeedTuning } from '../workflows/contracts/feeds';
import { startStack, type Stack } from '../test/support/stack';

type Scenario = 'no feed' | 'conduit feed' | 'naive feed';

interface Stats {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

interface ScenarioResult {
  scenario: Scenario;
  changes: number;
  measured: number;
  /** Stock change → visible on Amazon, simulated seconds. */
  endToEndSeconds: Stats;
  /** Amazon's own part: patch requested → visible, simulated seconds. */
  amazonSideSeconds: Stats;
  /** Quantity changes Amazon held back for a feed (the collision). */
  delayedByFeed: number;
  /** Feeds the simulator saw collide with a quantity change. */
  collidedFeeds: number;
  feeds: number;
  feedSeconds: number | null;
  conduitTotals?: ListingFeedResult['totals'];
  realSeconds: number;
}

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
  const round = (v: number) => Math.round(v);
  return { p50: round(at(50)), p95: round(at(95)), p99: round(at(99)), max: round(at(100)) };
}

const UK = 'A1F83G8C2ARO7P';

const CONDUIT_TUNING = (scale: number): ListingFeedTuning => {
  // Production defaults, compressed by the time scale so the feed's own timing matches Amazon's.
  const realMs = (simSeconds: number) => `${Math.max(50, Math.round((simSeconds * 1000) / scale))} milliseconds`;
  return {
    maxSkusPerFeed: 100,
    pollInterval: realMs(30),
    pollIntervalWhileHolding: realMs(5),
    pushSettle: realMs(60),
    quietPeriod: realMs(60),
    busyRetry: realMs(60),
    maxBusyRounds: 60,
    stuckAfter: realMs(2 * 3600),
    abandonAfter: realMs(6 * 3600),
  };
};

async function runScenario(scenario: Scenario, opts: { skus: number; rate: number; seconds: number; timeScale: number }): Promise<ScenarioResult> {
  const startedReal = Date.now();
  const catalogue: SimCatalogueItem[] = Array.from({ length: opts.skus }, (_, i) => ({
    sku: `BULK-${String(i + 1).padStart(4, '0')}`,
    title: `Bulk item ${i + 1}`,
    productType: 'HOME',
    price: 10,
    fulfilment: 'FBM' as const,
    fbmQuantity: 50,
  }));
  const stack = await startStack({ catalogue, timeScale: opts.timeScale, seed: 11, connectionId: `uk-fcb-${Date.now().toString(36)}` });
  try {
    const ledger = createStockLedgerActivities({ db: stack.db, log: stack.deps.log });
    const stock = createStockActivities(stack.deps);
    const level = new Map(catalogue.map((c) => [c.sku, c.fbmQuantity ?? 0]));
    const changes: Array<{ sku: string; at: number }> = [];
    let n = 0;
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const change = async () => {
      const sku = catalogue[Math.floor(random() * catalogue.length)]!.sku;
      const current = level.get(sku)!;
      const delta = current <= 2 ? 5 : n % 3 === 0 ? 2 : -1;
      level.set(sku, current + delta);
      const at = Date.parse((await stack.control.clock()).now);
      n++;
      const r = await ledger.recordMovements({
        connectionId: stack.connectionId,
        movements: [{ sku, pool: 'FBM', kind: 'ADJUST', onHandDelta: delta, allocatedDelta: 0, idempotencyKey: `bench:${n}`, reason: 'bench' }],
      });
      if (!r.ok) throw new Error(r.message);
      await stock.requestStockPush({ connectionId: stack.connectionId, skus: [sku], cause: 'ADJUST' });
      changes.push({ sku, at });
    };
    const drive = async (until: () => boolean) => {
      const gap = 1000 / opts.rate;
      while (!until()) {
        const t = Date.now();
        await change();
        const wait = gap - (Date.now() - t);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    };
    const deadline = Date.now() + opts.seconds * 1000;
    let feedSeconds: number | null = null;
    let conduitTotals: ListingFeedResult['totals'] | undefined;

    if (scenario === 'no feed') {
      await drive(() => Date.now() > deadline);
    } else if (scenario === 'conduit feed') {
      const queued = await queueListingChanges(
        stack.db,
        stack.connectionId,
        catalogue.map((c, i) => ({ sku: c.sku, title: `${c.title} (new range)`, price: (11 + (i % 20) / 4).toFixed(2) })),
      );
      if (!queued.ok) throw new Error(JSON.stringify(queued.problems.slice(0, 3)));
      const simStart = Date.parse((await stack.control.clock()).now);
      const run = await startListingFeedRun(stack.client, { connectionId: stack.connectionId, taskQueue: stack.taskQueue, requestedBy: 'bench', tuning: CONDUIT_TUNING(opts.timeScale) });
      let done = false;
      const result = stack.client.workflow
        .getHandle(run.workflowId)
        .result()
        .then((r: ListingFeedResult) => {
          done = true;
          return r;
        });
      await drive(() => done || Date.now() > deadline + 120_000);
      const r = await result;
      conduitTotals = r.totals;
      feedSeconds = (Date.parse((await stack.control.clock()).now) - simStart) / 1000;
    } else {
      // The naive baseline: titles AND quantities for every SKU in one bulk JSON_LISTINGS_FEED.
      const port = await stack.deps.spApiFor(stack.connectionId);
      const document = {
        header: { sellerId: stack.sellerId, version: '2.0', issueLocale: 'en_GB' },
        messages: catalogue.map((c, i) => ({
          messageId: i + 1,
          sku: c.sku,
          operationType: 'PATCH',
          productType: c.productType,
          patches: [
            { op: 'replace', path: '/attributes/item_name', value: [{ value: `${c.title} (new range)`, language_tag: 'en_GB', marketplace_id: UK }] },
            { op: 'replace', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity: level.get(c.sku) }] },
          ],
        })),
      };
      const contentType = 'application/json; charset=UTF-8';
      const simStart = Date.parse((await stack.control.clock()).now);
      const { feedDocumentId, url } = await port.createFeedDocument(contentType);
      await port.uploadFeedDocument(url, contentType, JSON.stringify(document));
      const { feedId } = await port.createFeed({ feedType: 'JSON_LISTINGS_FEED', marketplaceIds: [UK], inputFeedDocumentId: feedDocumentId });
      await drive(() => Date.now() > deadline);
      for (;;) {
        const feed = await stack.control.feed(feedId);
        if (feed.processingStatus === 'DONE' || feed.processingStatus === 'FATAL') {
          feedSeconds = (Date.parse(feed.processingEndTime ?? feed.createdTime) - simStart) / 1000;
          break;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }

    // Let the last pushes land, then read Amazon's history.
    const listings = await settled(stack);
    const bySku = new Map(listings.map((l) => [l.sku, l]));
    const endToEnd: number[] = [];
    const amazonSide: number[] = [];
    for (const c of changes) {
      const applied = bySku
        .get(c.sku)
        ?.quantityHistory.filter((h) => h.source === 'patch' && Date.parse(h.requestedAt) >= c.at)
        .sort((a, b) => Date.parse(a.appliedAt) - Date.parse(b.appliedAt))[0];
      if (!applied) continue; // netted out by a later change: Amazon already had the figure
      endToEnd.push((Date.parse(applied.appliedAt) - c.at) / 1000);
      amazonSide.push(applied.latencySeconds);
    }
    const simFeeds = (await stack.control.feeds(stack.sellerId)).feeds;
    return {
      scenario,
      changes: changes.length,
      measured: endToEnd.length,
      endToEndSeconds: stats(endToEnd),
      amazonSideSeconds: stats(amazonSide),
      delayedByFeed: listings.reduce((sum, l) => sum + l.quantityHistory.filter((h) => h.source === 'patch' && h.delayedByFeedId).length, 0),
      collidedFeeds: simFeeds.filter((f) => f.collisions.length > 0).length,
      feeds: simFeeds.length,
      feedSeconds,
      ...(conduitTotals ? { conduitTotals } : {}),
      realSeconds: Math.round((Date.now() - startedReal) / 1000),
    };
  } finally {
    await stack.stop();
  }
}

/** Waits until Amazon shows the ledger figure for every SKU with nothing pending (collided changes can take 30–90 simulated minutes). */
async function settled(stack: Stack): Promise<SimListingView[]> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const [{ listings }, pools] = await Promise.all([
      stack.control.listings(stack.sellerId),
      stack.db.select().from(schema.stockPools).where(and(eq(schema.stockPools.connectionId, stack.connectionId), eq(schema.stockPools.pool, 'FBM'))),
    ]);
    const ledger = new Map(pools.map((p) => [p.sku, fbmAvailable({ onHand: p.onHand, allocated: p.allocated, buffer: 0 })]));
    const off = listings.filter((l) => l.pendingQuantityChanges.length > 0 || (ledger.has(l.sku) && ledger.get(l.sku) !== l.quantity));
    if (off.length === 0) return listings;
    if (Date.now() > deadline) {
      console.warn(`  ${off.length} SKUs still differ from the ledger after 180 s; measuring what landed`);
      return listings;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      skus: { type: 'string', default: '300' },
      rate: { type: 'string', default: '2' },
      seconds: { type: 'string', default: '40' },
      'time-scale': { type: 'string', default: '60' },
      out: { type: 'string', default: path.join('bench', 'results', 'feeds-collision.json') },
    },
  });
  const opts = { skus: Number(values.skus), rate: Number(values.rate), seconds: Number(values.seconds), timeScale: Number(values['time-scale']) };
  const results: ScenarioResult[] = [];
  for (const scenario of ['no feed', 'conduit feed', 'naive feed'] as const) {
    console.log(`running: ${scenario} …`);
    results.push(await runScenario(scenario, opts));
  }
  const header = ['scenario', 'changes', 'e2e p50', 'e2e p95', 'e2e p99', 'e2e max', 'amazon p99', 'delayed by feed', 'collided feeds', 'feeds', 'feed took'];
  const rows = results.map((r) => [
    r.scenario,
    String(r.changes),
    String(r.endToEndSeconds.p50),
    String(r.endToEndSeconds.p95),
    String(r.endToEndSeconds.p99),
    String(r.endToEndSeconds.max),
    String(r.amazonSideSeconds.p99),
    String(r.delayedByFeed),
    String(r.collidedFeeds),
    String(r.feeds),
    r.feedSeconds === null ? '-' : `${Math.round(r.feedSeconds)} s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(
    `\nFBM stock change → visible on Amazon, simulated seconds (${opts.skus} SKUs, ${opts.rate} random changes/s real for ≥ ${opts.seconds} s, time scale ${opts.timeScale}×)\n`,
  );
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  const conduit = results.find((r) => r.scenario === 'conduit feed')?.conduitTotals;
  if (conduit) console.log(`\nconduit feed run: ${JSON.stringify(conduit)}`);
  fs.mkdirSync(path.dirname(values.out), { recursive: true });
  fs.writeFileSync(values.out, `${JSON.stringify({ at: new Date().toISOString(), ...opts, results }, null, 2)}\n`);
  console.log(`\nwrote ${values.out}`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  },
);
