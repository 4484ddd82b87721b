/**
 * Facts for the pre-launch checklist, read from the live connection: Conduit's own settings and
 * catalogue from Postgres, Amazon's listings (GET_MERCHANT_LISTINGS_ALL_DATA) and the test order's
 * status from SP-API. A denied scope is a fact to report, not a reason to wait: these activities
 * return what they could not read instead of failing AccessDenied.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { and, desc, eq, isNotNull } from 'drizzle-orm';
import { schema } from '../db/client';
import type { DownloadRules, FulfillmentStatus } from '../domain/routing';
import type { DailyWindow } from '../domain/schedule';
import { SpApiError } from '../spapi/errors';
import { toApplicationFailure } from '../spapi/temporal';
import type { ActivityDeps } from './deps';
import { parseFeedWindow } from './feeds';
import { downloadRulesOf } from './migration';
import { parseListingsReport } from './reconcile';

export interface ChecklistSettings {
  sellerId: string;
  marketplaceIds: string[];
  apiKind: 'SP_API' | 'MWS';
  downloadRules: DownloadRules;
  conduitSkus: string[];
  hybridSkus: string[];
  /** Every hybrid SKU has its own FBM and FBA rows in stock_pools. */
  separateStockPools: boolean;
  feedWindow: DailyWindow;
  fbaLagAcknowledged: boolean;
  /** The most recent FBM order with a confirmed shipment (else the most recent FBM order). */
  testOrder: { marketplaceId: string; amazonOrderId: string; despatchedInConduit: boolean } | null;
  fbmSkus: string[];
}

const POLL_MS = [1_000, 2_000, 4_000, 8_000, 15_000, 30_000];

function rethrow(err: unknown): never {
  if (err instanceof SpApiError) throw toApplicationFailure(err);
  throw err;
}

export function createChecklistActivities(deps: ActivityDeps) {
  const { db } = deps;

  async function row(connectionId: string) {
    const [r] = await db.select().from(schema.connections).where(eq(schema.connections.id, connectionId));
    if (!r) throw new Error(`Unknown connection "${connectionId}"`);
    return r;
  }

  return {
    /** Conduit's side of the checklist: settings, catalogue, pools and the candidate test order. */
    async readChecklistSettings(input: { connectionId: string }): Promise<ChecklistSettings> {
      const { connectionId } = input;
      const conn = await row(connectionId);
      const items = await db.select().from(schema.catalogueItems).where(eq(schema.catalogueItems.connectionId, connectionId));
      const pools = await db.select({ sku: schema.stockPools.sku, pool: schema.stockPools.pool, onHand: schema.stockPools.onHand }).from(schema.stockPools).where(eq(schema.stockPools.connectionId, connectionId));
      const hybridSkus = items.filter((i) => i.fulfilment === 'HYBRID').map((i) => i.sku);
      const has = (sku: string, pool: string) => pools.some((p) => p.sku === sku && p.pool === pool);
      const fbmOrder = and(eq(schema.orders.connectionId, connectionId), eq(schema.orders.fulfilledBy, 'MERCHANT'));
      const [shipped] = await db
        .select({ marketplaceId: schema.orders.marketplaceId, amazonOrderId: schema.orders.amazonOrderId })
        .from(schema.orders)
        .innerJoin(schema.shipments, and(eq(schema.shipments.marketplaceId, schema.orders.marketplaceId), eq(schema.shipments.amazonOrderId, schema.orders.amazonOrderId)))
        .where(and(fbmOrder, isNotNull(schema.shipments.confirmedAt)))
        .orderBy(desc(schema.shipments.confirmedAt))
        .limit(1);
      const [latest] = shipped
        ? [undefined]
        : await db
            .select({ marketplaceId: schema.orders.marketplaceId, amazonOrderId: schema.orders.amazonOrderId })
            .from(schema.orders)
            .where(fbmOrder)
            .orderBy(desc(schema.orders.purchasedAt))
            .limit(1);
      const testOrder = shipped ? { ...shipped, despatchedInConduit: true } : latest ? { ...latest, despatchedInConduit: false } : null;
      return {
        sellerId: conn.sellerId,
        marketplaceIds: conn.marketplaceIds,
        apiKind: conn.apiKind === 'MWS' ? 'MWS' : 'SP_API',
        downloadRules: downloadRulesOf(conn.downloadRules),
        conduitSkus: items.map((i) => i.sku),
        hybridSkus,
        separateStockPools: hybridSkus.every((sku) => has(sku, 'FBM') && has(sku, 'FBA')),
        feedWindow: parseFeedWindow(conn.feedWindow).window,
        fbaLagAcknowledged: conn.fbaLagAcknowledged,
        testOrder,
        fbmSkus: items.filter((i) => i.fulfilment !== 'FBA' && pools.some((p) => p.sku === i.sku && p.pool === 'FBM' && p.onHand > 0)).map((i) => i.sku),
      };
    },

    /** Every Seller SKU Amazon lists (GET_MERCHANT_LISTINGS_ALL_DATA), or why it could not be read. */
    async readAmazonListingSkus(input: { connectionId: string }): Promise<{ skus: string[] } | { skus: null; reason: string }> {
      const conn = await row(input.connectionId);
      const port = await deps.spApiFor(input.connectionId);
      try {
        const { reportId } = await port.createReport({ reportType: 'GET_MERCHANT_LISTINGS_ALL_DATA', marketplaceIds: conn.marketplaceIds });
        for (let poll = 0; ; poll++) {
          Context.current().heartbeat({ reportId, poll });
          await sleep(POLL_MS[Math.min(poll, POLL_MS.length - 1)]!, undefined, { signal: Context.current().cancellationSignal });
          const report = await port.getReport(reportId);
          if (report.processingStatus === 'DONE' && report.reportDocumentId) {
            return { skus: parseListingsReport(await port.getReportDocumentContent(report.reportDocumentId)).skus };
          }
          if (report.processingStatus === 'CANCELLED') return { skus: [] }; // Amazon had no listings to report
          if (report.processingStatus === 'FATAL') return { skus: null, reason: `Amazon could not produce the listings report (${reportId} FATAL)` };
        }
      } catch (err) {
        if (err instanceof SpApiError && err.type === 'AccessDenied') return { skus: null, reason: `the listings report was denied (${err.details.operation}: Feeds scope)` };
        rethrow(err);
      }
    },

    /** Amazon's fulfilment status of the test order, or null when it cannot be read (Selling Partner Insights denied). */
    async readAmazonOrderStatus(input: { connectionId: string; amazonOrderId: string }): Promise<{ status: FulfillmentStatus | null; reason?: string }> {
      const port = await deps.spApiFor(input.connectionId);
      try {
        const order = await port.getOrder(input.amazonOrderId, ['FULFILLMENT']);
        return { status: order.fulfillment?.fulfillmentStatus ?? null };
      } catch (err) {
        if (err instanceof SpApiError && (err.type === 'AccessDenied' || err.type === 'NotFound')) return { status: null, reason: `getOrder ${input.amazonOrderId}: ${err.type}` };
        rethrow(err);
      }
    },

    /** Checklist item 8: the operations team has read the 4–6 hour FBA lag note. */
    async acknowledgeFbaLag(input: { connectionId: string; by: string }): Promise<void> {
      await row(input.connectionId);
      await db.update(schema.connections).set({ fbaLagAcknowledged: true, updatedAt: deps.clock() }).where(eq(schema.connections.id, input.connectionId));
      deps.log.info('FBA lag acknowledged', { connectionId: input.connectionId, by: input.by });
    },
  };
}

export type ChecklistActivities = ReturnType<typeof createChecklistActivities>;
