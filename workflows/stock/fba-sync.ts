/**
 * `fbaInventorySync` (scheduled every FBA_SYNC_INTERVAL): reads Amazon's FBA inventory and records
 * each SKU's figures with Amazon's as-of time. The result names SKUs whose figure is older than the
 * lag warning and FBA SKUs Amazon reports that the catalogue does not know.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createStockActivities, FbaSyncResult } from '../../activities/stock';
import { longPoll } from '../../spapi/activity-options';
import { installReauthorisationHandler, withAccess } from '../lib/access';
import { accessAttentionHooks } from './attention';

const amazon = proxyActivities<ReturnType<typeof createStockActivities>>(longPoll);

/** One FBA inventory read for a connection. */
export async function fbaInventorySync(input: { connectionId: string }): Promise<FbaSyncResult> {
  if (!input.connectionId) throw new Error('fbaInventorySync needs a connectionId');
  installReauthorisationHandler();
  return withAccess(input.connectionId, () => amazon.syncFbaInventory({ connectionId: input.connectionId }), accessAttentionHooks('FBA inventory sync'));
}
