/**
 * Contract for the buyer-PII purge: one scheduled run per connection (`pii-purge:<connection>`,
 * daily) removes the sealed recipient of every order that shipped — or finished otherwise — more
 * than PII_RETENTION_DAYS ago. Nothing else in Conduit holds buyer PII (order workflows carry
 * IDs, SKUs and quantities only), so this is the one place it ends.
 */
import { scheduleId } from './schedules';

/** Amazon's Data Protection Policy: keep a buyer's PII no longer than 30 days after the order ships. */
export const PII_RETENTION_DAYS = 30;
/** Orders purged per activity call, so one long backlog never needs one long transaction. */
export const PII_PURGE_BATCH = 500;
/** How often the purge runs by default. */
export const PII_PURGE_INTERVAL_MS = 24 * 3_600_000;

export const PII_PURGE_WORKFLOW_TYPE = 'piiPurge';
/** Prefix of each scheduled run's ID (Temporal appends the scheduled time). */
export const piiPurgeWorkflowId = (connectionId: string): string => `${scheduleId('pii-purge', connectionId)}:run`;

export interface PiiPurgeInput {
  connectionId: string;
  /** Override for tests and operators; never below 0. Defaults to PII_RETENTION_DAYS. */
  retentionDays?: number;
}

/** What one purge run did: counts only, never the data it removed. */
export interface PiiPurgeResult {
  connectionId: string;
  /** The cut-off: orders finished before this instant lost their recipient. */
  cutoff: string;
  purged: number;
  batches: number;
}
