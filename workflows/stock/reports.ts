/**
 * Waiting for an Amazon report inside a workflow: request it (withAccess), then poll its status on
 * durable timers with a growing interval, so a report that takes an hour costs a handful of
 * history events, not an activity blocked for an hour.
 */
import { ApplicationFailure, proxyActivities, sleep } from '@temporalio/workflow';
import type { createReturnActivities } from '../../activities/returns';
import type { ReportType } from '../../domain/scopes';
import { spApiCall } from '../../spapi/activity-options';
import { withAccess, type AccessHooks } from '../lib/access';

const amazon = proxyActivities<ReturnType<typeof createReturnActivities>>(spApiCall);

const POLL_SCHEDULE_MS = [2_000, 4_000, 8_000, 15_000, 30_000, 60_000];
const MAX_POLLS = 90;

/** The finished report's document id, or null when Amazon had no data for it (CANCELLED). */
export async function awaitReport(
  connectionId: string,
  reportType: ReportType,
  dataStartTime: string | undefined,
  hooks: AccessHooks = {},
): Promise<string | null> {
  const { reportId } = await withAccess(connectionId, () => amazon.requestStockReport({ connectionId, reportType, ...(dataStartTime ? { dataStartTime } : {}) }), hooks);
  for (let poll = 0; poll < MAX_POLLS; poll++) {
    await sleep(POLL_SCHEDULE_MS[Math.min(poll, POLL_SCHEDULE_MS.length - 1)]!);
    const status = await withAccess(connectionId, () => amazon.getStockReportStatus({ connectionId, reportId }), hooks);
    if (status.processingStatus === 'DONE' && status.reportDocumentId) return status.reportDocumentId;
    if (status.processingStatus === 'CANCELLED') return null;
    if (status.processingStatus === 'FATAL') {
      throw ApplicationFailure.create({ type: 'ReportFailed', message: `Amazon could not produce ${reportType} (report ${reportId} is FATAL); the next scheduled run asks again`, nonRetryable: true });
    }
  }
  throw ApplicationFailure.create({ type: 'ReportTimedOut', message: `${reportType} (report ${reportId}) was not ready after ${MAX_POLLS} checks`, nonRetryable: true });
}
