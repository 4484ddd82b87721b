/**
 * One way to put a connection's Schedule in place: create it, or — when it already exists — bring
 * its spec, action and policies to these settings while keeping an operator's pause and note.
 * Every `ensure…Schedule` (orders, stock, feeds, PII purge) goes through here, so they all behave
 * alike on a rerun: safe to call on every worker start.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleSpec } from '@temporalio/client';
import { ConnectionKey } from '../workflows/contracts/search-attributes';

export interface ConnectionScheduleSettings {
  scheduleId: string;
  connectionId: string;
  spec: ScheduleSpec;
  workflowType: string;
  workflowId: string;
  taskQueue: string;
  /** How far back missed runs are caught up after an outage, e.g. '10 minutes'. */
  catchupWindow: string;
  /** Pause the schedule when a run fails, so a misconfiguration is not retried forever. */
  pauseOnFailure: boolean;
  /** What the schedule does, shown in the Web UI's Schedules page. */
  note: string;
}

export async function ensureConnectionSchedule(client: Client, s: ConnectionScheduleSettings): Promise<{ scheduleId: string; created: boolean }> {
  const action = {
    type: 'startWorkflow' as const,
    workflowType: s.workflowType,
    workflowId: s.workflowId,
    taskQueue: s.taskQueue,
    args: [{ connectionId: s.connectionId }],
    typedSearchAttributes: [{ key: ConnectionKey, value: s.connectionId }],
  };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, pauseOnFailure: s.pauseOnFailure, catchupWindow: s.catchupWindow };
  try {
    await client.schedule.create({ scheduleId: s.scheduleId, spec: s.spec, action, policies, state: { note: s.note } });
    return { scheduleId: s.scheduleId, created: true };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(s.scheduleId).update((previous) => ({ ...previous, spec: s.spec, action, policies: { ...previous.policies, ...policies } }));
    return { scheduleId: s.scheduleId, created: false };
  }
}
