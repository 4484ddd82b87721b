/**
 * The FBM push side of the feed hand-shake, for the per-SKU push workflow: before a push goes to
 * Amazon it takes the SKU's lock. If an in-flight bulk feed holds the SKU, the push tells the
 * feed workflow (`stockWaitingForFeed`) and waits for `feedCleared` — the feed is cancelled while
 * IN_QUEUE, or the push goes the moment the feed finishes — instead of sending the patch into
 * Amazon's feed queue, where it would stall for 30–90 minutes (docs/feeds.md).
 *
 * Call `installFeedClearanceHandler()` before the first await of a workflow that uses this.
 */
import { condition, getExternalWorkflowHandle, log, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { FeedActivities } from '../../activities/feeds';
import { dbWrite } from '../../spapi/activity-options';
import { feedClearedSignal, stockWaitingSignal } from '../contracts/feeds';
import { workflowNowIso } from '../lib/time';

const locks = proxyActivities<FeedActivities>(dbWrite);

/** Look at the lock again after this long even without `feedCleared` (a lost signal never strands a push). */
const RECHECK_AFTER = '1 minute';

let cleared = 0;

/** Registers the `feedCleared` signal handler; idempotent. */
export function installFeedClearanceHandler(): void {
  setHandler(feedClearedSignal, () => {
    cleared++;
  });
}

export interface FeedClearanceHooks {
  /** Called each time the push finds its SKU inside an in-flight feed. */
  onHeld?(feedRecordId: string): void;
}

/** Runs `push` holding the SKU's lock; waits (durably) while an in-flight feed holds the SKU. */
export async function withFeedClearance<T>(connectionId: string, sku: string, push: () => Promise<T>, hooks: FeedClearanceHooks = {}): Promise<T> {
  // Push workflows already running when the gate was deployed replay their old history without it.
  if (!patched('feed-clearance')) return push();
  for (;;) {
    const seen = cleared;
    const gate = await locks.beginFbmPush({ connectionId, sku });
    if (gate.clear) break;
    hooks.onHeld?.(gate.feedRecordId);
    try {
      await getExternalWorkflowHandle(gate.feedWorkflowId).signal(stockWaitingSignal, {
        sku,
        pushWorkflowId: workflowInfo().workflowId,
        feedRecordId: gate.feedRecordId,
        at: workflowNowIso(),
      });
    } catch (err) {
      // The feed workflow is gone (terminated): its locks must not hold stock back.
      log.warn('feed workflow not reachable; freeing its SKU locks', { feedRecordId: gate.feedRecordId, error: String(err) });
      await locks.releaseOrphanedFeedLocks({ connectionId, feedRecordId: gate.feedRecordId });
      continue;
    }
    await condition(() => cleared > seen, RECHECK_AFTER);
  }
  try {
    return await push();
  } finally {
    await locks.endFbmPush({ connectionId, sku });
  }
}
