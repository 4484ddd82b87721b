/**
 * The demo's story on the simulator: a UK seller with FBA-only, FBM-only and hybrid SKUs,
 * orders arriving at a rate, a "warehouse" that despatches FBM orders and inspects returns,
 * a bulk listing feed, and a live terminal summary. Incidents from the guide can be played.
 * Everything goes through Conduit's real workflows; the demo only plays Amazon's buyers and the
 * merchant's warehouse.
 */
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { and, eq, sql } from 'drizzle-orm';
import { schema, type Db } from '../../db/client';
import { CONDUIT_ROLES, rolesForScope, type Scope } from '../../domain/scopes';
import type { Sealer } from '../../activities/deps';
import { startConnectionWorkflow } from '../../activities/auth';
import { createStockLedgerActivities } from '../../activities/stock-ledger';
import { ensureOrderDownloadSchedule } from '../../activities/orders';
import { ensureStockSchedules } from '../../activities/stock';
import { queueListingChanges, startListingFeedRun } from '../../activities/feeds';
import { ensurePiiPurgeSchedule } from '../../activities/pii';
import { silentLogger } from '../../activities/deps';
import type { SimCatalogueItem, SimulatorControl } from '../../simulator/control-client';
import { despatchUpdate, orderWorkflowId } from '../../workflows/contracts/orders';
import { inspectionSignal, returnWorkflowId } from '../../workflows/contracts/stock';

export const DEMO_CONNECTION = 'uk-demo';
export const UK = 'A1F83G8C2ARO7P';

/** Twelve SKUs: the shapes the guide worries about, hybrid ones included. */
export function demoCatalogue(): SimCatalogueItem[] {
  const items: SimCatalogueItem[] = [];
  const add = (sku: string, title: string, productType: string, price: number, fulfilment: 'FBM' | 'FBA' | 'HYBRID', fbm: number, fba: number) =>
    items.push({ sku, title, productType, price, fulfilment, fbmQuantity: fbm, fbaQuantity: fba, asin: `B0${createHash('sha1').update(sku).digest('hex').slice(0, 8).toUpperCase()}` });
  add('MUG-ENAMEL-BLUE', 'Enamel camping mug, blue', 'DRINKING_CUP', 12.5, 'FBM', 40, 0);
  add('MUG-ENAMEL-RED', 'Enamel camping mug, red', 'DRINKING_CUP', 12.5, 'FBM', 35, 0);
  add('CAP-WOOL-GREY', 'Merino beanie, grey', 'HAT', 18, 'FBM', 25, 0);
  add('LAMP-BRASS-01', 'Brass desk lamp', 'LAMP', 64, 'FBM', 8, 0);
  add('BOOK-FIELD-GUIDE', 'Field guide to British birds', 'ABIS_BOOK', 9.99, 'FBA', 0, 120);
  add('BOOK-TREES', 'Trees of Britain', 'ABIS_BOOK', 11.99, 'FBA', 0, 80);
  add('BOTTLE-STEEL-750', 'Steel bottle 750 ml', 'BOTTLE', 21, 'FBA', 0, 60);
  add('TEE-ORGANIC-M', 'Organic tee, M', 'SHIRT', 15, 'HYBRID', 30, 50);
  add('TEE-ORGANIC-L', 'Organic tee, L', 'SHIRT', 15, 'HYBRID', 20, 40);
  add('SOCKS-WOOL-3PK', 'Wool socks, 3 pack', 'SOCKS', 14, 'HYBRID', 50, 90);
  add('SCARF-LINEN', 'Linen scarf', 'SCARF', 29, 'HYBRID', 12, 10);
  add('CANDLE-SOY', 'Soy candle', 'CANDLE', 16, 'FBM', 30, 0);
  return items;
}

export interface DemoSetup {
  sellerId: string;
  refreshToken: string;
}

/** Seeds the simulator (Amazon's side) and Conduit's catalogue, connection and opening stock. */
export async function seedDemo(opts: {
  db: Db;
  control: SimulatorControl;
  sealer: Sealer;
  clientId: string;
  clientSecret: string;
  applicationId: string;
}): Promise<DemoSetup> {
  const { db, control } = opts;
  const catalogue = demoCatalogue();
  await control.registerApp({ clientId: opts.clientId, clientSecret: opts.clientSecret, applicationId: opts.applicationId, name: 'Conduit (demo)' });
  const sellerId = 'A2DEMOSELLERUK';
  const seller = await control.seedSeller({ sellerId, region: 'eu', marketplaceIds: [UK], storeName: 'Hedgerow Goods (demo)', clientId: opts.clientId, roles: [...CONDUIT_ROLES], catalogue });
  const refreshToken = seller.refreshToken!;
  await db
    .insert(schema.connections)
    .values({ id: DEMO_CONNECTION, sellerId, region: 'eu', marketplaceIds: [UK], apiKind: 'SP_API', grantedScopes: ['SELLING_PARTNER_INSIGHTS', 'FULFILMENT_INVENTORY', 'ORDERS', 'FEEDS'], refreshTokenEnc: opts.sealer.seal(refreshToken) })
    .onConflictDoUpdate({ target: schema.connections.id, set: { refreshTokenEnc: opts.sealer.seal(refreshToken), apiKind: 'SP_API', status: 'ACTIVE', blockedScopes: [], updatedAt: new Date() } });
  await db
    .insert(schema.catalogueItems)
    .values(catalogue.map((i) => ({ connectionId: DEMO_CONNECTION, sku: i.sku, asin: i.asin, title: i.title, productType: i.productType, fulfilment: i.fulfilment })))
    .onConflictDoNothing();
  // Opening stock, once ever (the ledger ignores a repeated key). Later runs keep the merchant's real counts.
  const ledger = createStockLedgerActivities({ db, log: silentLogger });
  await ledger.recordMovements({
    connectionId: DEMO_CONNECTION,
    movements: catalogue
      .filter((i) => i.fulfilment !== 'FBA')
      .map((i) => ({ sku: i.sku, pool: 'FBM' as const, kind: 'ADJUST' as const, onHandDelta: i.fbmQuantity ?? 0, allocatedDelta: 0, idempotencyKey: `demo-opening:${i.sku}`, reason: 'opening stock count' })),
  });
  // The simulator is a fresh Amazon every run: make Amazon's FBM figures follow Conduit's ledger.
  await db.execute(sql`update stock_pools set last_pushed_quantity = null where connection_id = ${DEMO_CONNECTION}`);
  return { sellerId, refreshToken };
}

/** Starts the connection workflow and every schedule, with intervals scaled to simulator time. */
export async function startDemoSchedules(
  client: Client,
  taskQueue: string,
  intervals: { orderPollMs: number; fbaSyncMs: number; reconcileMs: number; returnsPickupMs?: number; piiPurgeMs?: number },
  connectionId: string = DEMO_CONNECTION,
): Promise<void> {
  await startConnectionWorkflow(client, taskQueue, connectionId);
  await ensureOrderDownloadSchedule(client, { connectionId, intervalMs: intervals.orderPollMs, taskQueue });
  await ensureStockSchedules(client, {
    connectionId,
    taskQueue,
    fbaSyncIntervalMs: intervals.fbaSyncMs,
    reconcileIntervalMs: intervals.reconcileMs,
    returnsPickupIntervalMs: intervals.returnsPickupMs ?? Math.max(5_000, intervals.fbaSyncMs),
  });
  await ensurePiiPurgeSchedule(client, { connectionId, taskQueue, ...(intervals.piiPurgeMs ? { intervalMs: intervals.piiPurgeMs } : {}) });
}

const CARRIERS = [
  { carrierCode: 'Royal Mail', shippingMethod: 'Tracked 48', prefix: 'RM' },
  { carrierCode: 'DPD', shippingMethod: 'Next Day', prefix: 'DP' },
  { carrierCode: 'Evri', shippingMethod: 'Standard', prefix: 'EV' },
];

/**
 * The merchant's warehouse: despatches allocated FBM orders (a real despatch Update to each
 * order workflow, so validation and confirmShipment run for real) and inspects returns.
 */
export async function warehouseTick(
  db: Db,
  client: Client,
  counter: { n: number },
  opts: {
    connectionId?: string;
    /** Orders (and returns) handled per tick. */
    limit?: number;
    /** Packers working side by side; each order is taken by one of them only. */
    concurrency?: number;
    /** The ship date to report (default: now); a simulated Amazon clock needs a date inside its own timeline. */
    shipDateOf?: (order: { purchasedAt: Date; amazonUpdatedAt: Date }) => Date;
  } = {},
): Promise<{ despatched: number; inspected: number }> {
  const connectionId = opts.connectionId ?? DEMO_CONNECTION;
  const limit = opts.limit ?? 10;
  const ready = await db
    .select({
      marketplaceId: schema.orders.marketplaceId,
      amazonOrderId: schema.orders.amazonOrderId,
      purchasedAt: schema.orders.purchasedAt,
      amazonUpdatedAt: schema.orders.amazonUpdatedAt,
    })
    .from(schema.orders)
    .where(and(eq(schema.orders.connectionId, connectionId), eq(schema.orders.state, 'ALLOCATED')))
    .limit(limit);
  let despatched = 0;
  const queue = [...ready];
  const packer = async () => {
    for (let order = queue.shift(); order; order = queue.shift()) {
      const lines = await db
        .select({ orderItemId: schema.orderLines.orderItemId, quantity: schema.orderLines.quantityOrdered, shipped: schema.orderLines.quantityShipped })
        .from(schema.orderLines)
        .where(and(eq(schema.orderLines.marketplaceId, order.marketplaceId), eq(schema.orderLines.amazonOrderId, order.amazonOrderId)));
      const carrier = CARRIERS[counter.n++ % CARRIERS.length]!;
      try {
        const result = await client.workflow.getHandle(orderWorkflowId(order.marketplaceId, order.amazonOrderId)).executeUpdate(despatchUpdate, {
          args: [
            {
              carrierCode: carrier.carrierCode,
              shippingMethod: carrier.shippingMethod,
              trackingNumber: `${carrier.prefix}${String(100000000 + counter.n).slice(1)}GB`,
              shipDate: (opts.shipDateOf?.(order) ?? new Date()).toISOString(),
              lines: lines.filter((l) => l.quantity > l.shipped).map((l) => ({ orderItemId: l.orderItemId, quantity: l.quantity - l.shipped })),
              by: 'demo warehouse',
            },
          ],
        });
        if (result.accepted) despatched++;
      } catch {
        // The order moved on (cancelled, already despatched): the next tick sees its new state.
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 1) }, packer));
  const awaiting = await db
    .select({ id: schema.returns.id })
    .from(schema.returns)
    .where(and(eq(schema.returns.connectionId, connectionId), eq(schema.returns.status, 'AWAITING_INSPECTION')))
    .limit(limit);
  let inspected = 0;
  for (const r of awaiting) {
    const decision = counter.n++ % 4 === 0 ? 'DISPOSE' : 'RESTOCK';
    await client.workflow
      .getHandle(returnWorkflowId(connectionId, r.id))
      .signal(inspectionSignal, { decision, by: 'demo warehouse' })
      .then(() => inspected++)
      .catch(() => {});
  }
  return { despatched, inspected };
}

/** A price change for every hybrid and FBM SKU, sent as one bulk feed (titles and prices only: never quantities). */
export async function runDemoFeed(
  db: Db,
  client: Client,
  taskQueue: string,
  opts: { connectionId?: string; catalogue?: SimCatalogueItem[]; requestedBy?: string } = {},
): Promise<string> {
  const connectionId = opts.connectionId ?? DEMO_CONNECTION;
  const changes = (opts.catalogue ?? demoCatalogue())
    .filter((i) => i.fulfilment !== 'FBA')
    .map((i) => ({ sku: i.sku, price: (i.price * 1.05).toFixed(2) }));
  const queued = await queueListingChanges(db, connectionId, changes);
  if (!queued.ok) return `listing changes refused: ${queued.problems.map((p) => p.message).join('; ')}`;
  const run = await startListingFeedRun(client, { connectionId, taskQueue, requestedBy: opts.requestedBy ?? 'demo' });
  return `bulk feed ${run.workflowId} with ${changes.length} price changes`;
}

/** A return for a shipped FBM order, as Amazon would report it. */
export async function createDemoReturn(
  control: SimulatorControl,
  sellerId: string,
  opts: { channel?: 'FBM' | 'FBA'; alreadyReturned?: Set<string> } = {},
): Promise<string | undefined> {
  const channel = opts.channel ?? 'FBM';
  const { orders } = await control.orders({ sellerId, status: 'SHIPPED' });
  const fbm = orders.find((o) => o.fulfilledBy === (channel === 'FBM' ? 'MERCHANT' : 'AMAZON') && !opts.alreadyReturned?.has(o.orderId));
  if (!fbm || !fbm.items[0]) return undefined;
  opts.alreadyReturned?.add(fbm.orderId);
  await control.createReturn({ sellerId, channel, sku: fbm.items[0].sku, quantity: 1, orderId: fbm.orderId, reason: 'UNWANTED_ITEM' });
  return `${fbm.orderId} (${fbm.items[0].sku})`;
}

export type Incident = { kind: 'revoke'; scope: Scope } | { kind: 'mws' } | { kind: 'peak'; orders: number };

/** Parses `--incident revoke:ORDERS`, `--incident mws`, `--incident peak:500`. */
export function parseIncident(text: string): Incident {
  const [kind, arg] = text.split(':');
  if (kind === 'revoke') {
    const scope = (arg ?? '').toUpperCase();
    if (!['SELLING_PARTNER_INSIGHTS', 'FULFILMENT_INVENTORY', 'ORDERS', 'FEEDS'].includes(scope)) {
      throw new Error(`--incident revoke:<scope> needs one of SELLING_PARTNER_INSIGHTS, FULFILMENT_INVENTORY, ORDERS, FEEDS (got "${arg ?? ''}")`);
    }
    return { kind: 'revoke', scope: scope as Scope };
  }
  if (kind === 'mws') return { kind: 'mws' };
  if (kind === 'peak') {
    const orders = Number(arg ?? '300');
    if (!Number.isInteger(orders) || orders < 1 || orders > 10_000) throw new Error(`--incident peak:<orders> needs a whole number 1–10000 (got "${arg}")`);
    return { kind: 'peak', orders };
  }
  throw new Error(`--incident must be revoke:<SCOPE>, mws or peak:<orders> (got "${text}")`);
}

/** Plays an incident on the simulator and returns the operator's fix, to print. */
export async function playIncident(incident: Incident, control: SimulatorControl, sellerId: string, clientId: string): Promise<string[]> {
  if (incident.kind === 'revoke') {
    const roles = rolesForScope(incident.scope).map((r) => r.replace(/ \(Restricted\)$/, ''));
    await control.revokeRoles(sellerId, roles);
    const { spapi_oauth_code } = await control.consent({ clientId, sellerId, roles: ['Selling Partner Insights', 'Inventory and Order Tracking', 'Product Listing', 'Direct-to-Consumer Shipping', 'Amazon Fulfillment'] });
    return [
      `Incident: Amazon revoked the role(s) ${roles.join(', ')} → scope ${incident.scope} is AccessDenied.`,
      `  See it: Web UI → Workflows → query  NeedsAttention = true   (or: npm run conduit -- connection status --connection ${DEMO_CONNECTION})`,
      `  Fix it: the seller re-authorises (the simulator already consented, code ${spapi_oauth_code}):`,
      `    npm run conduit -- reauth url --connection ${DEMO_CONNECTION}        # prints the Seller Central link and a state`,
      `    npm run conduit -- reauth complete --connection ${DEMO_CONNECTION} --state <state> --code ${spapi_oauth_code}`,
    ];
  }
  if (incident.kind === 'mws') {
    await control.setMws(sellerId, true);
    return [
      'Incident: the seller is still on legacy MWS → orders arrive hours late with no error anywhere.',
      `  Fix it: npm run conduit -- migrate-mws --connection ${DEMO_CONNECTION}`,
    ];
  }
  await control.createRandomOrders(sellerId, { count: incident.orders, fbaShare: 0.4, maxLines: 3 });
  return [`Incident: peak burst of ${incident.orders} orders at once. Watch throttles stay at 0 in the summary while the backlog drains at Amazon's usage-plan rate.`];
}

export interface DemoSummary {
  ordersByState: Record<string, number>;
  needsAttention: number;
  pushes: number;
  throttles: number;
  accessDenied: number;
  calls: number;
  feeds: Record<string, number>;
  returns: Record<string, number>;
}

/** Reads the live summary from Postgres (what an operator would check). */
export async function readSummary(db: Db): Promise<DemoSummary> {
  const byState = await db.select({ state: schema.orders.state, n: sql<number>`count(*)::int` }).from(schema.orders).groupBy(schema.orders.state);
  const [attention] = await db.select({ n: sql<number>`count(*)::int` }).from(schema.orders).where(sql`${schema.orders.needsAttention} is not null`);
  const [calls] = await db
    .select({
      calls: sql<number>`count(*)::int`,
      throttles: sql<number>`count(*) filter (where ${schema.channelLog.httpStatus} = 429)::int`,
      denied: sql<number>`count(*) filter (where ${schema.channelLog.errorType} = 'AccessDenied')::int`,
      pushes: sql<number>`count(*) filter (where ${schema.channelLog.operation} = 'patchListingsItem' and ${schema.channelLog.httpStatus} = 200)::int`,
    })
    .from(schema.channelLog);
  const feeds = await db.select({ status: schema.feeds.status, n: sql<number>`count(*)::int` }).from(schema.feeds).groupBy(schema.feeds.status);
  const returns = await db.select({ status: schema.returns.status, n: sql<number>`count(*)::int` }).from(schema.returns).groupBy(schema.returns.status);
  return {
    ordersByState: Object.fromEntries(byState.map((r) => [r.state, r.n])),
    needsAttention: attention?.n ?? 0,
    pushes: calls?.pushes ?? 0,
    throttles: calls?.throttles ?? 0,
    accessDenied: calls?.denied ?? 0,
    calls: calls?.calls ?? 0,
    feeds: Object.fromEntries(feeds.map((r) => [r.status, r.n])),
    returns: Object.fromEntries(returns.map((r) => [r.status, r.n])),
  };
}

/** One screen of summary, redrawn in place on a terminal. */
export function renderSummary(s: DemoSummary, simTime: string, elapsedS: number): string {
  const total = Object.values(s.ordersByState).reduce((a, b) => a + b, 0);
  const shipped = (s.ordersByState.SHIPPED ?? 0) + (s.ordersByState.FBA_SHIPPED ?? 0);
  const width = 30;
  const filled = total === 0 ? 0 : Math.round((shipped / total) * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${shipped}/${total} shipped`;
  const states = Object.entries(s.ordersByState)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join(' · ');
  const kv = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v}`)
      .join(' · ') || '—';
  return [
    `Conduit demo — ${elapsedS}s real, Amazon time ${simTime}`,
    `  orders     ${states || '—'}`,
    `  progress   ${bar}`,
    `  attention  ${s.needsAttention} order(s) need attention`,
    `  SP-API     ${s.calls} calls · ${s.throttles} throttled (429) · ${s.accessDenied} access denied · ${s.pushes} FBM quantity pushes`,
    `  feeds      ${kv(s.feeds)}`,
    `  returns    ${kv(s.returns)}`,
  ].join('\n');
}
