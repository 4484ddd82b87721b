/**
 * `reconcileStock` (daily schedule, or `scripts/reconcile.ts`): compares Amazon's view with the
 * ledger and reports drift per SKU. FBM drift where Amazon shows MORE than the warehouse can ship
 * is re-checked and corrected at once; drift where Amazon shows LESS is corrected only if it is
 * still there after `confirmLowerDriftAfter` (it is usually an order not downloaded yet). FBA
 * drift and SKU mismatches are reported, never "fixed" by guessing.
 */
import { proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { createReconcileActivities, FbmDifference } from '../../activities/reconcile';
import { dbWrite, spApiCall } from '../../spapi/activity-options';
import { reconciliationReportQuery, type FbmDrift, type ReconcileInput, type ReconciliationReport } from '../contracts/stock';
import { installReauthorisationHandler, withAccess, type AccessHooks } from '../lib/access';
import { accessAttentionHooks } from './attention';
import { workflowNowIso } from '../lib/time';
import { awaitReport } from './reports';

type Activities = ReturnType<typeof createReconcileActivities>;
const db = proxyActivities<Activities>(dbWrite);
const amazon = proxyActivities<Activities>({ ...spApiCall, startToCloseTimeout: '10 minutes' });

/** One reconciliation of a connection's stock with Amazon. */
export async function reconcileStock(input: ReconcileInput): Promise<ReconciliationReport> {
  if (!input.connectionId) throw new Error('reconcileStock needs a connectionId');
  installReauthorisationHandler();
  const { connectionId } = input;
  const correct = input.correct ?? true;
  let report: ReconciliationReport | null = null;
  setHandler(reconciliationReportQuery, () => report);
  const startedAt = workflowNowIso();
  const hooks = accessAttentionHooks('Stock reconciliation');

  const documentId = await awaitReport(connectionId, 'GET_MERCHANT_LISTINGS_ALL_DATA', undefined, hooks);
  const listings = documentId
    ? await withAccess(connectionId, () => amazon.compareListingsWithLedger({ connectionId, reportDocumentId: documentId }), hooks)
    : { skusCompared: 0, drift: [], nearMisses: [], onlyOnAmazon: [], onlyInConduit: [] };
  const fbaDrift = await withAccess(connectionId, () => amazon.compareFbaWithLedger({ connectionId }), hooks);

  const higher = listings.drift.filter((d) => d.amazonQuantity > d.ledgerQuantity);
  const lower = listings.drift.filter((d) => d.amazonQuantity < d.ledgerQuantity);
  const fbmDrift: FbmDrift[] = [
    ...(await settle(connectionId, higher, 'HIGHER', correct, hooks)),
    ...(lower.length > 0 && correct ? (await sleep(input.confirmLowerDriftAfter ?? '15 minutes'), []) : []),
    ...(await settle(connectionId, lower, 'LOWER', correct, hooks)),
  ];

  report = {
    runId: `${workflowInfo().workflowId}:${workflowInfo().runId}`,
    connectionId,
    startedAt,
    finishedAt: workflowNowIso(),
    skusCompared: listings.skusCompared,
    fbmDrift,
    fbaDrift,
    nearMisses: listings.nearMisses,
    onlyOnAmazon: listings.onlyOnAmazon,
    onlyInConduit: listings.onlyInConduit,
  };
  await db.saveReconciliationRun(report);
  return report;
}

/** Re-checks drifted SKUs and, if asked to, corrects those still drifted with no push already on its way. */
async function settle(connectionId: string, drift: FbmDifference[], direction: FbmDrift['direction'], correct: boolean, hooks: AccessHooks): Promise<FbmDrift[]> {
  if (drift.length === 0) return [];
  if (!correct) return drift.map((d) => ({ ...d, direction, outcome: 'REPORTED' as const }));
  const confirmed = await withAccess(connectionId, () => amazon.confirmFbmDrift({ connectionId, skus: drift.map((d) => d.sku) }), hooks);
  const toCorrect = confirmed.filter((c) => !c.pushPending && (direction === 'HIGHER' ? c.amazonQuantity > c.ledgerQuantity : c.amazonQuantity < c.ledgerQuantity));
  if (toCorrect.length > 0) await db.correctFbmDrift({ connectionId, drift: toCorrect.map((c) => ({ sku: c.sku, amazonQuantity: c.amazonQuantity })) });
  return drift.map((d) => {
    const now = confirmed.find((c) => c.sku === d.sku);
    const outcome: FbmDrift['outcome'] = !now ? 'GONE' : toCorrect.includes(now) ? 'CORRECTED' : now.pushPending ? 'PUSH_PENDING' : 'GONE';
    return { sku: d.sku, ledgerQuantity: now?.ledgerQuantity ?? d.ledgerQuantity, amazonQuantity: now?.amazonQuantity ?? d.amazonQuantity, direction, outcome };
  });
}
