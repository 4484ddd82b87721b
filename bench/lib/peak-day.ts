/**
 * The peak-day scenario on the harness, usage plans enforced (bench/README.md explains every figure):
 *
 *   1. backlog — a burst of orders lands at once (more than searchOrders' burst can carry), polling
 *      only; a concurrent bulk feed; warehouse stock counts on SKUs inside and outside the feed.
 *   2. steady, polling — a Poisson stream of orders, notifications off.
 *   3. steady, notifications — the same stream with ORDER_CHANGE notifications on.
 *   Throughout: the warehouse despatches every FBM order, buyers cancel some, FBA sync and returns
 *   pickup run on their schedules, returns are inspected. At the end Amazon must equal the ledger.
 */
import { sql } from 'drizzle-orm';
import { adjustWarehouseStock } from '../../activities/stock';
import { silentLogger } from '../../activities/deps';
import { schema } from '../../db/client';
import type { SimCatalogueItem } from '../../simulator/control-client';
import { USAGE_PLANS } from '../../spapi/usage-plans';
import { peakCatalogue } from './catalogue';
import { sleep, startHarness, waitUntil, type Harness } from './harness';
import { amazonOrders, cancelSome, census, createReturns, downloadableAt, fbmDrift, oversoldOrders, percentile, round, startBulkFeed, startScaledSchedules, Warehouse } from './scenario';

export interface PeakDayOptions {
  orders: number;
  skus: number;
  timeScale: number;
  seed: number;
  /** Orders per simulated hour in the two steady phases. */
  streamRate: number;
  /** Orders in each steady phase (the rest of `orders` is the backlog). */
  streamOrders: number;
  /** Stock counts in each group (inside / outside the bulk feed). */
  adjustments: number;
  /** Real seconds allowed for each phase to finish its work. */
  phaseTimeoutS: number;
  dir: string;
  log: (line: string) => void;
  /** Called with each section as soon as it is measured, so a long run that is stopped keeps what it found. */
  checkpoint?: (partial: Record<string, unknown>) => void;
}

interface Stats {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

function stats(values: number[], digits = 2): Stats {
  return {
    n: values.length,
    p50: round(percentile(values, 50), digits),
    p90: round(percentile(values, 90), digits),
    p99: round(percentile(values, 99), digits),
    max: round(percentile(values, 100), digits),
  };
}

export interface SpApiTotals {
  calls: number;
  throttled: number;
  byOperation: Record<string, { calls: number; throttled: number }>;
}

export interface PeakDayResult {
  options: Omit<PeakDayOptions, 'log' | 'dir'>;
  intake: {
    backlog: {
      orders: number;
      /** Orders the plan lets a poller fetch at once (burst pages × 100). */
      burstOrders: number;
      drainedSimMinutes: number;
      /** Fastest drain the Orders usage plans allow (burst, then 1 page per 1/rate s), simulated minutes. */
      boundSimMinutes: number;
      achievedOrdersPerHour: number;
      boundOrdersPerHour: number;
      ratioToBound: number;
      /** Backlog orders in Conduit over simulated time (minutes after the first became downloadable), sampled. */
      curve: Array<{ simMinute: number; orders: number }>;
      /** Orders/hour while the backlog exceeded the burst, against the plan's sustained 100 × rate × 3600. */
      sustained: { ordersPerHour: number; boundOrdersPerHour: number; ratioToBound: number; windowSimMinutes: number } | null;
      searchOrdersPages: number;
    };
    /** Intake latency in simulated minutes: downloadable on Amazon → row in Conduit. */
    polling: Stats & { anchorMinutes: number };
    notifications: Stats & { goalP99Minutes: number; viaNotification: number };
  };
  stock: {
    withFeed: Stats;
    withoutFeed: Stats;
    anchorMinutes: { min: number; max: number };
    /** Quantity changes Amazon held behind a feed (the guide's collision): goal 0. */
    feedCollisions: number;
    feeds: number;
    oversells: number;
    driftAfterSettle: number;
  };
  throttling: {
    all: SpApiTotals & { ratio: number };
    steady: SpApiTotals & { ratio: number };
    callsPerOrder: number;
  };
  lifecycle: {
    byState: Record<string, number>;
    cancelledByBuyers: number;
    returnsCreated: number;
    returnsByStatus: Record<string, number>;
    fbaSyncRuns: number;
    confirmations: number;
    despatched: number;
  };
  realSeconds: number;
  simMinutes: number;
}

async function spApiTotals(h: Harness): Promise<SpApiTotals> {
  const ops = (await h.control.stats()).operations;
  const byOperation: SpApiTotals['byOperation'] = {};
  let calls = 0;
  let throttled = 0;
  for (const [op, s] of Object.entries(ops)) {
    if (op === 'lwa.token' || op === 'documents') continue;
    byOperation[op] = { calls: s.calls, throttled: s.throttled };
    calls += s.calls;
    throttled += s.throttled;
  }
  return { calls, throttled, byOperation };
}

function minus(a: SpApiTotals, b: SpApiTotals): SpApiTotals & { ratio: number } {
  const byOperation: SpApiTotals['byOperation'] = {};
  for (const [op, s] of Object.entries(a.byOperation)) byOperation[op] = { calls: s.calls - (b.byOperation[op]?.calls ?? 0), throttled: s.throttled - (b.byOperation[op]?.throttled ?? 0) };
  const calls = a.calls - b.calls;
  const throttled = a.throttled - b.throttled;
  return { calls, throttled, byOperation, ratio: round(throttled / Math.max(1, calls), 4) };
}

/** Rows in Conduit per order id with the real time each first appeared, and how. */
async function intakeRows(h: Harness): Promise<Map<string, { firstSeenSim: number; via: string }>> {
  const rows = await h.db.select({ id: schema.orders.amazonOrderId, firstSeenAt: schema.orders.firstSeenAt, via: schema.orders.downloadedVia }).from(schema.orders);
  return new Map(rows.map((r) => [r.id, { firstSeenSim: h.toSim(r.firstSeenAt.getTime()), via: r.via }]));
}

/** Waits until no FBM order is between download and SHIPPED (so the next phase starts on a quiet engine). */
async function quietOrders(h: Harness, timeoutMs: number, log: (line: string) => void): Promise<void> {
  await waitUntil(
    'FBM orders to finish',
    async () => {
      const byState = await census(h);
      const busy = ['NEW', 'ALLOCATED', 'PARTIALLY_DESPATCHED', 'DESPATCHED'].reduce((n, s) => n + (byState[s] ?? 0), 0);
      log(`  waiting for a quiet engine: ${JSON.stringify(byState)}`);
      return busy === 0;
    },
    timeoutMs,
    5000,
  ).catch((err: Error) => log(`  ${err.message}: carrying on`));
}

export async function runPeakDay(opts: PeakDayOptions): Promise<PeakDayResult> {
  const log = opts.log;
  const started = Date.now();
  const catalogue = peakCatalogue(opts.skus, { fbmQuantity: 60, fbaQuantity: 80 });
  const h = await startHarness({ dir: opts.dir, timeScale: opts.timeScale, seed: opts.seed, catalogue, connectionId: 'uk-peak', persistentTemporal: false, log });
  const simStart = h.simNow().getTime();
  let warehouse: Warehouse | undefined;
  try {
    await startScaledSchedules(h, { returnsPickupMinutes: 20 });
    await h.control.setNotificationUrl(null);
    // Many packers: each despatch Update waits for its workflow's turn on a busy task queue.
    warehouse = new Warehouse(h, { limit: 400, concurrency: 64 });
    const deps = { db: h.db, log: silentLogger, workflowClient: h.client, taskQueue: h.taskQueue, clock: () => h.simNow() };
    let cancelled = 0;

    // ---- 1. backlog + bulk feed + stock counts ------------------------------------------------
    const backlog = Math.max(1, opts.orders - 2 * opts.streamOrders);
    const before1 = await spApiTotals(h);
    log(`phase 1: ${backlog} orders at once (polling only), a bulk feed, ${opts.adjustments} stock counts inside and outside it`);
    const sellable = catalogue.filter((i) => i.fulfilment !== 'FBA');
    const feedItems = sellable.slice(0, Math.max(10, Math.round(sellable.length / 4)));
    const feedSkus = new Set(feedItems.map((i) => i.sku));
    log(`  ${await startBulkFeed(h, feedItems)}`);
    const backlogAt = h.simNow().getTime();
    for (let made = 0; made < backlog; made += 500) await h.control.createRandomOrders(h.sellerId, { count: Math.min(500, backlog - made), fbaShare: 0.4, maxLines: 3 });
    const backlogOrders = amazonOrders(h).filter((o) => o.createdAt >= backlogAt);

    // Warehouse counts while the feed is in flight: one SKU the feed holds, one it does not, each round.
    const adjustments: Array<{ sku: string; atSim: number; inFeed: boolean }> = [];
    let adjusting = true;
    const adjuster = (async () => {
      const outside = sellable.filter((i) => !feedSkus.has(i.sku));
      // Counts go on while the backlog drains, and after it for as long as the bulk feed still has work
      // (Conduit's feed waits for quiet SKUs, so at peak it may start late).
      const feedWorkLeft = async () =>
        ((await h.db.execute<{ n: number }>(sql`select count(*)::int as n from listing_changes where connection_id = ${h.connectionId} and status in ('QUEUED', 'IN_FEED')`))[0]?.n ?? 0) > 0;
      const until = Date.now() + opts.phaseTimeoutS * 1000;
      for (let i = 0; (adjusting || (await feedWorkLeft())) && adjustments.filter((a) => a.inFeed).length < opts.adjustments && Date.now() < until; i++) {
        const inFlight = await h.db.execute<{ skus: string[] }>(sql`select skus from feeds where connection_id = ${h.connectionId} and status in ('CLAIMED', 'IN_QUEUE', 'IN_PROGRESS')`);
        const held = inFlight.flatMap((f) => f.skus);
        const picks: Array<{ item: SimCatalogueItem | undefined; inFeed: boolean }> = [
          { item: held.length > 0 ? sellable.find((s) => s.sku === held[i % held.length]) : undefined, inFeed: true },
          { item: outside[(i * 7) % outside.length], inFeed: false },
        ];
        for (const { item, inFeed } of picks) {
          if (!item || (!inFeed && adjustments.filter((a) => !a.inFeed).length >= opts.adjustments)) continue;
          const atSim = h.simNow().getTime();
          const result = await adjustWarehouseStock(deps, { connectionId: h.connectionId, sku: item.sku, delta: i % 3 === 2 ? -1 : 2, reason: 'peak-day count', key: `peak-${i}-${inFeed ? 'in' : 'out'}` }).catch(() => undefined);
          if (result?.ok) adjustments.push({ sku: item.sku, atSim, inFeed });
        }
        await sleep(Math.max(200, (20_000 / opts.timeScale) | 0));
      }
    })();

    const pageCalls = () => h.simulator.state.stats.get('orders.searchOrders')?.calls ?? 0;
    const pagesBefore = pageCalls();
    const drainCurve: Array<{ sim: number; count: number }> = [];
    const backlogIds = new Set(backlogOrders.map((o) => o.orderId));
    const drainedAt = await waitUntil(
      'the backlog to be downloaded',
      async () => {
        const rows = await intakeRows(h);
        let count = 0;
        let last = 0;
        for (const id of backlogIds) {
          const r = rows.get(id);
          if (r) {
            count++;
            last = Math.max(last, r.firstSeenSim);
          }
        }
        drainCurve.push({ sim: h.simNow().getTime(), count });
        if (drainCurve.length % 6 === 0) log(`  backlog downloaded ${count}/${backlogIds.size}`);
        return count >= backlogIds.size ? last : undefined;
      },
      opts.phaseTimeoutS * 1000,
      5000,
    ).catch((err: Error) => (log(`  ${err.message}`), h.simNow().getTime()));
    const searchPages = pageCalls() - pagesBefore;
    cancelled += await cancelSome(h, 0.03, opts.seed);
    adjusting = false;
    // Intake against the plan. Nothing is downloadable before the FBM orders turn UNSHIPPED (pending) and the
    // 2-minute rule lets a search see them, so the clock starts when the first backlog order became downloadable.
    const plan = USAGE_PLANS.searchOrders;
    const firstDownloadable = Math.min(...backlogOrders.map(downloadableAt));
    const drainedMin = (drainedAt - firstDownloadable) / 60_000;
    const burstOrders = plan.burst * 100;
    const boundMin = Math.max(0, (backlogOrders.length / 100 - plan.burst) / plan.rate) / 60;
    const sustainedBound = plan.rate * 3600 * 100;
    // Sustained: from when the count passed the burst (+1 page) until it reached the last page.
    const after = drainCurve.find((p) => p.count >= burstOrders + 100);
    const end = [...drainCurve].reverse().find((p) => p.count <= backlogOrders.length - 100);
    const sustained: PeakDayResult['intake']['backlog']['sustained'] =
      after && end && end.sim > after.sim
        ? (() => {
            const hours = (end.sim - after.sim) / 3_600_000;
            const rate = (end.count - after.count) / hours;
            return { ordersPerHour: Math.round(rate), boundOrdersPerHour: Math.round(sustainedBound), ratioToBound: round(rate / sustainedBound, 3), windowSimMinutes: round(hours * 60, 1) };
          })()
        : null;

    const backlogResult: PeakDayResult['intake']['backlog'] = {
      orders: backlogOrders.length,
      burstOrders,
      drainedSimMinutes: round(drainedMin, 1),
      boundSimMinutes: round(boundMin, 1),
      achievedOrdersPerHour: Math.round(backlogOrders.length / (drainedMin / 60)),
      boundOrdersPerHour: boundMin > 0 ? Math.round(backlogOrders.length / (boundMin / 60)) : Number.POSITIVE_INFINITY,
      ratioToBound: boundMin > 0 ? round(boundMin / drainedMin, 3) : Number.NaN,
      sustained,
      curve: drainCurve
        .filter((_, i) => i % Math.max(1, Math.ceil(drainCurve.length / 200)) === 0 || i === drainCurve.length - 1)
        .map((p) => ({ simMinute: round((p.sim - firstDownloadable) / 60_000, 1), orders: p.count })),
      searchOrdersPages: searchPages,
    };
    opts.checkpoint?.({ backlog: backlogResult, adjustmentsSoFar: adjustments.length });
    await adjuster;
    await quietOrders(h, opts.phaseTimeoutS * 1000, log);


    // ---- 2. steady stream, polling ------------------------------------------------------------
    const beforeSteady = await spApiTotals(h);
    const phase = async (name: string) => {
      const from = h.simNow().getTime();
      log(`phase ${name}: ${opts.streamOrders} orders at ${opts.streamRate}/h`);
      await h.control.startOrderGenerator({ sellerId: h.sellerId, ordersPerHour: opts.streamRate, fbaShare: 0.4, maxLines: 3 });
      await waitUntil('the stream', async () => amazonOrders(h).filter((o) => o.createdAt >= from).length >= opts.streamOrders, opts.phaseTimeoutS * 1000, 2000).catch((err: Error) => log(`  ${err.message}`));
      await h.control.stopOrderGenerator(h.sellerId);
      const orders = amazonOrders(h).filter((o) => o.createdAt >= from);
      await waitUntil('the stream to be downloaded', async () => {
        const rows = await intakeRows(h);
        return orders.every((o) => rows.has(o.orderId) || o.status === 'CANCELLED' || o.status === 'PENDING');
      }, opts.phaseTimeoutS * 1000, 3000).catch((err: Error) => log(`  ${err.message}`));
      const rows = await intakeRows(h);
      const latencies = orders.flatMap((o) => {
        const r = rows.get(o.orderId);
        return r ? [{ minutes: Math.max(0, (r.firstSeenSim - downloadableAt(o)) / 60_000), via: r.via }] : [];
      });
      return latencies;
    };
    const polled = await phase('2 (polling)');
    opts.checkpoint?.({ backlog: backlogResult, pollingLatencyMinutes: stats(polled.map((l) => l.minutes)) });
    const returnsCreated = await createReturns(h, 6, new Set());
    await quietOrders(h, opts.phaseTimeoutS * 1000, log);

    // ---- 3. steady stream, notifications ------------------------------------------------------
    await h.control.setNotificationUrl(h.notifications.url);
    const notified = await phase('3 (ORDER_CHANGE notifications)');
    opts.checkpoint?.({ backlog: backlogResult, pollingLatencyMinutes: stats(polled.map((l) => l.minutes)), notificationLatencyMinutes: stats(notified.map((l) => l.minutes)) });
    cancelled += await cancelSome(h, 0.03, opts.seed + 1);
    const afterSteady = await spApiTotals(h);
    await quietOrders(h, opts.phaseTimeoutS * 1000, log);

    // ---- settle -------------------------------------------------------------------------------
    log('settling: Amazon FBM quantities → the ledger');
    await waitUntil('Amazon to equal the ledger', async () => (await fbmDrift(h, catalogue)).length === 0, opts.phaseTimeoutS * 1000, 5000).catch((err: Error) => log(`  ${err.message}`));
    await warehouse.stop();
    warehouse = undefined;

    // ---- read-backs ---------------------------------------------------------------------------
    const listings = [...h.simulator.state.listings.values()].filter((l) => l.sellerId === h.sellerId);
    const feeds = [...h.simulator.state.feeds.values()].filter((f) => f.sellerId === h.sellerId);
    const latencyOf = (a: { sku: string; atSim: number }) => {
      const listing = listings.find((l) => l.sku === a.sku);
      const push = listing?.quantityHistory.filter((c) => c.source === 'patch' && c.requestedAt >= a.atSim).sort((x, y) => x.requestedAt - y.requestedAt)[0];
      return push ? (push.appliedAt - a.atSim) / 60_000 : undefined;
    };
    const withFeed = adjustments.filter((a) => a.inFeed).flatMap((a) => latencyOf(a) ?? []);
    const withoutFeed = adjustments.filter((a) => !a.inFeed).flatMap((a) => latencyOf(a) ?? []);
    const all = await spApiTotals(h);
    const totalOrders = amazonOrders(h).length;
    const returnsByStatus = Object.fromEntries(
      (await h.db.select({ status: schema.returns.status, n: sql<number>`count(*)::int` }).from(schema.returns).groupBy(schema.returns.status)).map((r) => [r.status, r.n]),
    );
    let fbaSyncRuns = 0;
    for await (const _ of h.client.workflow.list({ query: `WorkflowType = 'fbaInventorySync' AND ExecutionStatus = 'Completed'` })) fbaSyncRuns++;
    const allSim = amazonOrders(h);
    return {
      options: { orders: opts.orders, skus: opts.skus, timeScale: opts.timeScale, seed: opts.seed, streamRate: opts.streamRate, streamOrders: opts.streamOrders, adjustments: opts.adjustments, phaseTimeoutS: opts.phaseTimeoutS },
      intake: {
        backlog: backlogResult,
        polling: { ...stats(polled.map((l) => l.minutes)), anchorMinutes: 5 },
        notifications: { ...stats(notified.map((l) => l.minutes)), goalP99Minutes: 1, viaNotification: notified.filter((l) => l.via === 'NOTIFICATION').length },
      },
      stock: {
        withFeed: stats(withFeed),
        withoutFeed: stats(withoutFeed),
        anchorMinutes: { min: 30, max: 90 },
        feedCollisions: feeds.reduce((n, f) => n + f.collisions.length, 0),
        feeds: feeds.length,
        oversells: (await oversoldOrders(h)).length,
        driftAfterSettle: (await fbmDrift(h, catalogue)).length,
      },
      throttling: { all: minus(all, before1), steady: minus(afterSteady, beforeSteady), callsPerOrder: round((all.calls - before1.calls) / Math.max(1, totalOrders), 2) },
      lifecycle: {
        byState: await census(h),
        cancelledByBuyers: cancelled,
        returnsCreated,
        returnsByStatus,
        fbaSyncRuns,
        confirmations: allSim.reduce((n, o) => n + o.confirmations.length, 0),
        despatched: (await h.db.execute<{ n: number }>(sql`select count(*)::int as n from shipments where confirmed_at is not null`))[0]?.n ?? 0,
      },
      realSeconds: Math.round((Date.now() - started) / 1000),
      simMinutes: round((h.simNow().getTime() - simStart) / 60_000, 1),
    };
  } finally {
    await warehouse?.stop();
    await h.stop();
  }
}
