/**
 * MWS → SP-API migration, one per connection (`mws-migration:<connection>`). The guide's advice
 * as steps, each visible in the Web UI (query `migrationStatus`, search attribute OrderState):
 *
 *   confirm MWS → stop legacy polling → wait for SP-API consent (reminders) → verify all four
 *   scopes → backfill orders from the last one MWS delivered → switch to SP-API, start schedules
 *
 * "Disconnect and re-authorise from scratch; do not patch the legacy connection": the seller
 * consents again, the connection keeps its ID. Every step is idempotent, so a restart of the
 * worker or server (or a rerun of the script) repeats nothing that matters.
 */
import { condition, getExternalWorkflowHandle, log, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { AuthActivities } from '../activities/auth';
import type { MigrationActivities, BackfillPlan } from '../activities/migration';
import type { OrderActivities } from '../activities/orders';
import { SCOPES, scopeDisplayName, type Scope } from '../domain/scopes';
import { dbWrite, spApiCall } from '../spapi/activity-options';
import { apiKindChangedSignal, connectionWorkflowId } from './contracts/connection';
import {
  MIGRATION_STEP_LABELS,
  migrationStatusQuery,
  spApiConsentCompletedSignal,
  type MigrationInput,
  type MigrationResult,
  type MigrationStatus,
  type MigrationStep,
  type SpApiConsentCompleted,
} from './contracts/migration';
import { ConnectionKey, NeedsAttentionKey, OrderStateKey } from './contracts/search-attributes';
import { installReauthorisationHandler, withAccess } from './lib/access';
import { workflowNowIso } from './lib/time';

const DEFAULT_REMINDER_MS = 24 * 3_600_000;
const DEFAULT_SAFETY_MARGIN_MINUTES = 120;
const DEFAULT_ORDER_POLL_MS = 5 * 60_000;

const store = proxyActivities<MigrationActivities>(dbWrite);
const temporalOps = proxyActivities<MigrationActivities & AuthActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
const amazon = proxyActivities<MigrationActivities & AuthActivities & OrderActivities>(spApiCall);

class Migration {
  readonly status: MigrationStatus;
  readonly consents: SpApiConsentCompleted[] = [];

  constructor(readonly input: MigrationInput) {
    this.status = {
      connectionId: input.connectionId,
      step: 'CONFIRMING_MWS',
      stepLabel: MIGRATION_STEP_LABELS.CONFIRMING_MWS,
      steps: [],
      needsAttention: false,
      attention: null,
      consentRemindersSent: 0,
      verifiedScopes: [],
      deniedScopes: [],
      backfill: null,
    };
  }

  /** Moves to `step`: closes the previous step's record and shows the new one in the Web UI. */
  enter(step: MigrationStep, detail?: string): void {
    const now = workflowNowIso();
    const current = this.status.steps.at(-1);
    if (current && current.finishedAt === undefined) current.finishedAt = now;
    this.status.step = step;
    this.status.stepLabel = MIGRATION_STEP_LABELS[step];
    this.status.steps.push({ step, startedAt: now, ...(detail ? { detail } : {}) });
    this.show();
  }

  note(detail: string): void {
    const current = this.status.steps.at(-1);
    if (current) current.detail = detail;
  }

  needsAttention(reason: string | null): void {
    this.status.needsAttention = reason !== null;
    this.status.attention = reason;
    this.show();
  }

  show(): void {
    upsertSearchAttributes([
      { key: ConnectionKey, value: this.input.connectionId },
      { key: OrderStateKey, value: this.status.step },
      { key: NeedsAttentionKey, value: this.status.needsAttention },
    ]);
  }

  finish(step: 'COMPLETED' | 'NOT_NEEDED', detail: string): void {
    this.enter(step, detail);
    const last = this.status.steps.at(-1);
    if (last) last.finishedAt = last.startedAt;
  }

  /** Waits for `spApiConsentCompleted`, raising NeedsAttention and logging a reminder every interval without one. */
  async awaitConsent(): Promise<SpApiConsentCompleted> {
    const every = this.input.consentReminderAfterMs ?? DEFAULT_REMINDER_MS;
    while (this.consents.length === 0) {
      if (await condition(() => this.consents.length > 0, every)) break;
      this.status.consentRemindersSent++;
      const reason =
        `No SP-API consent from the seller after ${Math.round((every * this.status.consentRemindersSent) / 3_600_000)} h: send them a new consent URL ` +
        `(npx tsx scripts/consent-url.ts --connection ${this.input.connectionId}) and complete it with scripts/complete-reauth.ts`;
      log.warn('MWS migration reminder: waiting for SP-API consent', { connectionId: this.input.connectionId, reminder: this.status.consentRemindersSent });
      this.needsAttention(reason);
    }
    const consent = this.consents.shift()!;
    this.needsAttention(null);
    this.note(`consent completed by ${consent.by}`);
    return consent;
  }

  /** All four scopes, probed by Conduit itself; returns the denied ones. */
  async verifyScopes(): Promise<Scope[]> {
    const verdicts = await Promise.all(SCOPES.map((scope) => amazon.probeScope({ connectionId: this.input.connectionId, scope })));
    this.status.verifiedScopes = verdicts.filter((v) => v.granted).map((v) => v.scope);
    this.status.deniedScopes = verdicts.filter((v) => !v.granted).map((v) => v.scope);
    return this.status.deniedScopes;
  }

  /** Hands every order of the window to its order workflow (via BACKFILL); known orders are no-ops, so nothing arrives twice. */
  async backfill(plan: BackfillPlan): Promise<void> {
    let token: string | undefined;
    let handedOver = 0;
    do {
      const page = await withAccess(this.input.connectionId, () => amazon.listBackfillOrders({ plan, ...(token ? { paginationToken: token } : {}) }));
      for (const order of page.orders) {
        const outcome = await withAccess(this.input.connectionId, () =>
          amazon.fetchAndHandOffOrder({ connectionId: this.input.connectionId, marketplaceId: order.marketplaceId, amazonOrderId: order.amazonOrderId, via: 'BACKFILL' }),
        );
        if (outcome === 'HANDED_OFF') handedOver++;
      }
      token = page.nextToken;
      this.note(`${handedOver} order(s) handed over so far`);
    } while (token);
    await store.advanceCursorAfterBackfill({ connectionId: this.input.connectionId, lastUpdatedBefore: plan.window.lastUpdatedBefore });
  }
}

/** The migration of one connection off MWS; start it with scripts/migrate-mws.ts. */
export async function mwsMigration(input: MigrationInput): Promise<MigrationResult> {
  const migration = new Migration(input);
  const { connectionId } = input;
  installReauthorisationHandler();
  setHandler(spApiConsentCompletedSignal, (consent) => {
    migration.consents.push({ verifiedScopes: Array.isArray(consent?.verifiedScopes) ? consent.verifiedScopes : [], by: String(consent?.by ?? 'unknown') });
  });
  setHandler(migrationStatusQuery, () => migration.status);

  migration.enter('CONFIRMING_MWS');
  const facts = await store.loadMigrationFacts(connectionId);
  if (facts.apiKind === 'SP_API' && facts.status !== 'MIGRATING') {
    migration.finish('NOT_NEEDED', 'connections.api_kind is SP_API');
    return { connectionId, outcome: 'NOT_NEEDED', ordersRecovered: await store.countBackfilledOrders(connectionId), backfill: null };
  }
  // Other workflows of this connection (and our own withAccess) report AccessDenied to it.
  await temporalOps.ensureConnectionWorkflow(connectionId);
  await store.markMigrating(connectionId);
  migration.note(`api_kind ${facts.apiKind}; last order MWS delivered ${facts.lastMwsOrderAt ?? 'unknown'}`);

  migration.enter('STOPPING_LEGACY_POLLING');
  const legacy = await temporalOps.pauseLegacyPolling(connectionId);
  migration.note(legacy.existed ? `schedule ${legacy.scheduleId} paused` : 'no legacy polling schedule');

  for (;;) {
    migration.enter('AWAITING_SP_API_CONSENT');
    await migration.awaitConsent();
    migration.enter('VERIFYING_SCOPES');
    const denied = await migration.verifyScopes();
    if (denied.length === 0) break;
    migration.note(`denied: ${denied.map(scopeDisplayName).join(', ')}`);
    migration.needsAttention(
      `The seller's consent does not cover ${denied.map(scopeDisplayName).join(', ')}: ask them to grant every role on the consent screen, then complete a new consent URL.`,
    );
  }

  migration.enter('BACKFILLING_ORDERS');
  const plan = await store.planBackfill({ connectionId, safetyMarginMinutes: input.backfillSafetyMarginMinutes ?? DEFAULT_SAFETY_MARGIN_MINUTES });
  if (plan) await migration.backfill(plan);
  const ordersRecovered = await store.countBackfilledOrders(connectionId);
  migration.status.backfill = plan ? { from: plan.window.lastUpdatedAfter, to: plan.window.lastUpdatedBefore, ordersRecovered } : null;
  migration.note(`${ordersRecovered} order(s) recovered`);

  migration.enter('SWITCHING_TO_SP_API');
  const switched = await temporalOps.switchToSpApi({ connectionId, orderPollIntervalMs: input.orderPollIntervalMs ?? DEFAULT_ORDER_POLL_MS });
  await getExternalWorkflowHandle(connectionWorkflowId(connectionId)).signal(apiKindChangedSignal, { apiKind: 'SP_API', by: `mws-migration (${input.requestedBy})` });
  migration.note(`${switched.schedule} ${switched.created ? 'created' : switched.resumed ? 'resumed' : 'unchanged'}`);

  migration.finish('COMPLETED', `${ordersRecovered} order(s) recovered from ${plan?.window.lastUpdatedAfter ?? 'n/a'}`);
  log.info('MWS migration completed', { connectionId, ordersRecovered });
  return { connectionId, outcome: 'MIGRATED', ordersRecovered, backfill: plan ? { from: plan.window.lastUpdatedAfter, to: plan.window.lastUpdatedBefore } : null };
}
