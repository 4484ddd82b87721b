/**
 * Returns that reinstate stock. Amazon sends no stock-back signal for a return, so Conduit reads
 * the returns reports (FBM: GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE, FBA:
 * GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA), records each return once, and starts one
 * `customerReturn` workflow per return. FBM returns wait for the warehouse's inspection; FBA
 * returns are recorded against the FBA pool only.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { and, eq, inArray } from 'drizzle-orm';
import { schema } from '../db/client';
import { fbaReturnId, fbmReturnId, returnMovements, type ReturnCondition, type ReturnedItem } from '../domain/returns';
import type { ReportType } from '../domain/scopes';
import { describeSkuMismatch, matchSku } from '../domain/sku';
import type { ProcessingStatus } from '../spapi/port';
import { ConnectionKey, SkusKey } from '../workflows/contracts/search-attributes';
import { returnWorkflowId, type InspectionDecision, type ReturnStatus, type ReturnWorkflowInput } from '../workflows/contracts/stock';
import type { ActivityDeps } from './deps';
import { parseTsvReport, reportDate } from './report-tsv';
import { rethrowSpApi } from './stock';
import { createStockLedgerActivities } from './stock-ledger';

export const FBM_RETURNS_REPORT: ReportType = 'GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE';
export const FBA_RETURNS_REPORT: ReportType = 'GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA';

/** One return as read from a report; identifiers and quantities only (no buyer data). */
export interface ParsedReturn {
  returnId: string;
  route: 'FBM' | 'FBA';
  amazonOrderId: string;
  sku: string;
  quantity: number;
  returnedAt: string;
  disposition: string;
}

const FBA_CONDITIONS: Readonly<Record<string, ReturnCondition>> = {
  SELLABLE: 'SELLABLE',
  DEFECTIVE: 'DEFECTIVE',
  CUSTOMER_DAMAGED: 'CUSTOMER_DAMAGED',
  CARRIER_DAMAGED: 'CARRIER_DAMAGED',
  WAREHOUSE_DAMAGED: 'WAREHOUSE_DAMAGED',
  DISTRIBUTOR_DAMAGED: 'DISTRIBUTOR_DAMAGED',
  EXPIRED: 'EXPIRED',
  DAMAGED: 'DAMAGED',
};

/** Amazon's grade of an FBA return as a ReturnCondition (anything unknown counts as damaged: never restock on a guess). */
export function fbaCondition(disposition: string): ReturnCondition {
  return FBA_CONDITIONS[disposition.trim().toUpperCase()] ?? 'DAMAGED';
}

/** Rows of either returns report as ParsedReturns; rows without the fields that identify a return are skipped and counted. */
export function parseReturnsReport(reportType: ReportType, text: string): { returns: ParsedReturn[]; skipped: number } {
  const out: ParsedReturn[] = [];
  let skipped = 0;
  for (const row of parseTsvReport(text)) {
    if (reportType === FBM_RETURNS_REPORT) {
      const rma = row['Amazon RMA ID']?.trim() ?? '';
      const sku = row['Merchant SKU'] ?? '';
      const quantity = Number(row['Return quantity']);
      const returnedAt = reportDate(row['Return request date']);
      if (!rma || !sku || !Number.isSafeInteger(quantity) || quantity <= 0 || !returnedAt) {
        skipped++;
        continue;
      }
      out.push({ returnId: fbmReturnId(rma), route: 'FBM', amazonOrderId: row['Order ID']?.trim() ?? '', sku, quantity, returnedAt, disposition: row['Return Reason']?.trim() ?? '' });
    } else {
      const sku = row['sku'] ?? '';
      const quantity = Number(row['quantity']);
      const returnedAt = reportDate(row['return-date']);
      const amazonOrderId = row['order-id']?.trim() ?? '';
      if (!sku || !Number.isSafeInteger(quantity) || quantity <= 0 || !returnedAt) {
        skipped++;
        continue;
      }
      const licensePlateNumber = row['license-plate-number']?.trim();
      out.push({
        returnId: fbaReturnId({ amazonOrderId, sku, returnDate: returnedAt, ...(licensePlateNumber ? { licensePlateNumber } : {}) }),
        route: 'FBA',
        amazonOrderId,
        sku,
        quantity,
        returnedAt,
        disposition: row['detailed-disposition']?.trim() ?? '',
      });
    }
  }
  return { returns: out, skipped };
}

export interface ReturnsPickupResult {
  reportType: ReportType;
  rows: number;
  newReturns: number;
  workflowsStarted: number;
  skippedRows: number;
  /** SKUs on returns that match no catalogue SKU exactly (named near-miss when there is one). */
  unknownSkus: Array<{ sku: string; message: string }>;
}

export type ApplyDecisionResult =
  | { ok: true; status: ReturnStatus; restocked: boolean; alreadyDecided: boolean; sku: string }
  | { ok: false; message: string };

const FINAL: readonly string[] = ['RESTOCKED', 'DISPOSED', 'RECORDED'];

export function createReturnActivities(deps: ActivityDeps) {
  const ledger = createStockLedgerActivities(deps);

  async function connection(connectionId: string) {
    const [row] = await deps.db.select().from(schema.connections).where(eq(schema.connections.id, connectionId));
    if (!row) throw new Error(`Unknown connection "${connectionId}"`);
    return row;
  }

  return {
    /** Asks Amazon for a report (listings snapshot or returns); returns its id. */
    async requestStockReport(input: { connectionId: string; reportType: ReportType; dataStartTime?: string }): Promise<{ reportId: string }> {
      const conn = await connection(input.connectionId);
      try {
        const port = await deps.spApiFor(input.connectionId);
        return await port.createReport({ reportType: input.reportType, marketplaceIds: conn.marketplaceIds, ...(input.dataStartTime ? { dataStartTime: input.dataStartTime } : {}) });
      } catch (err) {
        rethrowSpApi(err);
      }
    },

    /** One look at a report's processing status. */
    async getStockReportStatus(input: { connectionId: string; reportId: string }): Promise<{ processingStatus: ProcessingStatus; reportDocumentId?: string }> {
      try {
        const port = await deps.spApiFor(input.connectionId);
        const r = await port.getReport(input.reportId);
        return { processingStatus: r.processingStatus, ...(r.reportDocumentId ? { reportDocumentId: r.reportDocumentId } : {}) };
      } catch (err) {
        rethrowSpApi(err);
      }
    },

    /** Downloads a returns report, records each return once, and starts a workflow for every return not yet decided. */
    async recordReturnsReport(input: { connectionId: string; reportType: ReportType; reportDocumentId: string; inspectionTimeoutHours?: number }): Promise<ReturnsPickupResult> {
      const { connectionId, reportType } = input;
      let text: string;
      try {
        text = await (await deps.spApiFor(connectionId)).getReportDocumentContent(input.reportDocumentId);
      } catch (err) {
        rethrowSpApi(err);
      }
      const { returns: parsed, skipped } = parseReturnsReport(reportType, text);
      const result: ReturnsPickupResult = { reportType, rows: parsed.length, newReturns: 0, workflowsStarted: 0, skippedRows: skipped, unknownSkus: [] };
      if (parsed.length === 0) return result;
      const catalogue = (await deps.db.select({ sku: schema.catalogueItems.sku }).from(schema.catalogueItems).where(eq(schema.catalogueItems.connectionId, connectionId))).map((c) => c.sku);
      for (const r of parsed) {
        const match = matchSku(r.sku, catalogue);
        const attention = match.kind === 'exact' ? null : describeSkuMismatch(r.sku, match).replace('on the Amazon order', 'on this return');
        if (attention) result.unknownSkus.push({ sku: r.sku, message: attention });
        const inserted = await deps.db
          .insert(schema.returns)
          .values({
            id: r.returnId,
            connectionId,
            amazonOrderId: r.amazonOrderId,
            sku: r.sku,
            quantity: r.quantity,
            channel: r.route,
            returnedAt: new Date(r.returnedAt),
            disposition: r.disposition || null,
            needsAttention: attention,
          })
          .onConflictDoNothing({ target: schema.returns.id })
          .returning({ id: schema.returns.id });
        result.newReturns += inserted.length;
      }
      const open = await deps.db
        .select({ id: schema.returns.id, status: schema.returns.status })
        .from(schema.returns)
        .where(and(eq(schema.returns.connectionId, connectionId), inArray(schema.returns.id, parsed.map((r) => r.returnId))));
      const openIds = new Set(open.filter((o) => !FINAL.includes(o.status)).map((o) => o.id));
      for (const r of parsed) {
        if (!openIds.has(r.returnId)) continue;
        openIds.delete(r.returnId);
        const args: [ReturnWorkflowInput] = [
          {
            connectionId,
            returnId: r.returnId,
            route: r.route,
            amazonOrderId: r.amazonOrderId,
            sku: r.sku,
            quantity: r.quantity,
            returnedAt: r.returnedAt,
            ...(r.route === 'FBA' ? { fbaSellable: fbaCondition(r.disposition) === 'SELLABLE' } : {}),
            ...(input.inspectionTimeoutHours !== undefined ? { inspectionTimeoutHours: input.inspectionTimeoutHours } : {}),
          },
        ];
        try {
          await deps.workflowClient.workflow.start('customerReturn', {
            workflowId: returnWorkflowId(connectionId, r.returnId),
            taskQueue: deps.taskQueue,
            args,
            // A return is decided once: a finished return workflow is never started again.
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            typedSearchAttributes: [
              { key: ConnectionKey, value: connectionId },
              { key: SkusKey, value: [r.sku] },
            ],
          });
          result.workflowsStarted++;
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }
      deps.log.info('returns report recorded', { connectionId, reportType, rows: result.rows, newReturns: result.newReturns });
      return result;
    },

    /** Applies an inspection decision (or Amazon's FBA grade) through the ledger, once; repeats change nothing. */
    async applyReturnDecision(input: { connectionId: string; returnId: string; decision: InspectionDecision }): Promise<ApplyDecisionResult> {
      const [row] = await deps.db.select().from(schema.returns).where(and(eq(schema.returns.id, input.returnId), eq(schema.returns.connectionId, input.connectionId)));
      if (!row) return { ok: false, message: `Return ${input.returnId} is not recorded for ${input.connectionId}` };
      if (FINAL.includes(row.status)) return { ok: true, status: row.status as ReturnStatus, restocked: row.status === 'RESTOCKED', alreadyDecided: true, sku: row.sku };
      const route = row.channel as 'FBM' | 'FBA';
      const item: ReturnedItem = {
        returnId: row.id,
        route,
        amazonOrderId: row.amazonOrderId,
        sku: row.sku,
        quantity: row.quantity,
        receivedAt: null,
        condition: route === 'FBA' ? fbaCondition(row.disposition ?? '') : input.decision === 'RESTOCK' ? 'SELLABLE' : 'DAMAGED',
      };
      const movements = returnMovements(item, input.decision);
      if (movements.length > 0) {
        const moved = await ledger.recordMovements({ connectionId: input.connectionId, movements });
        if (!moved.ok) return { ok: false, message: `Return ${row.id} could not be recorded: ${moved.message}` };
      }
      const status: ReturnStatus = route === 'FBA' ? 'RECORDED' : input.decision === 'RESTOCK' ? 'RESTOCKED' : 'DISPOSED';
      await deps.db
        .update(schema.returns)
        .set({ status, decision: input.decision, decidedAt: deps.clock(), needsAttention: null })
        .where(and(eq(schema.returns.id, row.id), eq(schema.returns.status, 'AWAITING_INSPECTION')));
      return { ok: true, status, restocked: route === 'FBM' && input.decision === 'RESTOCK', alreadyDecided: false, sku: row.sku };
    },

    /** Marks a return as needing an operator (e.g. not inspected in time); null clears it. */
    async markReturnAttention(input: { connectionId: string; returnId: string; message: string | null }): Promise<void> {
      await deps.db
        .update(schema.returns)
        .set({ needsAttention: input.message })
        .where(and(eq(schema.returns.id, input.returnId), eq(schema.returns.connectionId, input.connectionId)));
    },
  };
}
