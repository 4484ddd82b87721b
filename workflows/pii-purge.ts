/**
 * `piiPurge` (scheduled daily as `pii-purge:<connection>`): fixes the cut-off once from the
 * activity clock, then purges buyer PII in batches until a batch comes back short. Calls no
 * SP-API operation, so no scope can block it.
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { PiiActivities } from '../activities/pii';
import { dbWrite } from '../spapi/activity-options';
import { PII_PURGE_BATCH, type PiiPurgeInput, type PiiPurgeResult } from './contracts/pii';

const db = proxyActivities<PiiActivities>(dbWrite);

/** Every batch is idempotent, so a retried or re-run purge only finishes the job. */
const MAX_BATCHES_PER_RUN = 1000;

export async function piiPurge(input: PiiPurgeInput): Promise<PiiPurgeResult> {
  if (typeof input?.connectionId !== 'string' || input.connectionId === '') throw ApplicationFailure.nonRetryable('piiPurge needs { connectionId }', 'InvalidInput');
  if (input.retentionDays !== undefined && !(input.retentionDays >= 0)) throw ApplicationFailure.nonRetryable('retentionDays must be ≥ 0', 'InvalidInput');
  const cutoff = await db.piiPurgeCutoff({ ...(input.retentionDays !== undefined ? { retentionDays: input.retentionDays } : {}) });
  let purged = 0;
  let batches = 0;
  for (;;) {
    const batch = await db.purgeBuyerPii({ connectionId: input.connectionId, cutoff, batchSize: PII_PURGE_BATCH });
    purged += batch.purged;
    batches++;
    if (batch.purged < PII_PURGE_BATCH || batches >= MAX_BATCHES_PER_RUN) break;
  }
  return { connectionId: input.connectionId, cutoff, purged, batches };
}
