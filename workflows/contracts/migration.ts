/**
 * Contract for the MWS → SP-API migration workflow (one per connection found on MWS): its ID,
 * steps, signal and query. scripts/migrate-mws.ts starts it (USE_EXISTING, so a rerun changes
 * nothing); scripts/complete-reauth.ts sends `spApiConsentCompleted` when the connection is
 * MIGRATING. The current step is also the workflow's `OrderState` search attribute, so
 * `OrderState = "AWAITING_SP_API_CONSENT"` finds every seller the operator is waiting on.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Scope } from '../../domain/scopes';

export const migrationWorkflowType = 'mwsMigration';

/** `mws-migration:<connection>`: the one migration of a connection. */
export const migrationWorkflowId = (connectionId: string): string => `mws-migration:${connectionId}`;

/** The migration's steps, in order (NOT_NEEDED: the connection was already on SP-API). */
export const MIGRATION_STEPS = [
  'CONFIRMING_MWS',
  'STOPPING_LEGACY_POLLING',
  'AWAITING_SP_API_CONSENT',
  'VERIFYING_SCOPES',
  'BACKFILLING_ORDERS',
  'SWITCHING_TO_SP_API',
  'COMPLETED',
  'NOT_NEEDED',
] as const;
export type MigrationStep = (typeof MIGRATION_STEPS)[number];

/** What each step means, for the query, the Web UI and the script's output. */
export const MIGRATION_STEP_LABELS: Readonly<Record<MigrationStep, string>> = {
  CONFIRMING_MWS: 'Confirm the connection is on legacy MWS',
  STOPPING_LEGACY_POLLING: 'Stop legacy order polling',
  AWAITING_SP_API_CONSENT: 'Wait for the seller to authorise Conduit via SP-API in Seller Central',
  VERIFYING_SCOPES: 'Verify all four scopes with probe calls',
  BACKFILLING_ORDERS: 'Backfill orders from the last order MWS delivered',
  SWITCHING_TO_SP_API: 'Switch the connection to SP-API and start its schedules',
  COMPLETED: 'Migrated to SP-API',
  NOT_NEEDED: 'Nothing to do: the connection already uses SP-API',
};

export interface MigrationInput {
  connectionId: string;
  /** Operator name or 'script'; no secrets. */
  requestedBy: string;
  /** Raise NeedsAttention when no consent has arrived after this long, then log a reminder at the same interval (ms). Default 24 h. */
  consentReminderAfterMs?: number;
  /** The backfill starts this long before the last order MWS delivered, so an order at the boundary is not missed (minutes). Default 120. */
  backfillSafetyMarginMinutes?: number;
  /** Poll interval of the order-download schedule created at the switch if none exists yet (ms; the script passes ORDER_POLL_INTERVAL). Default 5 min. */
  orderPollIntervalMs?: number;
}

/** Prefix of the pause note on the order-download schedule while the migration runs; the switch unpauses only schedules carrying it. */
export const MIGRATION_PAUSE_NOTE_PREFIX = '[conduit:mws-migration]';

export interface SpApiConsentCompleted {
  /** Scopes complete-reauth verified with probes (the migration verifies again itself). */
  verifiedScopes: Scope[];
  by: string;
}

/** Sent by scripts/complete-reauth.ts (through its workflow) when a MIGRATING connection has consented via SP-API. */
export const spApiConsentCompletedSignal = defineSignal<[SpApiConsentCompleted]>('spApiConsentCompleted');

export interface MigrationStepRecord {
  step: MigrationStep;
  startedAt: string;
  finishedAt?: string;
  /** What happened in this step, one line for the operator. */
  detail?: string;
}

export interface MigrationStatus {
  connectionId: string;
  step: MigrationStep;
  stepLabel: string;
  steps: MigrationStepRecord[];
  needsAttention: boolean;
  /** Why it needs attention (e.g. no consent for 24 h, a scope still denied). */
  attention: string | null;
  consentRemindersSent: number;
  verifiedScopes: Scope[];
  deniedScopes: Scope[];
  backfill: { from: string; to: string; ordersRecovered: number } | null;
}

export const migrationStatusQuery = defineQuery<MigrationStatus>('migrationStatus');

export interface MigrationResult {
  connectionId: string;
  outcome: 'MIGRATED' | 'NOT_NEEDED';
  /** Orders the backfill stored (downloaded_via BACKFILL). */
  ordersRecovered: number;
  backfill: { from: string; to: string } | null;
}
