/**
 * The baseline the benchmark compares Conduit with: the plain `amazon-sp-api` client with its own
 * throttle retry (auto_request_throttled: wait 1/x-amzn-RateLimit-Limit, send again) and a
 * Linnworks-style loop — poll searchOrders every 5 minutes, read each new order with getOrder,
 * confirm each FBM order at once, push each sold SKU's stock level with one patch per line. It
 * runs on its own simulator (same seed, time scale, catalogue and order workload) so its calls and
 * 429s are counted apart. A simple loop on purpose: this is what "just call the API" looks like.
 */
import { SellingPartner } from 'amazon-sp-api';
import type { SimCatalogueItem } from '../../simulator/control-client';
import { SimulatorControl } from '../../simulator/control-client';
import { startSimulator } from '../../simulator/server';
import { SimulatorAgent } from '../../spapi/simulator-agent';
import { USAGE_PLANS } from '../../spapi/usage-plans';
import { sleep, UK } from './harness';
import { downloadableAt, percentile, round } from './scenario';

export interface BaselineOptions {
  backlog: number;
  streamOrders: number;
  streamRate: number;
  timeScale: number;
  seed: number;
  catalogue: SimCatalogueItem[];
  timeoutS: number;
  /**
   * Side by side: the baseline stops `graceS` real seconds after Conduit's run settled, and reports
   * what it had not done by then (a plain loop under 429 storms may never catch up with a peak day).
   */
  stopAfter?: { settled: Promise<unknown>; graceS: number };
  log: (line: string) => void;
}

export interface BaselineResult {
  orders: number;
  downloaded: number;
  calls: number;
  throttled: number;
  ratio: number;
  callsPerOrder: number;
  byOperation: Record<string, { calls: number; throttled: number }>;
  backlog: { orders: number; drainedSimMinutes: number; boundSimMinutes: number; ratioToBound: number };
  pollingLatencyMinutes: { n: number; p50: number; p99: number };
  /** Why the loop ended: every order downloaded, Conduit's run settled + grace, or the timeout. */
  ended: 'DOWNLOADED_ALL' | 'CONDUIT_DONE' | 'TIMEOUT';
  /** Orders Amazon has that the loop never downloaded, and FBM orders still not shipped on Amazon, when it ended. */
  notDownloaded: number;
  fbmOrders: number;
  fbmUnshippedOnAmazon: number;
  realSeconds: number;
}

type Client = { callAPI(params: Record<string, unknown>): Promise<unknown> };

/** Runs the baseline loop until every order is downloaded (or the timeout). */
export async function runBaseline(opts: BaselineOptions): Promise<BaselineResult> {
  const started = Date.now();
  const sim = await startSimulator({ port: 0, timeScale: opts.timeScale, seed: opts.seed });
  const control = new SimulatorControl(sim.url);
  try {
    const app = await control.registerApp({ name: 'baseline' });
    const sellerId = 'A2BASELINEUK';
    const seller = await control.seedSeller({
      sellerId,
      region: 'eu',
      marketplaceIds: [UK],
      clientId: app.clientId,
      roles: ['Selling Partner Insights', 'Inventory and Order Tracking', 'Product Listing', 'Direct-to-Consumer Shipping'],
      catalogue: opts.catalogue.slice(0, 500),
    });
    for (let i = 500; i < opts.catalogue.length; i += 500) await control.addListings(sellerId, opts.catalogue.slice(i, i + 500));
    const client = new SellingPartner({
      region: 'eu',
      refresh_token: seller.refreshToken!,
      credentials: { SELLING_PARTNER_APP_CLIENT_ID: app.clientId, SELLING_PARTNER_APP_CLIENT_SECRET: app.clientSecret },
      endpoints_versions: { orders: '2026-01-01', listingsItems: '2021-08-01' },
      options: { auto_request_throttled: true, https_proxy_agent: new SimulatorAgent(sim.url) },
    }) as unknown as Client;
    const now = () => sim.sim.core.now();
    const stock = new Map(opts.catalogue.map((i) => [i.sku, i.fbmQuantity ?? 0]));
    const productType = new Map(opts.catalogue.map((i) => [i.sku, i.productType]));
    const firstSeen = new Map<string, number>();
    const confirmed = new Set<string>();

    // The same workload as Conduit's run: a backlog at once, then a steady stream.
    const backlogAt = now();
    for (let made = 0; made < opts.backlog; made += 500) await control.createRandomOrders(sellerId, { count: Math.min(500, opts.backlog - made), fbaShare: 0.4, maxLines: 3 });
    const streamFrom = now();
    await control.startOrderGenerator({ sellerId, ordersPerHour: opts.streamRate, fbaShare: 0.4, maxLines: 3 });
    const orders = () => [...sim.state.orders.values()].filter((o) => o.sellerId === sellerId);

    let stopAt: number | undefined;
    void opts.stopAfter?.settled.then(
      () => (stopAt = Date.now() + opts.stopAfter!.graceS * 1000),
      () => (stopAt = Date.now()),
    );
    const stopping = () => stopAt !== undefined && Date.now() > stopAt;

    /** Runs calls with a fixed number in flight (the client retries 429s itself); takes no new work once stopping. */
    const parallel = async <T>(items: T[], work: (item: T) => Promise<unknown>, concurrency = 10) => {
      const queue = [...items];
      await Promise.all(Array.from({ length: concurrency }, async () => {
        for (let item = queue.shift(); item !== undefined && !stopping(); item = queue.shift()) await work(item).catch(() => {});
      }));
    };

    let cursor = new Date(backlogAt - 60_000).toISOString();
    const pollEveryMs = (5 * 60_000) / opts.timeScale;
    const deadline = started + opts.timeoutS * 1000;
    let generatorStopped = false;
    let ended: BaselineResult['ended'] = 'DOWNLOADED_ALL';
    for (;;) {
      const pollStarted = Date.now();
      const pollSim = now();
      const found: Array<{ orderId: string; status: string; fulfilledBy: string; lines: Array<{ sku: string; qty: number }> }> = [];
      let nextToken: string | undefined;
      do {
        const page = (await client.callAPI({
          operation: 'searchOrders',
          endpoint: 'orders',
          query: nextToken ? { marketplaceIds: [UK], lastUpdatedAfter: cursor, includedData: ['FULFILLMENT'], maxResultsPerPage: 100, paginationToken: nextToken } : { marketplaceIds: [UK], lastUpdatedAfter: cursor, includedData: ['FULFILLMENT'], maxResultsPerPage: 100 },
        }).catch(() => undefined)) as { orders?: Array<Record<string, unknown>>; pagination?: { nextToken?: string } } | undefined;
        if (!page) break;
        for (const o of page.orders ?? []) {
          const f = o.fulfillment as { fulfillmentStatus?: string; fulfilledBy?: string } | undefined;
          const items = (o.orderItems as Array<{ quantityOrdered: number; product?: { sellerSku?: string } }> | undefined) ?? [];
          found.push({ orderId: String(o.orderId), status: f?.fulfillmentStatus ?? '', fulfilledBy: f?.fulfilledBy ?? '', lines: items.map((i) => ({ sku: i.product?.sellerSku ?? '', qty: i.quantityOrdered })) });
        }
        nextToken = page.pagination?.nextToken;
      } while (nextToken);
      cursor = new Date(pollSim - 2 * 60_000 - 5 * 60_000).toISOString();

      const fresh = found.filter((o) => !firstSeen.has(o.orderId) && (o.fulfilledBy === 'AMAZON' || o.status === 'UNSHIPPED'));
      for (const o of fresh) firstSeen.set(o.orderId, now());
      // Order details, one getOrder each (as a v0-era integration reads items and address).
      await parallel(fresh, (o) => client.callAPI({ operation: 'getOrder', endpoint: 'orders', path: { orderId: o.orderId }, query: { includedData: ['FULFILLMENT', 'RECIPIENT'] } }));
      // The warehouse ships FBM orders at once: confirm, then push each line's SKU.
      const fbm = fresh.filter((o) => o.fulfilledBy === 'MERCHANT' && !confirmed.has(o.orderId));
      const onAmazon = new Map(orders().map((x) => [x.orderId, x]));
      await parallel(fbm, async (o) => {
        const sim = onAmazon.get(o.orderId);
        if (!sim) return;
        await client.callAPI({
          operation: 'confirmShipment',
          endpoint: 'orders',
          path: { orderId: o.orderId },
          body: {
            marketplaceId: UK,
            packageDetail: {
              packageReferenceId: '1',
              carrierCode: 'Royal Mail',
              shippingMethod: 'Tracked 48',
              trackingNumber: `BL${o.orderId.replace(/-/g, '').slice(-9)}`,
              shipDate: new Date(sim.lastUpdatedAt).toISOString(),
              orderItems: sim.items.map((i) => ({ orderItemId: i.orderItemId, quantity: i.quantityOrdered })),
            },
          },
        });
        confirmed.add(o.orderId);
      });
      const pushes = fbm.flatMap((o) => o.lines.map((l) => ({ sku: l.sku, qty: l.qty })));
      for (const p of pushes) stock.set(p.sku, Math.max(0, (stock.get(p.sku) ?? 0) - p.qty));
      await parallel(pushes, (p) =>
        client.callAPI({
          operation: 'patchListingsItem',
          endpoint: 'listingsItems',
          path: { sellerId, sku: p.sku },
          query: { marketplaceIds: [UK] },
          body: { productType: productType.get(p.sku) ?? 'PRODUCT', patches: [{ op: 'replace', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity: stock.get(p.sku) ?? 0 }] }] },
        }),
      );

      if (!generatorStopped && orders().filter((o) => o.createdAt >= streamFrom).length >= opts.streamOrders) {
        await control.stopOrderGenerator(sellerId);
        generatorStopped = true;
      }
      const all = orders();
      const expected = all.filter((o) => o.fulfilledBy === 'AMAZON' || o.statusHistory.some((s) => s.status === 'UNSHIPPED'));
      if (generatorStopped && expected.every((o) => firstSeen.has(o.orderId) || o.status === 'CANCELLED')) break;
      if (stopping()) {
        ended = 'CONDUIT_DONE';
        opts.log(`baseline: stopped ${opts.stopAfter!.graceS} s after Conduit's run settled, with ${firstSeen.size}/${expected.length} orders downloaded`);
        if (!generatorStopped) await control.stopOrderGenerator(sellerId);
        break;
      }
      if (Date.now() > deadline) {
        ended = 'TIMEOUT';
        opts.log(`baseline: timed out with ${firstSeen.size}/${expected.length} orders downloaded`);
        if (!generatorStopped) await control.stopOrderGenerator(sellerId);
        break;
      }
      const wait = pollEveryMs - (Date.now() - pollStarted);
      if (wait > 0) await sleep(wait);
    }

    const stats = (await control.stats()).operations;
    const byOperation: BaselineResult['byOperation'] = {};
    let calls = 0;
    let throttled = 0;
    for (const [op, s] of Object.entries(stats)) {
      if (op === 'lwa.token' || op === 'documents') continue;
      byOperation[op] = { calls: s.calls, throttled: s.throttled };
      calls += s.calls;
      throttled += s.throttled;
    }
    const all = orders();
    const backlogOrders = all.filter((o) => o.createdAt < streamFrom);
    const firstDownloadable = Math.min(...backlogOrders.map(downloadableAt));
    const drained = Math.max(...backlogOrders.map((o) => firstSeen.get(o.orderId) ?? now()));
    const drainedMin = (drained - firstDownloadable) / 60_000;
    const plan = USAGE_PLANS.searchOrders;
    const boundMin = Math.max(0, (backlogOrders.length / 100 - plan.burst) / plan.rate) / 60;
    const stream = all.filter((o) => o.createdAt >= streamFrom && firstSeen.has(o.orderId)).map((o) => (firstSeen.get(o.orderId)! - downloadableAt(o)) / 60_000);
    const expected = all.filter((o) => o.fulfilledBy === 'AMAZON' || o.statusHistory.some((s) => s.status === 'UNSHIPPED'));
    const fbm = all.filter((o) => o.fulfilledBy === 'MERCHANT' && o.status !== 'CANCELLED');
    return {
      orders: all.length,
      downloaded: firstSeen.size,
      ended,
      notDownloaded: expected.filter((o) => !firstSeen.has(o.orderId) && o.status !== 'CANCELLED').length,
      fbmOrders: fbm.length,
      fbmUnshippedOnAmazon: fbm.filter((o) => o.status !== 'SHIPPED').length,
      calls,
      throttled,
      ratio: round(throttled / Math.max(1, calls), 4),
      callsPerOrder: round(calls / Math.max(1, all.length), 2),
      byOperation,
      backlog: { orders: backlogOrders.length, drainedSimMinutes: round(drainedMin, 1), boundSimMinutes: round(boundMin, 1), ratioToBound: boundMin > 0 ? round(boundMin / drainedMin, 3) : Number.NaN },
      pollingLatencyMinutes: { n: stream.length, p50: round(percentile(stream, 50)), p99: round(percentile(stream, 99)) },
      realSeconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    await sim.close();
  }
}
