/**
 * Order activities: download pages from Amazon, upsert orders into Postgres and hand each one
 * to its own workflow (signalWithStart, so a repeated download is a no-op), read the catalogue
 * and FBM pools for allocation, confirm FBM shipments exactly once, and verify Amazon's status.
 *
 * Buyer PII (the recipient) is sealed into `orders.recipient_enc` here and never leaves this
 * file: workflows receive OrderSnapshot (IDs, SKUs, quantities, statuses) only.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import { schema } from '../db/client';
import {
  DEFAULT_DOWNLOAD_RULES,
  FULFILLMENT_STATUSES,
  isAmazonOrderId,
  isDownloadable,
  nextCursor,
  searchFilterFor,
  searchWindowFor,
  skuLookalikeKey,
  type DownloadRules,
  type FbmPool,
  type FulfillmentStatus,
} from '../domain';
import { SpApiError } from '../spapi/errors';
import type { AmazonOrder, ConfirmShipmentBody } from '../spapi/port';
import { asActivityFailure } from '../spapi/temporal';
import {
  INITIAL_LOOKBACK_MINUTES,
  ORDER_DOWNLOAD_WORKFLOW_TYPE,
  ORDER_WORKFLOW_TYPE,
  TERMINAL_ORDER_STATES,
  amazonOrderUpdatedSignal,
  orderDownloadWorkflowId,
  orderWorkflowId,
  type DownloadPlan,
  type DownloadedVia,
  type OrderLifecycleState,
  type OrderSnapshot,
  type OrderWorkflowInput,
  type PackageRecord,
} from '../workflows/contracts/orders';
import { scheduleId } from '../workflows/contracts/schedules';
import { AmazonOrderIdKey, ConnectionKey, FulfilledByKey, SkusKey } from '../workflows/contracts/search-attributes';
import type { ActivityDeps } from './deps';
import { ensureConnectionSchedule } from './schedules';

/** SP-API region of every marketplace (sp-api.md §6): an EU token never serves a .com marketplace. */
export const MARKETPLACE_REGION: Readonly<Record<string, 'eu' | 'na' | 'fe'>> = {
  A2EUQ1WTGCTBG2: 'na', ATVPDKIKX0DER: 'na', A1AM78C64UM0Y8: 'na', A2Q3Y263D00KWC: 'na',
  A1F83G8C2ARO7P: 'eu', A28R8C7NBKEWEA: 'eu', A1RKKUPIHCS9HS: 'eu', A13V1IB3VIYZZH: 'eu', AMEN7PMS3EDWL: 'eu',
  A1805IZSGTT6HS: 'eu', A1PA6795UKMFR9: 'eu', APJ6JRA9NG5V4: 'eu', A2NODRKZP88ZB9: 'eu', A1C3SOZRARQ6R3: 'eu',
  ARBP9OOSHTCHU: 'eu', A33AVAJ2PDY3EV: 'eu', A17E79C6D8DWNP: 'eu', A2VIGQ35RCS4UG: 'eu', A21TJRUUN4KGV: 'eu',
  AE08WJ6YKNBMC: 'eu', A19VAU5U5O7RUS: 'fe', A39IBJ37TRP1C6: 'fe', A1VC38T7YXB528: 'fe',
};

/** Marketplaces a connection lists that its region's token cannot serve, with a message naming the fix; empty when fine. */
export function marketplaceProblems(connectionId: string, region: string, marketplaceIds: readonly string[]): string[] {
  return marketplaceIds.flatMap((id) => {
    const home = MARKETPLACE_REGION[id];
    if (home === undefined) return [`Connection ${connectionId} lists marketplace ${id}, which is not an Amazon marketplace id: correct connections.marketplace_ids.`];
    if (home !== region) {
      return [
        `Connection ${connectionId} is authorised in the ${region.toUpperCase()} region but lists marketplace ${id} (${home.toUpperCase()} region): ` +
          `a ${region.toUpperCase()} authorisation never serves it. Remove it from this connection and authorise a separate ${home.toUpperCase()} connection.`,
      ];
    }
    return [];
  });
}

/** Orders of one searchOrders page handed off side by side (each: a row, then signalWithStart). */
const HAND_OFF_CONCURRENCY = 8;

const invalidInput = (message: string) => ApplicationFailure.create({ type: 'InvalidInput', message, nonRetryable: true });

/** Orders 2026 datasets every read asks for: routing needs FULFILLMENT, despatch the RECIPIENT, verification PACKAGES. */
const INCLUDED_DATA = ['FULFILLMENT', 'RECIPIENT', 'PACKAGES'];

function isFulfillmentStatus(value: string | undefined): value is FulfillmentStatus {
  return value !== undefined && (FULFILLMENT_STATUSES as readonly string[]).includes(value);
}

/** The non-PII part of an Amazon order, as the order workflow receives it. */
export function snapshotOf(order: AmazonOrder, fallbackMarketplaceId: string): OrderSnapshot {
  const status = order.fulfillment?.fulfillmentStatus;
  return {
    amazonOrderId: order.orderId,
    marketplaceId: order.salesChannel?.marketplaceId ?? fallbackMarketplaceId,
    fulfilledBy: order.fulfillment?.fulfilledBy ?? 'UNKNOWN',
    status: isFulfillmentStatus(status) ? status : 'PENDING',
    purchasedAt: order.createdTime,
    lastUpdatedAt: order.lastUpdatedTime,
    ...(order.fulfillment?.shipByWindow?.latestDateTime ? { latestShipDate: order.fulfillment.shipByWindow.latestDateTime } : {}),
    lines: order.orderItems.map((item) => ({
      orderItemId: item.orderItemId,
      sku: item.product?.sellerSku ?? '',
      ...(item.product?.asin ? { asin: item.product.asin } : {}),
      quantityOrdered: item.quantityOrdered,
      quantityShipped: Math.min(item.quantityOrdered, item.fulfillment?.quantityFulfilled ?? 0),
    })),
    packages: (order.packages ?? []).map((p) => ({
      packageReferenceId: p.packageReferenceId,
      ...(p.trackingNumber ? { trackingNumber: p.trackingNumber } : {}),
      ...(p.packageStatus?.status ? { status: p.packageStatus.status } : {}),
    })),
  };
}

function parseRules(value: unknown): DownloadRules {
  if (!value || typeof value !== 'object') return DEFAULT_DOWNLOAD_RULES;
  const v = value as Partial<DownloadRules>;
  const statuses = (x: unknown): FulfillmentStatus[] => (Array.isArray(x) ? x.filter((s): s is FulfillmentStatus => isFulfillmentStatus(String(s))) : []);
  return {
    fbmStatuses: v.fbmStatuses === undefined ? DEFAULT_DOWNLOAD_RULES.fbmStatuses : statuses(v.fbmStatuses),
    fbaStatuses: v.fbaStatuses === 'ALL' || v.fbaStatuses === undefined ? 'ALL' : statuses(v.fbaStatuses),
  };
}

function attemptNumber(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

function heartbeat(): void {
  try {
    Context.current().heartbeat();
  } catch {
    /* called outside an activity (unit tests) */
  }
}

function workflowIdOfCaller(): string | undefined {
  try {
    return Context.current().info.workflowExecution?.workflowId;
  } catch {
    return undefined;
  }
}

export type HandOffOutcome = 'HANDED_OFF' | 'UNCHANGED' | 'NOT_DOWNLOADABLE' | 'OTHER_MARKETPLACE';

export interface DownloadPageResult {
  nextToken?: string;
  maxLastUpdated: string | null;
  ordersSeen: number;
  handedOff: number;
  skipped: number;
}

export interface ScheduleSettings {
  connectionId: string;
  intervalMs: number;
  taskQueue: string;
}

/**
 * Creates the connection's order-download Schedule (every `intervalMs`, overlapping runs skipped,
 * paused on a failed run so a misconfiguration is not retried forever) or brings an existing one
 * to these settings, keeping an operator's pause. Safe to call on every start.
 */
export async function ensureOrderDownloadSchedule(client: Client, settings: ScheduleSettings): Promise<{ scheduleId: string; created: boolean }> {
  return ensureConnectionSchedule(client, {
    scheduleId: scheduleId('order-download', settings.connectionId),
    connectionId: settings.connectionId,
    spec: { intervals: [{ every: settings.intervalMs }] },
    workflowType: ORDER_DOWNLOAD_WORKFLOW_TYPE,
    workflowId: orderDownloadWorkflowId(settings.connectionId),
    taskQueue: settings.taskQueue,
    catchupWindow: '10 minutes',
    pauseOnFailure: true,
    note: `Downloads Amazon orders for ${settings.connectionId}; paused automatically if a run fails (see its NeedsAttention reason).`,
  });
}

export function createOrderActivities(deps: ActivityDeps) {
  const { db } = deps;

  async function connectionRow(connectionId: string) {
    const [row] = await db.select().from(schema.connections).where(eq(schema.connections.id, connectionId));
    if (!row) throw invalidInput(`Unknown connection "${connectionId}": create it with the onboarding script first.`);
    return row;
  }

  /** Refuses a marketplace the connection's region cannot serve, before any SP-API call is made. */
  function assertMarketplaceServed(connectionId: string, region: string, marketplaceId: string): void {
    const problems = marketplaceProblems(connectionId, region, [marketplaceId]);
    if (problems.length > 0) throw invalidInput(problems[0]!);
  }

  /** Upserts the order row (and lines, once), then signalWithStarts its workflow if Amazon changed anything not yet handed over. */
  async function handOff(
    conn: { id: string; region: string; marketplaceIds: string[]; downloadRules: unknown },
    order: AmazonOrder,
    via: DownloadedVia,
  ): Promise<HandOffOutcome> {
    const snapshot = snapshotOf(order, conn.marketplaceIds[0] ?? '');
    if (!conn.marketplaceIds.includes(snapshot.marketplaceId) || !isAmazonOrderId(snapshot.amazonOrderId)) {
      deps.log.warn('order outside the connection ignored', { connectionId: conn.id, amazonOrderId: order.orderId, marketplaceId: snapshot.marketplaceId });
      return 'OTHER_MARKETPLACE';
    }
    const key = and(eq(schema.orders.marketplaceId, snapshot.marketplaceId), eq(schema.orders.amazonOrderId, snapshot.amazonOrderId));
    const [existing] = await db.select().from(schema.orders).where(key);
    if (!existing && !isDownloadable(parseRules(conn.downloadRules), order)) return 'NOT_DOWNLOADABLE';

    const recipient = snapshot.fulfilledBy === 'MERCHANT' && order.recipient?.deliveryAddress ? deps.sealer.seal(JSON.stringify(order.recipient.deliveryAddress)) : null;
    const amazonUpdatedAt = new Date(snapshot.lastUpdatedAt);
    if (!existing) {
      await db.transaction(async (tx) => {
        await tx
          .insert(schema.orders)
          .values({
            marketplaceId: snapshot.marketplaceId,
            amazonOrderId: snapshot.amazonOrderId,
            connectionId: conn.id,
            fulfilledBy: snapshot.fulfilledBy === 'AMAZON' ? 'AMAZON' : 'MERCHANT',
            amazonStatus: snapshot.status,
            state: 'NEW',
            purchasedAt: new Date(snapshot.purchasedAt),
            amazonUpdatedAt,
            latestShipDate: snapshot.latestShipDate ? new Date(snapshot.latestShipDate) : null,
            recipientEnc: recipient,
            downloadedVia: via,
          })
          .onConflictDoNothing();
        const lines = snapshot.lines.filter((l) => l.quantityOrdered > 0);
        if (lines.length > 0) {
          await tx
            .insert(schema.orderLines)
            .values(
              lines.map((l) => ({
                marketplaceId: snapshot.marketplaceId,
                amazonOrderId: snapshot.amazonOrderId,
                orderItemId: l.orderItemId,
                sku: l.sku,
                asin: l.asin ?? null,
                quantityOrdered: l.quantityOrdered,
                quantityShipped: l.quantityShipped,
              })),
            )
            .onConflictDoNothing();
        }
      });
    }

    const alreadyHandedOff = existing?.handedOffUpdatedAt && existing.handedOffUpdatedAt.getTime() >= amazonUpdatedAt.getTime();
    // A finished order whose Amazon status did not change needs no new run (e.g. the overlap window re-reading it).
    const finishedAndSame = existing && (TERMINAL_ORDER_STATES as readonly string[]).includes(existing.state) && existing.amazonStatus === snapshot.status;
    let outcome: HandOffOutcome = 'UNCHANGED';
    if (!alreadyHandedOff && !finishedAndSame) {
      const input: OrderWorkflowInput = { connectionId: conn.id, marketplaceId: snapshot.marketplaceId, amazonOrderId: snapshot.amazonOrderId, downloadedVia: via };
      await deps.workflowClient.workflow.signalWithStart(ORDER_WORKFLOW_TYPE, {
        workflowId: orderWorkflowId(snapshot.marketplaceId, snapshot.amazonOrderId),
        taskQueue: deps.taskQueue,
        args: [input],
        signal: amazonOrderUpdatedSignal,
        signalArgs: [snapshot],
        typedSearchAttributes: [
          { key: ConnectionKey, value: conn.id },
          { key: AmazonOrderIdKey, value: snapshot.amazonOrderId },
          { key: SkusKey, value: [...new Set(snapshot.lines.map((l) => l.sku))] },
          { key: FulfilledByKey, value: snapshot.fulfilledBy },
        ],
      });
      outcome = 'HANDED_OFF';
    }
    // Record Amazon's view only after the hand-off, so a retried activity re-sends what did not arrive.
    await db
      .update(schema.orders)
      .set({
        amazonStatus: snapshot.status,
        amazonUpdatedAt,
        latestShipDate: snapshot.latestShipDate ? new Date(snapshot.latestShipDate) : null,
        ...(recipient ? { recipientEnc: recipient } : {}),
        handedOffUpdatedAt: sql`greatest(${schema.orders.handedOffUpdatedAt}, ${amazonUpdatedAt.toISOString()}::timestamptz)`,
        updatedAt: deps.clock(),
      })
      .where(and(key, sql`${schema.orders.amazonUpdatedAt} <= ${amazonUpdatedAt.toISOString()}::timestamptz`));
    return outcome;
  }

  return {
    /** The next poll's window and filter from the durable cursor; refuses a marketplace outside the connection's region. */
    async planOrderDownload(input: { connectionId: string }): Promise<DownloadPlan | { nothingToDo: true; reason: string }> {
      const conn = await connectionRow(input.connectionId);
      const problems = marketplaceProblems(conn.id, conn.region, conn.marketplaceIds);
      if (problems.length > 0) throw invalidInput(problems.join(' '));
      const now = deps.clock().toISOString();
      const previousCursor = conn.orderCursor?.toISOString() ?? new Date(deps.clock().getTime() - INITIAL_LOOKBACK_MINUTES * 60_000).toISOString();
      const filter = searchFilterFor(parseRules(conn.downloadRules));
      if (filter === null) return { nothingToDo: true, reason: 'the download rules download nothing' };
      const window = searchWindowFor(previousCursor, now);
      if (window === null) return { nothingToDo: true, reason: 'the window since the last poll is still empty' };
      return { connectionId: conn.id, previousCursor, now, window, marketplaceIds: conn.marketplaceIds, filter };
    },

    /** One searchOrders page: each order is upserted and handed to its workflow. Safe to retry with the same token. */
    async downloadOrderPage(input: { plan: DownloadPlan; paginationToken?: string }): Promise<DownloadPageResult> {
      const { plan } = input;
      const conn = await connectionRow(plan.connectionId);
      const port = await deps.spApiFor(plan.connectionId);
      let page;
      try {
        page = await port.searchOrders({
          ...plan.window,
          marketplaceIds: plan.marketplaceIds,
          ...plan.filter,
          includedData: INCLUDED_DATA,
          maxResultsPerPage: 100,
          ...(input.paginationToken ? { paginationToken: input.paginationToken } : {}),
        });
      } catch (err) {
        throw asActivityFailure(err);
      }
      let handedOff = 0;
      let skipped = 0;
      let maxLastUpdated: string | null = null;
      for (const order of page.orders) if (maxLastUpdated === null || order.lastUpdatedTime > maxLastUpdated) maxLastUpdated = order.lastUpdatedTime;
      // Orders of a page are independent (one row and one workflow each): a few hand-offs at a time keep a
      // peak-day backlog at the usage plan's pace instead of one database + Temporal round trip after another
      // (bench/README.md, order intake). A failure fails the page; the retried page re-sends only what did not arrive.
      const queue = [...page.orders];
      await Promise.all(
        Array.from({ length: Math.min(HAND_OFF_CONCURRENCY, queue.length) }, async () => {
          for (let order = queue.shift(); order; order = queue.shift()) {
            const outcome = await handOff(conn, order, 'POLL');
            if (outcome === 'HANDED_OFF') handedOff++;
            else skipped++;
            heartbeat();
          }
        }),
      );
      deps.log.info('order page downloaded', { connectionId: plan.connectionId, orders: page.orders.length, handedOff, workflowId: workflowIdOfCaller() });
      return { ...(page.nextToken ? { nextToken: page.nextToken } : {}), maxLastUpdated, ordersSeen: page.orders.length, handedOff, skipped };
    },

    /** Moves the durable cursor forward once every page of the window was read; never backwards. */
    async advanceOrderCursor(input: { connectionId: string; previousCursor: string; maxLastUpdated: string | null; now: string; overlapMinutes: number }): Promise<string> {
      const cursor = nextCursor(input.previousCursor, input.maxLastUpdated, input.overlapMinutes, input.now);
      await db
        .update(schema.connections)
        .set({ orderCursor: sql`greatest(${schema.connections.orderCursor}, ${cursor}::timestamptz)`, updatedAt: deps.clock() })
        .where(eq(schema.connections.id, input.connectionId));
      return cursor;
    },

    /** The connection that owns a seller's marketplace (notifications name the seller, not our connection). */
    async resolveConnectionForSeller(input: { sellerId: string; marketplaceId: string }): Promise<string | null> {
      const region = MARKETPLACE_REGION[input.marketplaceId];
      if (!region) return null;
      const rows = await db
        .select({ id: schema.connections.id })
        .from(schema.connections)
        .where(and(eq(schema.connections.sellerId, input.sellerId), eq(schema.connections.region, region), sql`${input.marketplaceId} = any(${schema.connections.marketplaceIds})`));
      return rows[0]?.id ?? null;
    },

    /** Reads one order (getOrder) and hands it over like a download would; used by ORDER_CHANGE notifications. */
    async fetchAndHandOffOrder(input: { connectionId: string; marketplaceId: string; amazonOrderId: string; via: DownloadedVia }): Promise<HandOffOutcome> {
      const conn = await connectionRow(input.connectionId);
      assertMarketplaceServed(conn.id, conn.region, input.marketplaceId);
      const port = await deps.spApiFor(input.connectionId);
      let order: AmazonOrder;
      try {
        order = await port.getOrder(input.amazonOrderId, INCLUDED_DATA);
      } catch (err) {
        throw asActivityFailure(err);
      }
      return handOff(conn, order, input.via);
    },

    /** Amazon's current view of one order (verification and the FBA fallback poll). */
    async getAmazonOrder(input: { connectionId: string; marketplaceId: string; amazonOrderId: string }): Promise<OrderSnapshot> {
      const conn = await connectionRow(input.connectionId);
      assertMarketplaceServed(conn.id, conn.region, input.marketplaceId);
      const port = await deps.spApiFor(input.connectionId);
      try {
        return snapshotOf(await port.getOrder(input.amazonOrderId, ['FULFILLMENT', 'PACKAGES']), input.marketplaceId);
      } catch (err) {
        throw asActivityFailure(err);
      }
    },

    /** What Postgres already knows of an order (a new run after completion resumes from here). */
    async loadOrderRecord(input: { marketplaceId: string; amazonOrderId: string }): Promise<{ state: OrderLifecycleState; amazonStatus: string; packages: PackageRecord[] } | null> {
      const [row] = await db
        .select({ state: schema.orders.state, amazonStatus: schema.orders.amazonStatus })
        .from(schema.orders)
        .where(and(eq(schema.orders.marketplaceId, input.marketplaceId), eq(schema.orders.amazonOrderId, input.amazonOrderId)));
      if (!row) return null;
      const shipments = await db
        .select()
        .from(schema.shipments)
        .where(and(eq(schema.shipments.marketplaceId, input.marketplaceId), eq(schema.shipments.amazonOrderId, input.amazonOrderId)));
      return {
        state: row.state as OrderLifecycleState,
        amazonStatus: row.amazonStatus,
        packages: shipments
          .sort((a, b) => Number(a.packageReferenceId) - Number(b.packageReferenceId))
          .map((s) => ({
            packageReferenceId: s.packageReferenceId,
            carrierCode: s.carrierCode,
            carrierName: s.carrierName ?? s.carrierCode,
            shippingMethod: s.shippingMethod ?? '',
            trackingNumber: s.trackingNumber,
            shipDate: s.shipDate.toISOString(),
            lines: s.lines as PackageRecord['lines'],
            status: s.confirmedAt ? 'CONFIRMED' : 'QUEUED',
            ...(s.confirmedAt ? { confirmedAt: s.confirmedAt.toISOString(), confirmedVia: 'ALREADY_RECORDED' as const } : {}),
          })),
      };
    },

    /** Catalogue SKUs equal to, or looking like, the order's SKUs (for matchSku: exact or a named near-miss). */
    async catalogueCandidates(input: { connectionId: string; skus: string[] }): Promise<string[]> {
      if (input.skus.length === 0) return [];
      const keys = [...new Set(input.skus.map(skuLookalikeKey))];
      const rows = await db
        .select({ sku: schema.catalogueItems.sku })
        .from(schema.catalogueItems)
        .where(
          and(
            eq(schema.catalogueItems.connectionId, input.connectionId),
            or(inArray(schema.catalogueItems.sku, input.skus), inArray(sql`lower(regexp_replace(normalize(${schema.catalogueItems.sku}, NFKC), '\\s', '', 'g'))`, keys)),
          ),
        );
      return rows.map((r) => r.sku);
    },

    /** FBM pools (on hand, allocated, buffer) of these SKUs; FBA figures are never read for allocation. */
    async readFbmPools(input: { connectionId: string; skus: string[] }): Promise<Record<string, FbmPool>> {
      if (input.skus.length === 0) return {};
      const rows = await db
        .select({ sku: schema.catalogueItems.sku, buffer: schema.catalogueItems.buffer, onHand: schema.stockPools.onHand, allocated: schema.stockPools.allocated })
        .from(schema.catalogueItems)
        .leftJoin(
          schema.stockPools,
          and(eq(schema.stockPools.connectionId, schema.catalogueItems.connectionId), eq(schema.stockPools.sku, schema.catalogueItems.sku), eq(schema.stockPools.pool, 'FBM')),
        )
        .where(and(eq(schema.catalogueItems.connectionId, input.connectionId), inArray(schema.catalogueItems.sku, input.skus)));
      const pools: Record<string, FbmPool> = {};
      for (const r of rows) pools[r.sku] = { onHand: r.onHand ?? 0, allocated: r.allocated ?? 0, buffer: r.buffer };
      return pools;
    },

    /** Mirrors the workflow's state into the orders row (what dashboards and the PII purge read). */
    async saveOrderState(input: { marketplaceId: string; amazonOrderId: string; state: OrderLifecycleState; needsAttention: string | null; shippedAt?: string }): Promise<void> {
      await db
        .update(schema.orders)
        .set({ state: input.state, needsAttention: input.needsAttention, ...(input.shippedAt ? { shippedAt: new Date(input.shippedAt) } : {}), updatedAt: deps.clock() })
        .where(and(eq(schema.orders.marketplaceId, input.marketplaceId), eq(schema.orders.amazonOrderId, input.amazonOrderId)));
    },

    /** Records the intent to confirm a package before calling Amazon (the row is the exactly-once guard). */
    async recordShipmentIntent(input: { amazonOrderId: string; body: ConfirmShipmentBody }): Promise<void> {
      const p = input.body.packageDetail;
      await db
        .insert(schema.shipments)
        .values({
          marketplaceId: input.body.marketplaceId,
          amazonOrderId: input.amazonOrderId,
          packageReferenceId: p.packageReferenceId,
          carrierCode: p.carrierCode,
          carrierName: p.carrierName ?? null,
          shippingMethod: p.shippingMethod ?? null,
          trackingNumber: p.trackingNumber,
          shipDate: new Date(p.shipDate),
          lines: p.orderItems,
        })
        .onConflictDoNothing();
    },

    /**
     * confirmShipment for one package, exactly once: a package already confirmed is not sent again;
     * after an ambiguous earlier attempt, or when Amazon says the order is already shipped, the
     * package counts as confirmed only if Amazon lists the same tracking number on the order.
     */
    async confirmPackage(input: { connectionId: string; amazonOrderId: string; body: ConfirmShipmentBody }): Promise<{ confirmedAt: string; via: 'CALL' | 'ALREADY_ON_AMAZON' | 'ALREADY_RECORDED' }> {
      const { body, amazonOrderId } = input;
      const shipmentKey = and(
        eq(schema.shipments.marketplaceId, body.marketplaceId),
        eq(schema.shipments.amazonOrderId, amazonOrderId),
        eq(schema.shipments.packageReferenceId, body.packageDetail.packageReferenceId),
      );
      const [row] = await db.select({ confirmedAt: schema.shipments.confirmedAt }).from(schema.shipments).where(shipmentKey);
      if (!row) throw ApplicationFailure.create({ type: 'MissingShipmentIntent', message: `No shipments row for ${amazonOrderId} package ${body.packageDetail.packageReferenceId}`, nonRetryable: true });
      if (row.confirmedAt) return { confirmedAt: row.confirmedAt.toISOString(), via: 'ALREADY_RECORDED' };

      const conn = await connectionRow(input.connectionId);
      assertMarketplaceServed(conn.id, conn.region, body.marketplaceId);
      const port = await deps.spApiFor(input.connectionId);
      const onAmazon = async (): Promise<boolean> => {
        const order = await port.getOrder(amazonOrderId, ['PACKAGES']);
        return (order.packages ?? []).some((p) => p.trackingNumber === body.packageDetail.trackingNumber);
      };
      const markConfirmed = async (via: 'CALL' | 'ALREADY_ON_AMAZON') => {
        const confirmedAt = deps.clock();
        await db.transaction(async (tx) => {
          await tx.update(schema.shipments).set({ confirmedAt }).where(and(shipmentKey, isNull(schema.shipments.confirmedAt)));
          // quantity_shipped is recomputed from confirmed packages, so repeating this changes nothing.
          await tx.execute(sql`
            update order_lines l set quantity_shipped = least(l.quantity_ordered, coalesce((
              select sum((e->>'quantity')::int) from shipments s, jsonb_array_elements(s.lines) e
              where s.marketplace_id = l.marketplace_id and s.amazon_order_id = l.amazon_order_id
                and s.confirmed_at is not null and e->>'orderItemId' = l.order_item_id), 0))
            where l.marketplace_id = ${body.marketplaceId} and l.amazon_order_id = ${amazonOrderId}`);
        });
        deps.log.info('shipment confirmed', { connectionId: input.connectionId, amazonOrderId, packageReferenceId: body.packageDetail.packageReferenceId, via });
        return { confirmedAt: confirmedAt.toISOString(), via };
      };

      try {
        // An earlier attempt may have reached Amazon before it failed or timed out: look before sending again.
        if (attemptNumber() > 1 && (await onAmazon())) return await markConfirmed('ALREADY_ON_AMAZON');
        try {
          await port.confirmShipment(amazonOrderId, body);
        } catch (err) {
          if (err instanceof SpApiError && err.type === 'InvalidInput' && (await onAmazon())) return await markConfirmed('ALREADY_ON_AMAZON');
          throw err;
        }
        return await markConfirmed('CALL');
      } catch (err) {
        throw asActivityFailure(err);
      }
    },

    /** Amazon shows the order SHIPPED: record it on the shipments and the order (checklist item 6). */
    async markVerifiedShipped(input: { marketplaceId: string; amazonOrderId: string }): Promise<string> {
      const at = deps.clock();
      await db
        .update(schema.shipments)
        .set({ verifiedShippedAt: at })
        .where(and(eq(schema.shipments.marketplaceId, input.marketplaceId), eq(schema.shipments.amazonOrderId, input.amazonOrderId), isNull(schema.shipments.verifiedShippedAt)));
      return at.toISOString();
    },

    /** Activity form of ensureOrderDownloadSchedule, for onboarding workflows. */
    async ensureOrderDownloadSchedule(input: { connectionId: string; intervalMs: number }): Promise<{ scheduleId: string; created: boolean }> {
      return ensureOrderDownloadSchedule(deps.workflowClient, { ...input, taskQueue: deps.taskQueue });
    },
  };
}

/** The order activities' type, for `proxyActivities` in workflow code. */
export type OrderActivities = ReturnType<typeof createOrderActivities>;
