/**
 * The connection workflow and the MWS migration on the time-skipping server with stubbed
 * activities (a fake Amazon whose denied scopes the test controls): AccessDenied escalates by
 * signal and parks only that scope's work; a re-authorisation signal unblocks only what Amazon
 * answers again (a Web UI click cannot unblock a denied scope); continue-as-new keeps the state;
 * the migration escalates with reminders while it waits for consent.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { Client, WorkflowIdReusePolicy, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { AuthActivities, ConnectionAuthRow, ScopeProbe } from '../../activities/auth';
import type { BackfillPlan, MigrationActivities, MigrationFacts } from '../../activities/migration';
import type { OrderActivities } from '../../activities/orders';
import { probeOperationForScope, SCOPES, symptomForScope, type Scope } from '../../domain/scopes';
import { startTimeSkipping, type TimeSkipping } from '../support/time-skipping';
import {
  accessDeniedSignal,
  connectionStatusQuery,
  connectionWorkflowId,
  reauthorisationCompletedSignal,
  scopeCanaryWorkflowId,
  type ConnectionWorkflowInput,
  type ScopeCanaryResult,
} from '../../workflows/contracts/connection';
import { migrationStatusQuery, migrationWorkflowId, spApiConsentCompletedSignal, type MigrationInput, type MigrationResult } from '../../workflows/contracts/migration';
import { schedulesForScope, scheduleId } from '../../workflows/contracts/schedules';
import { waitForValue } from '../support/wait';

let server: TimeSkipping;
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
/** A plain client: unlike env.client, awaiting a result never unlocks time skipping (which would jump idle workflows to their 10-year run timeout). */
let client: Client;
const taskQueue = 'connection-test';
const HOUR = 3_600_000;

/** The fake Amazon and database the stubs act on. */
const fake = {
  denied: new Set<Scope>(),
  row: null as ConnectionAuthRow | null,
  mirrored: [] as Array<{ grantedScopes: Scope[]; blockedScopes: Scope[]; needsAttention: boolean }>,
  paused: [] as Array<{ scope: Scope; note: string }>,
  resumed: [] as Scope[],
  probes: 0,
  calls: [] as Scope[],
  migration: { apiKind: 'MWS' as 'MWS' | 'SP_API', status: 'ACTIVE', switched: 0, handedOff: [] as string[], pausedLegacy: 0 },
};

function freshRow(connectionId: string): ConnectionAuthRow {
  return {
    connectionId,
    apiKind: 'SP_API',
    status: 'ACTIVE',
    grantedScopes: [...SCOPES],
    blockedScopes: [],
    hasRefreshToken: true,
    sellerId: 'A2SELLERUK',
    region: 'eu',
    marketplaceIds: ['A1F83G8C2ARO7P'],
    authorisedAt: null,
  };
}

const denied = (scope: Scope) =>
  ApplicationFailure.create({
    type: 'AccessDenied',
    message: `Amazon denied ${probeOperationForScope(scope)} (403 Unauthorized)`,
    nonRetryable: true,
    details: [{ scope, operation: probeOperationForScope(scope), connectionId: 'uk-acme', httpStatus: 403 }],
  });

type Stubbed = Pick<
  AuthActivities,
  'loadConnectionAuth' | 'recordConnectionAuthState' | 'pauseSchedulesForScope' | 'resumeSchedulesForScope' | 'probeScope' | 'callScopeOperation' | 'ensureConnectionWorkflow'
> &
  Pick<
    MigrationActivities,
    'loadMigrationFacts' | 'markMigrating' | 'pauseLegacyPolling' | 'planBackfill' | 'listBackfillOrders' | 'advanceCursorAfterBackfill' | 'countBackfilledOrders' | 'switchToSpApi'
  > &
  Pick<OrderActivities, 'fetchAndHandOffOrder'>;

const activities: Stubbed = {
  async loadConnectionAuth(connectionId) {
    return fake.row ?? freshRow(connectionId);
  },
  async recordConnectionAuthState(input) {
    fake.mirrored.push({ grantedScopes: input.grantedScopes, blockedScopes: input.blockedScopes, needsAttention: input.needsAttention });
  },
  async pauseSchedulesForScope(input) {
    fake.paused.push({ scope: input.scope, note: input.note });
    return schedulesForScope(input.scope).map((k) => scheduleId(k, input.connectionId));
  },
  async resumeSchedulesForScope(input) {
    fake.resumed.push(input.scope);
    return schedulesForScope(input.scope).map((k) => scheduleId(k, input.connectionId));
  },
  async probeScope(input): Promise<ScopeProbe> {
    fake.probes++;
    const granted = !fake.denied.has(input.scope);
    return { scope: input.scope, operation: probeOperationForScope(input.scope), granted, detail: granted ? 'answered' : 'AccessDenied' };
  },
  async callScopeOperation(input) {
    fake.calls.push(input.scope);
    if (fake.denied.has(input.scope)) throw denied(input.scope);
    return { operation: probeOperationForScope(input.scope), answer: 'OK' };
  },
  async ensureConnectionWorkflow(connectionId) {
    return { workflowId: connectionWorkflowId(connectionId) };
  },
  async loadMigrationFacts(connectionId): Promise<MigrationFacts> {
    return { connectionId, apiKind: fake.migration.apiKind, status: fake.migration.status, lastMwsOrderAt: '2026-11-27T10:00:00.000Z', orderCursor: null };
  },
  async markMigrating() {
    fake.migration.status = 'MIGRATING';
  },
  async pauseLegacyPolling(connectionId) {
    fake.migration.pausedLegacy++;
    return { scheduleId: scheduleId('order-download', connectionId), existed: true };
  },
  async planBackfill(input): Promise<BackfillPlan> {
    return {
      connectionId: input.connectionId,
      window: { lastUpdatedAfter: '2026-11-27T08:00:00.000Z', lastUpdatedBefore: '2026-11-27T16:00:00.000Z' },
      marketplaceIds: ['A1F83G8C2ARO7P'],
      filter: {},
    };
  },
  async listBackfillOrders(input) {
    if (!input.paginationToken) return { orders: [{ marketplaceId: 'A1F83G8C2ARO7P', amazonOrderId: '202-0000001-0000001' }], nextToken: 'p2' };
    return { orders: [{ marketplaceId: 'A1F83G8C2ARO7P', amazonOrderId: '202-0000002-0000002' }] };
  },
  async fetchAndHandOffOrder(input) {
    if (fake.migration.handedOff.includes(input.amazonOrderId)) return 'UNCHANGED';
    fake.migration.handedOff.push(input.amazonOrderId);
    return 'HANDED_OFF';
  },
  async advanceCursorAfterBackfill() {},
  async countBackfilledOrders() {
    return fake.migration.handedOff.length;
  },
  async switchToSpApi(input) {
    fake.migration.switched++;
    fake.migration.apiKind = 'SP_API';
    fake.migration.status = 'ACTIVE';
    return { schedule: scheduleId('order-download', input.connectionId), created: false, resumed: true };
  },
};
before(async () => {
  server = await startTimeSkipping({ logLevel: 'ERROR', searchAttributes: true });
  ({ env, bundle } = server);
  client = new Client({ connection: env.connection, namespace: env.namespace ?? 'default' });
});

after(() => server?.teardown());

beforeEach(() => {
  fake.denied = new Set();
  fake.row = null;
  fake.mirrored = [];
  fake.paused = [];
  fake.resumed = [];
  fake.probes = 0;
  fake.calls = [];
  fake.migration = { apiKind: 'MWS', status: 'ACTIVE', switched: 0, handedOff: [], pausedLegacy: 0 };
});

async function withWorker<T>(fn: () => Promise<T>): Promise<T> {
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
  return worker.runUntil(fn);
}

const startConnection = (connectionId: string, extra: Partial<ConnectionWorkflowInput> = {}) =>
  client.workflow.start('connectionWorkflow', {
    workflowId: connectionWorkflowId(connectionId),
    taskQueue,
    args: [{ connectionId, ...extra }],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  });

const startCanary = (connectionId: string, scope: Scope, key: string) =>
  client.workflow.start('scopeCanary', {
    workflowId: scopeCanaryWorkflowId(connectionId, scope, key),
    taskQueue,
    args: [{ connectionId, scope }],
  });

const status = (handle: WorkflowHandle) => handle.query(connectionStatusQuery);

/** Waits (in real time) for the workflow to close and returns its result. */
async function finished<T>(handle: WorkflowHandle, ms = 15_000): Promise<T> {
  await waitForValue(`${handle.workflowId} to finish`, () => handle.describe(), (d) => d.status.name !== 'RUNNING', ms);
  return (await handle.result()) as T;
}

/** Ends a connection workflow once it is idle (the test server leaks a time-skipping lock for an activity cut off by termination). */
async function stop(handle: WorkflowHandle): Promise<void> {
  const current = client.workflow.getHandle(handle.workflowId);
  await waitForValue(`${handle.workflowId} to be idle`, () => current.describe(), (d) => (d.raw.pendingActivities ?? []).length === 0);
  await current.terminate();
}

// First: it is the one test that skips time, and the test server stops skipping once a workflow has signalled one that does not exist (tests below do).
test('the migration waits for consent with reminder escalation, then verifies, backfills and switches', { timeout: 60_000 }, async () => {
  await withWorker(async () => {
    const connection = await startConnection('uk-legacy');
    const migration = await client.workflow.start('mwsMigration', {
      workflowId: migrationWorkflowId('uk-legacy'),
      taskQueue,
      args: [{ connectionId: 'uk-legacy', requestedBy: 'test' } satisfies MigrationInput],
    });
    const waiting = await waitForValue('the consent step', () => migration.query(migrationStatusQuery), (v) => v.step === 'AWAITING_SP_API_CONSENT');
    assert.equal(waiting.needsAttention, false);
    assert.equal(fake.migration.status, 'MIGRATING');
    assert.equal(fake.migration.pausedLegacy, 1);

    await env.sleep(25 * HOUR);
    const reminded = await migration.query(migrationStatusQuery);
    assert.equal(reminded.consentRemindersSent, 1);
    assert.equal(reminded.needsAttention, true);
    assert.match(reminded.attention ?? '', /No SP-API consent from the seller after 24 h: send them a new consent URL/);
    await env.sleep(24 * HOUR);
    assert.equal((await migration.query(migrationStatusQuery)).consentRemindersSent, 2);

    // Consent arrives but the seller left out Feeds: back to waiting, with the reason shown.
    fake.denied.add('FEEDS');
    await migration.signal(spApiConsentCompletedSignal, { verifiedScopes: ['SELLING_PARTNER_INSIGHTS', 'FULFILMENT_INVENTORY', 'ORDERS'], by: 'script' });
    const partial = await waitForValue('the partial consent', () => migration.query(migrationStatusQuery), (v) => v.deniedScopes.length === 1 && v.step === 'AWAITING_SP_API_CONSENT');
    assert.match(partial.attention ?? '', /does not cover Feeds/);

    fake.denied.clear();
    await migration.signal(spApiConsentCompletedSignal, { verifiedScopes: [...SCOPES], by: 'script' });
    const result = await finished<MigrationResult>(migration);
    assert.deepEqual(result, {
      connectionId: 'uk-legacy',
      outcome: 'MIGRATED',
      ordersRecovered: 2,
      backfill: { from: '2026-11-27T08:00:00.000Z', to: '2026-11-27T16:00:00.000Z' },
    });
    assert.equal(fake.migration.switched, 1);
    const finalStatus = await migration.query(migrationStatusQuery);
    assert.deepEqual(
      finalStatus.steps.map((s) => s.step),
      ['CONFIRMING_MWS', 'STOPPING_LEGACY_POLLING', 'AWAITING_SP_API_CONSENT', 'VERIFYING_SCOPES', 'AWAITING_SP_API_CONSENT', 'VERIFYING_SCOPES', 'BACKFILLING_ORDERS', 'SWITCHING_TO_SP_API', 'COMPLETED'],
    );
    assert.equal(finalStatus.needsAttention, false);
    await waitForValue('the connection workflow to hear of the switch', () => status(connection), (v) => v.apiKind === 'SP_API');

    // Running it again finds SP-API and changes nothing.
    const rerun = await client.workflow.start('mwsMigration', {
      workflowId: `${migrationWorkflowId('uk-legacy')}-rerun`,
      taskQueue,
      args: [{ connectionId: 'uk-legacy', requestedBy: 'test' } satisfies MigrationInput],
    });
    const again = await finished<MigrationResult>(rerun);
    assert.equal(again.outcome, 'NOT_NEEDED');
    assert.equal(fake.migration.switched, 1);
    assert.equal(fake.migration.pausedLegacy, 1);
    await stop(connection);
  });
});

test('AccessDenied parks only that scope: symptom shown, schedules paused, others complete; a UI click cannot unblock a denied scope', async () => {
  await withWorker(async () => {
    const connection = await startConnection('uk-acme');
    fake.denied.add('ORDERS');
    const blocked = await startCanary('uk-acme', 'ORDERS', 'a');
    const otherBlocked = await startCanary('uk-acme', 'ORDERS', 'b');
    const s = await waitForValue('two workflows waiting on ORDERS', () => status(connection), (v) => v.blockedScopes[0]?.waitingWorkflows.length === 2 && fake.paused.length > 0);
    assert.equal(s.needsAttention, true);
    assert.deepEqual(s.blockedScopes.map((b) => b.scope), ['ORDERS']);
    assert.equal(s.blockedScopes[0]!.symptom, symptomForScope('ORDERS'));
    assert.deepEqual(s.blockedScopes[0]!.operations, ['confirmShipment']);
    assert.deepEqual(new Set(s.blockedScopes[0]!.waitingWorkflows), new Set([blocked.workflowId, otherBlocked.workflowId]));
    assert.deepEqual(s.grantedScopes, ['SELLING_PARTNER_INSIGHTS', 'FULFILMENT_INVENTORY', 'FEEDS']);
    assert.equal(fake.paused.length, 1, 'the scope was paused once, not once per report');
    assert.match(fake.paused[0]!.note, /^\[conduit:access\] Orders denied by Amazon since .*Tracking fails to push; FBM orders stay Unshipped/);
    assert.deepEqual(fake.mirrored.at(-1), { grantedScopes: ['SELLING_PARTNER_INSIGHTS', 'FULFILMENT_INVENTORY', 'FEEDS'], blockedScopes: ['ORDERS'], needsAttention: true });

    // Work on the other scopes goes on.
    for (const scope of ['SELLING_PARTNER_INSIGHTS', 'FULFILMENT_INVENTORY', 'FEEDS'] as const) {
      const result = await finished<ScopeCanaryResult>(await startCanary('uk-acme', scope, 'ok'));
      assert.equal(result.blockedTimes, 0);
    }

    // The operator clicks "signal" in the Web UI, but Amazon still denies: nothing is unblocked.
    await connection.signal(reauthorisationCompletedSignal, { verifiedScopes: ['ORDERS'], by: 'ui:alice' });
    const after = await waitForValue('the re-check to finish', () => status(connection), (v) => v.lastReauthorisation?.by === 'ui:alice');
    assert.deepEqual(after.lastReauthorisation?.stillDenied, ['ORDERS']);
    assert.deepEqual(after.blockedScopes.map((b) => b.scope), ['ORDERS']);
    assert.equal(fake.resumed.length, 0);
    assert.deepEqual((await blocked.describe()).status.name, 'RUNNING');

    // The seller grants the role again and the script completes: both waiting workflows resume and finish.
    fake.denied.clear();
    await connection.signal(reauthorisationCompletedSignal, { verifiedScopes: [...SCOPES], by: 'script' });
    assert.deepEqual(await finished(blocked), { scope: 'ORDERS', operation: 'confirmShipment', blockedTimes: 1 });
    assert.deepEqual(await finished(otherBlocked), { scope: 'ORDERS', operation: 'confirmShipment', blockedTimes: 1 });
    const healthy = await status(connection);
    assert.deepEqual(healthy.blockedScopes, []);
    assert.equal(healthy.needsAttention, false);
    assert.deepEqual(healthy.grantedScopes, [...SCOPES]);
    assert.deepEqual(healthy.lastReauthorisation?.restored, ['ORDERS']);
    assert.ok(healthy.authorisationExpiresAt, 'a verified consent starts a new 365-day authorisation');
    assert.deepEqual(fake.resumed, ['ORDERS']);
    assert.equal(fake.calls.filter((s) => s === 'ORDERS').length, 4, 'each ORDERS canary: one denied call, one call after re-authorisation');
    await stop(connection);
  });
});

test('a late AccessDenied report right after a re-authorisation is re-checked once instead of blocking again', async () => {
  await withWorker(async () => {
    const connection = await startConnection('uk-late');
    fake.denied.add('FEEDS');
    const first = await startCanary('uk-late', 'FEEDS', 'first');
    await waitForValue('FEEDS blocked', () => status(connection), (v) => v.blockedScopes.length === 1);
    fake.denied.clear();
    await connection.signal(reauthorisationCompletedSignal, { verifiedScopes: [...SCOPES], by: 'script' });
    await finished(first);
    // A report that describes a call made before the re-authorisation arrives now.
    await connection.signal(accessDeniedSignal, { scope: 'FEEDS', operation: 'patchListingsItem', workflowId: 'sku-push:uk-late:MUG', message: 'stale' });
    const s = await waitForValue('the re-check probe (4 at re-authorisation, then 1)', () => status(connection), () => fake.probes >= 5);
    assert.deepEqual(s.blockedScopes, [], 'Amazon answers the scope again, so it is not blocked');
    // The same workflow reporting again is believed: the scope really is broken for it.
    await connection.signal(accessDeniedSignal, { scope: 'FEEDS', operation: 'patchListingsItem', workflowId: 'sku-push:uk-late:MUG', message: 'again' });
    const again = await waitForValue('FEEDS blocked again', () => status(connection), (v) => v.blockedScopes.length === 1);
    assert.deepEqual(again.blockedScopes[0]!.waitingWorkflows, ['sku-push:uk-late:MUG']);
    await stop(connection);
  });
});

test('continue-as-new keeps blocked scopes, waiting workflows and the last re-authorisation', async () => {
  await withWorker(async () => {
    const connection = await startConnection('uk-long', { continueAsNewAfterEvents: 40 });
    const firstRun = (await connection.describe()).runId;
    fake.denied.add('FULFILMENT_INVENTORY');
    const waiting = await startCanary('uk-long', 'FULFILMENT_INVENTORY', 'w');
    await waitForValue('FULFILMENT_INVENTORY blocked', () => status(connection), (v) => v.blockedScopes.length === 1);
    // Enough reports to grow the history past the limit.
    for (let i = 0; i < 15; i++) {
      await connection.signal(accessDeniedSignal, { scope: 'FULFILMENT_INVENTORY', operation: 'getInventorySummaries', workflowId: `fba-sync:uk-long:${i}`, message: 'denied' });
    }
    const handle = client.workflow.getHandle(connectionWorkflowId('uk-long'));
    await waitForValue('a new run', async () => (await handle.describe()).runId, (runId) => runId !== firstRun);
    const s = await waitForValue('all 16 waiting workflows carried over', () => status(handle), (v) => v.blockedScopes[0]?.waitingWorkflows.length === 16);
    assert.deepEqual(s.blockedScopes.map((b) => b.scope), ['FULFILMENT_INVENTORY']);
    assert.equal(s.blockedScopes[0]!.symptom, symptomForScope('FULFILMENT_INVENTORY'));
    assert.ok(s.blockedScopes[0]!.waitingWorkflows.includes(waiting.workflowId));
    assert.equal(fake.paused.length, 1, 'the new run did not pause again');
    // The carried state still works: re-authorisation wakes the canary parked in the first run.
    fake.denied.clear();
    await handle.signal(reauthorisationCompletedSignal, { verifiedScopes: [...SCOPES], by: 'script' });
    assert.equal((await finished<ScopeCanaryResult>(waiting)).blockedTimes, 1);
    await stop(handle);
  });
});
