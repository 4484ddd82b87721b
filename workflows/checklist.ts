/**
 * The guide's 8-point pre-launch checklist against the live connection: probe every scope,
 * read Amazon's listings and the test order, read Conduit's settings, then evaluate with the pure
 * rules in domain/checklist.ts. Denied scopes are findings, so nothing here waits for
 * re-authorisation (no withAccess): the checklist always finishes and says what to fix.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { AuthActivities } from '../activities/auth';
import type { ChecklistActivities } from '../activities/checklist';
import { readyToLaunch, runChecklist, type ChecklistFacts } from '../domain/checklist';
import { SCOPES } from '../domain/scopes';
import { dbWrite, longPoll, spApiCall } from '../spapi/activity-options';
import type { ChecklistInput, ChecklistReport } from './contracts/checklist';

const store = proxyActivities<ChecklistActivities>(dbWrite);
const amazon = proxyActivities<ChecklistActivities & AuthActivities>({ ...spApiCall, retry: { ...spApiCall.retry, maximumAttempts: 5 } });
const reports = proxyActivities<ChecklistActivities>({ ...longPoll, retry: { ...longPoll.retry, maximumAttempts: 3 } });

/** Runs the checklist once; scripts/checklist.ts prints the result. */
export async function preLaunchChecklist(input: ChecklistInput): Promise<ChecklistReport> {
  const { connectionId } = input;
  if (input.acknowledgeFbaLag) await store.acknowledgeFbaLag({ connectionId, by: input.acknowledgeFbaLag.by });
  const settings = await store.readChecklistSettings({ connectionId });
  const notes: string[] = [];

  const [probes, listings, testOrderStatus] = await Promise.all([
    Promise.all(SCOPES.map((scope) => amazon.probeScope({ connectionId, scope }))),
    reports.readAmazonListingSkus({ connectionId }),
    settings.testOrder ? amazon.readAmazonOrderStatus({ connectionId, amazonOrderId: settings.testOrder.amazonOrderId }) : Promise.resolve(null),
  ]);
  if (listings.skus === null) notes.push(`Amazon listings not read: ${listings.reason}`);
  if (testOrderStatus?.reason) notes.push(`Test order status not read: ${testOrderStatus.reason}`);

  const facts: ChecklistFacts = {
    connectionId,
    scopes: { granted: probes.filter((p) => p.granted).map((p) => p.scope), blocked: probes.filter((p) => !p.granted).map((p) => p.scope) },
    catalogue: { conduitSkus: settings.conduitSkus, amazonSkus: listings.skus ?? [] },
    hybridSkus: settings.hybridSkus,
    separateStockPools: settings.separateStockPools,
    downloadRules: settings.downloadRules,
    apiKind: settings.apiKind,
    endToEndTestOrder: settings.testOrder
      ? { amazonOrderId: settings.testOrder.amazonOrderId, despatchedInConduit: settings.testOrder.despatchedInConduit, amazonFulfillmentStatus: testOrderStatus?.status ?? null }
      : null,
    // Conduit's feed engine holds a SKU's FBM pushes while a feed carrying it is in flight (activities/feeds.ts).
    feedSchedule: { window: settings.feedWindow, stockSyncPausedDuringFeeds: true },
    stockSyncIntervalMinutes: input.stockSyncIntervalMinutes,
    peakHours: input.peakHours,
    fbaLagAcknowledged: settings.fbaLagAcknowledged || input.acknowledgeFbaLag !== undefined,
  };
  const items = runChecklist(facts);
  return { connectionId, sellerId: settings.sellerId, marketplaceIds: settings.marketplaceIds, facts, items, ready: readyToLaunch(items), fbmSkus: settings.fbmSkus, notes };
}
