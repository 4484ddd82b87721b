/**
 * Reconciliation: Amazon's view (the GET_MERCHANT_LISTINGS_ALL_DATA snapshot for the SKU list and
 * FBM quantities, getListingsItem to re-check a drifted SKU, FBA summaries) against the ledger.
 * Drift is corrected only by asking the SKU's push workflow to push the ledger figure; SKU
 * mismatches are reported, never mapped.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { schema } from '../db/client';
import { compareCatalogues, describeSkuMismatch, type SkuNearMiss } from '../domain/sku';
import { fbmAvailable } from '../domain/stock';
import { SpApiError } from '../spapi/errors';
import { type FbaDrift, type ReconciliationReport, type SkuMismatchReport } from '../workflows/contracts/stock';
import type { ActivityDeps } from './deps';
import { parseTsvReport } from './report-tsv';
import { rethrowSpApi, requestStockPushWith, skuPushPending } from './stock';

/** A SKU whose FBM figure on Amazon differs from the ledger's. */
export interface FbmDifference {
  sku: string;
  ledgerQuantity: number;
  amazonQuantity: number;
}

export interface ListingsComparison {
  skusCompared: number;
  drift: FbmDifference[];
  nearMisses: SkuMismatchReport[];
  onlyOnAmazon: string[];
  onlyInConduit: string[];
}

/** Amazon's listings snapshot as SKU list + DEFAULT (merchant-fulfilled) quantities. */
export function parseListingsReport(text: string): { skus: string[]; fbmQuantity: Map<string, number> } {
  const skus: string[] = [];
  const fbmQuantity = new Map<string, number>();
  for (const row of parseTsvReport(text)) {
    const sku = row['seller-sku'];
    if (sku === undefined || sku === '') continue;
    skus.push(sku);
    const channel = (row['fulfillment-channel'] ?? '').trim();
    const quantity = Number(row['quantity']);
    if ((channel === 'DEFAULT' || channel === '') && row['quantity'] !== '' && Number.isSafeInteger(quantity)) fbmQuantity.set(sku, quantity);
  }
  return { skus: [...new Set(skus)], fbmQuantity };
}

/** Pure comparison of the ledger's FBM figures and catalogue with Amazon's snapshot. */
export function compareListings(
  ledger: ReadonlyArray<{ sku: string; fulfilment: string; fbmQuantity: number }>,
  amazon: { skus: readonly string[]; fbmQuantity: ReadonlyMap<string, number> },
): ListingsComparison {
  const catalogue = compareCatalogues(
    ledger.map((l) => l.sku),
    amazon.skus,
  );
  const drift: FbmDifference[] = [];
  for (const l of ledger) {
    if (l.fulfilment === 'FBA') continue;
    const onAmazon = amazon.fbmQuantity.get(l.sku);
    if (onAmazon !== undefined && onAmazon !== l.fbmQuantity) drift.push({ sku: l.sku, ledgerQuantity: l.fbmQuantity, amazonQuantity: onAmazon });
  }
  return {
    skusCompared: catalogue.exact.length,
    drift,
    nearMisses: catalogue.nearMisses.map((n) => nearMissReport(n)),
    onlyOnAmazon: catalogue.onlyOnAmazon,
    onlyInConduit: catalogue.onlyInConduit,
  };
}

function nearMissReport(n: SkuNearMiss): SkuMismatchReport {
  const message = describeSkuMismatch(n.amazonSku, { kind: 'near-miss', sku: n.conduitSku, differences: n.differences })
    .replace('on the Amazon order', 'listed on Amazon')
    .replace(', then retry the order.', '. Until then Conduit pushes no quantity to the Amazon listing.');
  return { conduitSku: n.conduitSku, amazonSku: n.amazonSku, differences: [...n.differences], message };
}

export function createReconcileActivities(deps: ActivityDeps) {
  async function ledgerFbm(connectionId: string, skus?: string[]) {
    const rows = await deps.db
      .select({
        sku: schema.catalogueItems.sku,
        fulfilment: schema.catalogueItems.fulfilment,
        buffer: schema.catalogueItems.buffer,
        onHand: schema.stockPools.onHand,
        allocated: schema.stockPools.allocated,
      })
      .from(schema.catalogueItems)
      .leftJoin(
        schema.stockPools,
        and(eq(schema.stockPools.connectionId, schema.catalogueItems.connectionId), eq(schema.stockPools.sku, schema.catalogueItems.sku), eq(schema.stockPools.pool, 'FBM')),
      )
      .where(and(eq(schema.catalogueItems.connectionId, connectionId), skus ? inArray(schema.catalogueItems.sku, skus) : undefined));
    return rows.map((r) => ({ sku: r.sku, fulfilment: r.fulfilment, fbmQuantity: fbmAvailable({ onHand: r.onHand ?? 0, allocated: r.allocated ?? 0, buffer: r.buffer }) }));
  }

  async function connection(connectionId: string) {
    const [row] = await deps.db.select().from(schema.connections).where(eq(schema.connections.id, connectionId));
    if (!row) throw new Error(`Unknown connection "${connectionId}"`);
    return row;
  }

  return {
    /** Compares Amazon's listings snapshot (report document) with the ledger and the catalogue. */
    async compareListingsWithLedger(input: { connectionId: string; reportDocumentId: string }): Promise<ListingsComparison> {
      let text: string;
      try {
        text = await (await deps.spApiFor(input.connectionId)).getReportDocumentContent(input.reportDocumentId);
      } catch (err) {
        rethrowSpApi(err);
      }
      return compareListings(await ledgerFbm(input.connectionId), parseListingsReport(text));
    },

    /** Compares Amazon's FBA fulfillable figures now with what the last FBA sync recorded. */
    async compareFbaWithLedger(input: { connectionId: string }): Promise<FbaDrift[]> {
      const conn = await connection(input.connectionId);
      const pools = await deps.db
        .select({ sku: schema.stockPools.sku, onHand: schema.stockPools.onHand })
        .from(schema.stockPools)
        .where(and(eq(schema.stockPools.connectionId, input.connectionId), eq(schema.stockPools.pool, 'FBA')));
      const recorded = new Map(pools.map((p) => [p.sku, p.onHand]));
      const drift: FbaDrift[] = [];
      try {
        const port = await deps.spApiFor(input.connectionId);
        let nextToken: string | undefined;
        do {
          const page = await port.getInventorySummaries({ marketplaceId: conn.marketplaceIds[0]!, ...(nextToken ? { nextToken } : {}) });
          for (const s of page.summaries) {
            if (!s.sellerSku || !recorded.has(s.sellerSku)) continue;
            const amazon = Math.max(0, Math.floor(s.inventoryDetails?.fulfillableQuantity ?? 0));
            const ledger = recorded.get(s.sellerSku) ?? 0;
            if (amazon !== ledger) drift.push({ sku: s.sellerSku, ledgerFulfillable: ledger, amazonFulfillable: amazon, amazonReportedAt: s.lastUpdatedTime ?? null });
          }
          nextToken = page.nextToken;
        } while (nextToken);
      } catch (err) {
        rethrowSpApi(err);
      }
      return drift;
    },

    /** Re-reads drifted SKUs one by one (getListingsItem) against the ledger now; only drift that is still there comes back. */
    async confirmFbmDrift(input: { connectionId: string; skus: string[] }): Promise<Array<FbmDifference & { pushPending: boolean }>> {
      if (input.skus.length === 0) return [];
      const conn = await connection(input.connectionId);
      const ledger = new Map((await ledgerFbm(input.connectionId, input.skus)).map((l) => [l.sku, l.fbmQuantity]));
      const port = await deps.spApiFor(input.connectionId).catch(rethrowSpApi);
      const confirmed: Array<FbmDifference & { pushPending: boolean }> = [];
      for (const sku of input.skus) {
        let amazonQuantity: number | undefined;
        try {
          const item = await port.getListingsItem(conn.sellerId, sku, conn.marketplaceIds, ['fulfillmentAvailability']);
          amazonQuantity = item.fulfillmentAvailability?.find((f) => f.fulfillmentChannelCode === 'DEFAULT')?.quantity;
        } catch (err) {
          if (err instanceof SpApiError && err.type === 'NotFound') continue;
          rethrowSpApi(err);
        }
        const ledgerQuantity = ledger.get(sku);
        if (amazonQuantity === undefined || ledgerQuantity === undefined || amazonQuantity === ledgerQuantity) continue;
        confirmed.push({ sku, ledgerQuantity, amazonQuantity, pushPending: await skuPushPending(deps.workflowClient, input.connectionId, sku) });
      }
      return confirmed;
    },

    /** Makes the push workflow see Amazon's real figure and push the ledger's over it. */
    async correctFbmDrift(input: { connectionId: string; drift: Array<{ sku: string; amazonQuantity: number }> }): Promise<void> {
      for (const d of input.drift) {
        // last_pushed_quantity must say what Amazon has, or shouldPush would skip the correction.
        await deps.db
          .update(schema.stockPools)
          .set({ lastPushedQuantity: d.amazonQuantity, updatedAt: sql`now()` })
          .where(and(eq(schema.stockPools.connectionId, input.connectionId), eq(schema.stockPools.sku, d.sku), eq(schema.stockPools.pool, 'FBM')));
      }
      await requestStockPushWith(deps, { connectionId: input.connectionId, skus: input.drift.map((d) => d.sku), cause: 'RECONCILE' });
    },

    /** Stores a finished run for the script and for history. */
    async saveReconciliationRun(report: ReconciliationReport): Promise<void> {
      const values = {
        id: report.runId,
        connectionId: report.connectionId,
        startedAt: new Date(report.startedAt),
        finishedAt: new Date(report.finishedAt),
        skusCompared: report.skusCompared,
        fbmDrift: report.fbmDrift.length,
        fbmCorrected: report.fbmDrift.filter((d) => d.outcome === 'CORRECTED').length,
        fbaDrift: report.fbaDrift.length,
        skuMismatches: report.nearMisses.length + report.onlyOnAmazon.length,
        report,
      };
      await deps.db.insert(schema.reconciliationRuns).values(values).onConflictDoUpdate({ target: schema.reconciliationRuns.id, set: values });
    },
  };
}
