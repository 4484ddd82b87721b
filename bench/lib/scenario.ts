/**
 * The pieces of a peak day that the benchmark and the chaos run share: the merchant's warehouse
 * (the demo's `warehouseTick`, many packers), Amazon's buyers (orders, cancellations, returns),
 * a bulk feed, and the read-backs both runs check at the end — what Amazon has, what Conduit has.
 */
import { and, eq, sql } from 'drizzle-orm';
import { schema } from '../../db/client';
import { createDemoReturn, runDemoFeed, startDemoSchedules, warehouseTick } from '../../scripts/lib/demo-story';
import type { SimCatalogueItem } from '../../simulator/control-client';
import type { SimOrder } from '../../simulator/state';
import { ledgerAvailable, sleep, type Harness } from './harness';

/** The merchant's warehouse: despatches every allocated FBM order and inspects returns, in a loop. */
export class Warehouse {
  despatched = 0;
  inspected = 0;
  errors = 0;
  private running = true;
  private readonly loop: Promise<void>;
  private readonly counter = { n: 0 };

  constructor(
    private readonly h: Harness,
    opts: { everyMs?: number; limit?: number; concurrency?: number } = {},
  ) {
    this.loop = (async () => {
      while (this.running) {
        try {
          const done = await warehouseTick(h.db, h.client, this.counter, {
            connectionId: h.connectionId,
            limit: opts.limit ?? 50,
            concurrency: opts.concurrency ?? 4,
            // Amazon's timeline is the simulator's: the parcel left after the order was placed and before "now" there.
            shipDateOf: (o) => o.amazonUpdatedAt,
          });
          this.despatched += done.despatched;
          this.inspected += done.inspected;
          if (done.despatched === 0 && done.inspected === 0) await sleep(opts.everyMs ?? 1000);
        } catch {
          // Postgres or Temporal is away (chaos): the warehouse waits and carries on.
          this.errors++;
          await sleep(1000);
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/**
 * Production's schedules at the harness's time scale (never faster than once a real second): order
 * download every 5 simulated minutes, FBA sync every 30, returns pickup every `returnsPickupMinutes`,
 * reconciliation and the PII purge daily.
 */
export async function startScaledSchedules(h: Harness, opts: { returnsPickupMinutes: number }): Promise<void> {
  const scaled = (simMs: number) => Math.max(1000, Math.round(simMs / h.timeScale));
  await startDemoSchedules(
    h.client,
    h.taskQueue,
    { orderPollMs: scaled(5 * 60_000), fbaSyncMs: scaled(30 * 60_000), reconcileMs: scaled(24 * 3_600_000), returnsPickupMs: scaled(opts.returnsPickupMinutes * 60_000), piiPurgeMs: scaled(24 * 3_600_000) },
    h.connectionId,
  );
}

/** The seller's orders on Amazon (read from the simulator's memory: it is this process). */
export function amazonOrders(h: Harness): SimOrder[] {
  return [...h.simulator.state.orders.values()].filter((o) => o.sellerId === h.sellerId);
}

/**
 * Orders Conduit must have: every FBA order (recorded whatever its status), and every FBM order that
 * became payable (UNSHIPPED) and was not cancelled since — an FBM order the buyer cancelled before
 * Conduit saw it has nothing left to do, and the download rules rightly skip it.
 */
export function mustBeDownloaded(o: SimOrder): boolean {
  if (o.fulfilledBy === 'AMAZON') return true;
  return o.status !== 'CANCELLED' && o.statusHistory.some((s) => s.status !== 'PENDING' && s.status !== 'PENDING_AVAILABILITY' && s.status !== 'CANCELLED');
}

/** When an order became downloadable under the default rules (simulated epoch ms). */
export function downloadableAt(o: SimOrder): number {
  if (o.fulfilledBy === 'AMAZON') return Math.max(o.createdAt, o.visibleAt);
  const payable = o.statusHistory.find((s) => s.status === 'UNSHIPPED');
  return Math.max(payable?.at ?? o.createdAt, o.visibleAt);
}

/** Orders by Conduit state. */
export async function census(h: Harness): Promise<Record<string, number>> {
  const rows = await h.db
    .select({ state: schema.orders.state, n: sql<number>`count(*)::int` })
    .from(schema.orders)
    .where(eq(schema.orders.connectionId, h.connectionId))
    .groupBy(schema.orders.state);
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

/** Buyers cancel a share of the orders that Amazon has not shipped yet; returns how many. */
export async function cancelSome(h: Harness, share: number, seed: number): Promise<number> {
  const open = amazonOrders(h).filter((o) => (o.status === 'UNSHIPPED' || o.status === 'PENDING') && o.confirmations.length === 0);
  let cancelled = 0;
  // Deterministic pick (every k-th open order), so runs are comparable.
  const step = Math.max(1, Math.round(1 / Math.max(share, 1e-6)));
  for (let i = seed % step; i < open.length; i += step) {
    await h.control.cancelOrder(open[i]!.orderId, { reason: 'buyer changed their mind' }).then(
      () => cancelled++,
      () => {},
    );
  }
  return cancelled;
}

/** Customer returns for shipped orders (FBM and FBA), as Amazon reports them. */
export async function createReturns(h: Harness, count: number, returned: Set<string>): Promise<number> {
  let created = 0;
  for (let i = 0; i < count; i++) {
    const channel = i % 2 === 0 ? 'FBM' : 'FBA';
    if (await createDemoReturn(h.control, h.sellerId, { channel, alreadyReturned: returned }).catch(() => undefined)) created++;
  }
  return created;
}

/** A bulk price feed for `items` (queued listing changes + a feed run now, as the demo does). */
export async function startBulkFeed(h: Harness, items: SimCatalogueItem[]): Promise<string> {
  return runDemoFeed(h.db, h.client, h.taskQueue, { connectionId: h.connectionId, catalogue: items, requestedBy: 'bench' });
}

export interface FbmDrift {
  sku: string;
  amazon: number;
  ledger: number;
  pending: number;
}

/** SKUs whose FBM quantity on Amazon differs from the ledger's figure, or has a change still pending. */
export async function fbmDrift(h: Harness, catalogue: SimCatalogueItem[]): Promise<FbmDrift[]> {
  const ledger = await ledgerAvailable(h.db, h.connectionId);
  const drift: FbmDrift[] = [];
  for (const item of catalogue) {
    if (item.fulfilment === 'FBA') continue;
    const listing = h.simulator.state.listings.get(`${h.sellerId}\u0000${item.sku}`);
    const amazon = listing?.fbmQuantity ?? 0;
    const pending = listing?.pendingQuantityChanges.length ?? 0;
    const figure = ledger.get(item.sku)?.available ?? 0;
    if (amazon !== figure || pending > 0) drift.push({ sku: item.sku, amazon, ledger: figure, pending });
  }
  return drift;
}

/** FBM orders that could not be allocated (Amazon sold units the warehouse did not have). */
export async function oversoldOrders(h: Harness): Promise<string[]> {
  const rows = await h.db
    .select({ id: schema.orders.amazonOrderId })
    .from(schema.orders)
    .where(and(eq(schema.orders.connectionId, h.connectionId), eq(schema.orders.state, 'AWAITING_STOCK')));
  return rows.map((r) => r.id);
}

/** Percentile of a list of numbers (nearest rank); NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const round = (v: number, digits = 2) => (Number.isFinite(v) ? Math.round(v * 10 ** digits) / 10 ** digits : v);
