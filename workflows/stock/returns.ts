/**
 * Returns: `returnsPickup` reads Amazon's FBM and FBA returns reports (scheduled) and starts one
 * `customerReturn` per return; `customerReturn` waits for the warehouse's inspection (FBM) and
 * reinstates sellable units through the ledger, then asks for a push. FBA returns touch the FBA
 * pool only. A return not inspected in time becomes needs-attention and keeps waiting.
 */
import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createReturnActivities, ReturnsPickupResult } from '../../activities/returns';
import type { createStockActivities } from '../../activities/stock';
import { inspectionEscalation, INSPECTION_TIMEOUT_HOURS } from '../../domain/returns';
import { dbWrite, spApiCall } from '../../spapi/activity-options';
import { inspectionSignal, returnStateQuery, type InspectionResult, type ReturnState, type ReturnWorkflowInput } from '../contracts/stock';
import { installReauthorisationHandler, withAccess } from '../lib/access';
import { workflowNowIso } from '../lib/time';
import { accessAttentionHooks, flagAttention } from './attention';
import { awaitReport } from './reports';

type Activities = ReturnType<typeof createReturnActivities> & ReturnType<typeof createStockActivities>;
const db = proxyActivities<Activities>(dbWrite);
const amazon = proxyActivities<Activities>({ ...spApiCall, startToCloseTimeout: '10 minutes' });

const HOUR_MS = 3_600_000;

/** One customer return, from pickup to restock (or disposal). */
export async function customerReturn(input: ReturnWorkflowInput): Promise<ReturnState> {
  if (!input.connectionId || !input.returnId || !input.sku || !(input.quantity > 0)) throw new Error('customerReturn needs connectionId, returnId, sku and a quantity ≥ 1');
  const state: ReturnState = { returnId: input.returnId, status: 'AWAITING_INSPECTION', needsAttention: null, decision: null };
  let inspection: InspectionResult | null = null;
  // The first inspection wins; a repeated or contradicting signal changes nothing.
  setHandler(inspectionSignal, (result) => {
    if (inspection === null && (result.decision === 'RESTOCK' || result.decision === 'DISPOSE')) inspection = result;
  });
  setHandler(returnStateQuery, () => ({ ...state }));

  if (input.route === 'FBA') {
    // Amazon inspects FBA returns itself; we record its grade against the FBA pool only.
    const decision = input.fbaSellable ? 'RESTOCK' : 'DISPOSE';
    const outcome = await db.applyReturnDecision({ connectionId: input.connectionId, returnId: input.returnId, decision });
    if (!outcome.ok) return attention(state, input, outcome.message);
    return { ...state, status: outcome.status, decision };
  }

  const pickedUpAt = workflowNowIso();
  const timeoutHours = input.inspectionTimeoutHours ?? INSPECTION_TIMEOUT_HOURS;
  if (!(await condition(() => inspection !== null, timeoutHours * HOUR_MS))) {
    const escalation = inspectionEscalation(
      { returnId: input.returnId, route: 'FBM', amazonOrderId: input.amazonOrderId, sku: input.sku, quantity: input.quantity, receivedAt: pickedUpAt, condition: null },
      workflowNowIso(),
      timeoutHours,
    );
    await attention(state, input, escalation.message || `Return ${input.returnId} has not been inspected within ${timeoutHours} h`);
    await condition(() => inspection !== null);
  }
  const decided = inspection as InspectionResult | null;
  if (!decided) throw new Error('unreachable: inspection awaited');
  state.decision = decided.decision;
  const outcome = await db.applyReturnDecision({ connectionId: input.connectionId, returnId: input.returnId, decision: decided.decision });
  if (!outcome.ok) return attention(state, input, outcome.message);
  state.status = outcome.status;
  if (outcome.restocked) await db.requestStockPush({ connectionId: input.connectionId, skus: [input.sku], cause: 'RETURN_RESTOCK' });
  if (state.needsAttention) {
    state.needsAttention = null;
    flagAttention(false);
  }
  return { ...state };
}

async function attention(state: ReturnState, input: ReturnWorkflowInput, message: string): Promise<ReturnState> {
  state.needsAttention = message;
  flagAttention(true);
  await db.markReturnAttention({ connectionId: input.connectionId, returnId: input.returnId, message });
  return { ...state };
}

export interface ReturnsPickupInput {
  connectionId: string;
  /** How far back each report looks (default 14 days); recording is idempotent, so overlap is harmless. */
  lookbackDays?: number;
  inspectionTimeoutHours?: number;
}

/** Reads both returns reports and hands every undecided return to its own workflow. */
export async function returnsPickup(input: ReturnsPickupInput): Promise<ReturnsPickupResult[]> {
  if (!input.connectionId) throw new Error('returnsPickup needs a connectionId');
  installReauthorisationHandler();
  const since = new Date(Date.parse(workflowNowIso()) - (input.lookbackDays ?? 14) * 24 * HOUR_MS).toISOString();
  const results: ReturnsPickupResult[] = [];
  const hooks = accessAttentionHooks('Returns pickup');
  for (const reportType of ['GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE', 'GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA'] as const) {
    const documentId = await awaitReport(input.connectionId, reportType, since, hooks);
    if (!documentId) {
      results.push({ reportType, rows: 0, newReturns: 0, workflowsStarted: 0, skippedRows: 0, unknownSkus: [] });
      continue;
    }
    results.push(
      await withAccess(
        input.connectionId,
        () =>
          amazon.recordReturnsReport({
            connectionId: input.connectionId,
            reportType,
            reportDocumentId: documentId,
            ...(input.inspectionTimeoutHours !== undefined ? { inspectionTimeoutHours: input.inspectionTimeoutHours } : {}),
          }),
        hooks,
      ),
    );
  }
  return results;
}
