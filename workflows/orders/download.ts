/**
 * One order-download run for one connection, started by its Temporal Schedule
 * (`order-download:<connection>`, every ORDER_POLL_INTERVAL). Plan the window from the durable
 * cursor → one activity per searchOrders page (the port's limiter waits for tokens; Throttled is
 * retried by the activity policy) → advance the cursor with an overlap. Each order is handed to
 * its own workflow inside the page activity. A long backlog continues-as-new between pages.
 */
import { ApplicationFailure, continueAsNew, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { OrderActivities } from '../../activities/orders';
import { dbWrite, spApiCall } from '../../spapi/activity-options';
import { DOWNLOAD_OVERLAP_MINUTES, downloadStatusQuery, type DownloadPlan, type DownloadStatus, type OrderDownloadInput } from '../contracts/orders';
import { ConnectionKey, NeedsAttentionKey } from '../contracts/search-attributes';
import { installReauthorisationHandler, spApiFailure, withAccess, type AccessHooks } from '../lib/access';

const db = proxyActivities<OrderActivities>(dbWrite);
const amazon = proxyActivities<OrderActivities>({ ...spApiCall, heartbeatTimeout: '1 minute' });

const PAGES_BEFORE_CONTINUE_AS_NEW = 200;

/** Downloads every order changed since the connection's cursor and hands each to its order workflow. */
export async function orderDownload(input: OrderDownloadInput): Promise<DownloadStatus> {
  if (typeof input?.connectionId !== 'string' || input.connectionId === '') throw ApplicationFailure.nonRetryable('orderDownload needs { connectionId }', 'InvalidInput');
  installReauthorisationHandler();
  const status: DownloadStatus = {
    connectionId: input.connectionId,
    phase: 'PLANNING',
    window: null,
    pages: input.resume?.totals.pages ?? 0,
    ordersSeen: input.resume?.totals.ordersSeen ?? 0,
    handedOff: input.resume?.totals.handedOff ?? 0,
    skipped: input.resume?.totals.skipped ?? 0,
    needsAttention: null,
    nextCursor: null,
  };
  setHandler(downloadStatusQuery, () => status);
  const attention = (reason: string | null) => {
    status.needsAttention = reason;
    // Scheduled runs are indexed by the schedule (ConduitConnection); an unindexed manual run just keeps the query.
    if (workflowInfo().typedSearchAttributes.get(ConnectionKey) === undefined) return;
    upsertSearchAttributes([
      { key: ConnectionKey, value: input.connectionId },
      { key: NeedsAttentionKey, value: reason !== null },
    ]);
  };
  const hooks: AccessHooks = {
    onBlocked: (scope) => attention(`Amazon denied order download (${scope}): waiting for re-authorisation`),
    onResumed: () => attention(null),
  };

  let plan: DownloadPlan;
  let paginationToken: string | undefined;
  let maxLastUpdated: string | null = null;
  if (input.resume) {
    ({ plan, paginationToken, maxLastUpdated } = input.resume);
  } else {
    let planned;
    try {
      planned = await db.planOrderDownload({ connectionId: input.connectionId });
    } catch (err) {
      const failure = spApiFailure(err);
      if (failure?.type !== 'InvalidInput') throw err;
      // A misconfiguration is reported, not retried: the run fails and the schedule pauses itself.
      status.phase = 'NEEDS_ATTENTION';
      attention(failure.message);
      throw ApplicationFailure.nonRetryable(failure.message, 'InvalidInput');
    }
    if ('nothingToDo' in planned) {
      status.phase = 'NOTHING_TO_DO';
      return status;
    }
    plan = planned;
  }
  status.window = plan.window;
  status.phase = 'DOWNLOADING';

  let pagesThisRun = 0;
  do {
    const token = paginationToken;
    const page = await withAccess(input.connectionId, () => amazon.downloadOrderPage({ plan, ...(token ? { paginationToken: token } : {}) }), hooks);
    status.pages++;
    pagesThisRun++;
    status.ordersSeen += page.ordersSeen;
    status.handedOff += page.handedOff;
    status.skipped += page.skipped;
    if (page.maxLastUpdated !== null && (maxLastUpdated === null || Date.parse(page.maxLastUpdated) > Date.parse(maxLastUpdated))) maxLastUpdated = page.maxLastUpdated;
    paginationToken = page.nextToken;
    if (paginationToken && (pagesThisRun >= PAGES_BEFORE_CONTINUE_AS_NEW || workflowInfo().continueAsNewSuggested)) {
      await continueAsNew<typeof orderDownload>({
        ...input,
        resume: { plan, paginationToken, maxLastUpdated, totals: { pages: status.pages, ordersSeen: status.ordersSeen, handedOff: status.handedOff, skipped: status.skipped } },
      });
    }
  } while (paginationToken);

  status.nextCursor = await db.advanceOrderCursor({
    connectionId: input.connectionId,
    previousCursor: plan.previousCursor,
    maxLastUpdated,
    now: plan.now,
    overlapMinutes: input.overlapMinutes ?? DOWNLOAD_OVERLAP_MINUTES,
  });
  status.phase = 'DONE';
  return status;
}
