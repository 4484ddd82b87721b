/**
 * Buyer-PII retention: the sealed recipient (`orders.recipient_enc`) is kept only while the
 * warehouse may need the address — until 30 days after the order shipped — then set to null
 * and `pii_purged_at` stamped. Orders that finished without a Conduit shipment (cancelled,
 * shipped outside Conduit, FBA) count from Amazon's last update of the order.
 */
import type { Client } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import { scheduleId } from '../workflows/contracts/schedules';
import { PII_PURGE_BATCH, PII_PURGE_INTERVAL_MS, PII_PURGE_WORKFLOW_TYPE, PII_RETENTION_DAYS, piiPurgeWorkflowId } from '../workflows/contracts/pii';
import type { ActivityDeps } from './deps';
import { ensureConnectionSchedule } from './schedules';

const DAY_MS = 86_400_000;

/** Creates (or brings to these settings) the connection's daily PII purge schedule; safe to call on every start. */
export async function ensurePiiPurgeSchedule(
  client: Client,
  settings: { connectionId: string; taskQueue: string; intervalMs?: number },
): Promise<{ scheduleId: string; created: boolean }> {
  return ensureConnectionSchedule(client, {
    scheduleId: scheduleId('pii-purge', settings.connectionId),
    connectionId: settings.connectionId,
    spec: { intervals: [{ every: settings.intervalMs ?? PII_PURGE_INTERVAL_MS }] },
    workflowType: PII_PURGE_WORKFLOW_TYPE,
    workflowId: piiPurgeWorkflowId(settings.connectionId),
    taskQueue: settings.taskQueue,
    catchupWindow: '1 day',
    pauseOnFailure: true,
    note: `Removes buyer addresses of ${settings.connectionId}'s orders ${PII_RETENTION_DAYS} days after they ship (Amazon's Data Protection Policy).`,
  });
}

export function createPiiActivities(deps: ActivityDeps) {
  return {
    /** The instant before which finished orders lose their PII (from the activity clock, Amazon-comparable). */
    async piiPurgeCutoff(input: { retentionDays?: number }): Promise<string> {
      const days = input.retentionDays ?? PII_RETENTION_DAYS;
      if (!Number.isFinite(days) || days < 0) throw new Error(`retentionDays must be a number of days ≥ 0, got ${JSON.stringify(input.retentionDays)}`);
      return new Date(deps.clock().getTime() - days * DAY_MS).toISOString();
    },

    /**
     * Purges one batch: recipients of orders shipped before `cutoff` (or, with no shipment date,
     * finished — shipped outside Conduit, FBA shipped, cancelled — with Amazon's last update before
     * it). Idempotent: a purged row is never selected again. Returns how many rows it changed.
     */
    async purgeBuyerPii(input: { connectionId: string; cutoff: string; batchSize?: number }): Promise<{ purged: number }> {
      const limit = Math.max(1, Math.min(input.batchSize ?? PII_PURGE_BATCH, 5000));
      const cutoff = new Date(input.cutoff);
      if (Number.isNaN(cutoff.getTime())) throw new Error(`cutoff must be an ISO instant, got ${JSON.stringify(input.cutoff)}`);
      const now = deps.clock();
      const rows = await deps.db.execute<{ n: number }>(sql`
        with due as (
          select marketplace_id, amazon_order_id from orders
          where connection_id = ${input.connectionId}
            and pii_purged_at is null
            and (
              (shipped_at is not null and shipped_at < ${cutoff.toISOString()}::timestamptz)
              or (shipped_at is null
                  and state in ('SHIPPED', 'FBA_SHIPPED', 'CANCELLED', 'CANCELLED_AFTER_DESPATCH')
                  and amazon_updated_at < ${cutoff.toISOString()}::timestamptz)
            )
          order by amazon_order_id
          limit ${limit}
          for update skip locked
        )
        update orders o set recipient_enc = null, pii_purged_at = ${now.toISOString()}::timestamptz
        from due where o.marketplace_id = due.marketplace_id and o.amazon_order_id = due.amazon_order_id
        returning 1 as n`);
      const purged = rows.length;
      if (purged > 0) deps.log.info('buyer PII purged', { connectionId: input.connectionId, purged, cutoff: input.cutoff });
      return { purged };
    },

    /** Activity form of ensurePiiPurgeSchedule, for onboarding workflows. */
    async ensurePiiPurgeSchedule(input: { connectionId: string; intervalMs?: number }): Promise<{ scheduleId: string; created: boolean }> {
      return ensurePiiPurgeSchedule(deps.workflowClient, { ...input, taskQueue: deps.taskQueue });
    },
  };
}

export type PiiActivities = ReturnType<typeof createPiiActivities>;
