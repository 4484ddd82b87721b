/**
 * AccessDenied end to end (real dev server, Postgres, simulator, real worker): revoke the roles
 * behind each scope in turn while work runs → only that scope's work stops and waits, the
 * connection shows the guide's symptom (query) and NeedsAttention/BlockedScopes (visibility), the
 * schedules needing it are paused; re-authorise through the consent-code path → everything resumes
 * and completes, schedules unpause, and no AccessDenied activity was ever retried.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ScheduleOverlapPolicy, type WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { loadConfig } from '../../config';
import { CONDUIT_ROLES, SCOPES, symptomForScope, type Scope } from '../../domain/scopes';
import { completeReauth, run as completeReauthCli } from '../../scripts/complete-reauth';
import { connect, run as connectCli } from '../../scripts/connect';
import { createConsentUrl, run as consentUrlCli } from '../../scripts/consent-url';
import type { ScriptContext } from '../../scripts/lib/connection-cli';
import { completeReauthorisationWorkflowId, connectionStatusQuery, connectionWorkflowId, scopeCanaryWorkflowId, type ConnectionStatus, type ScopeCanaryResult } from '../../workflows/contracts/connection';
import { scheduleId, scheduleScope, type ScheduleKind } from '../../workflows/contracts/schedules';
import { startStack, type Stack } from '../support/stack';
import { waitForValue } from '../support/wait';

let stack: Stack;
let ctx: ScriptContext & { lines: string[] };
const connectionId = 'uk-auth';
const ALL_ROLES = [...CONDUIT_ROLES, 'Amazon Fulfillment'];
/** Schedules whose pause/unpause we watch: one per scope that has any (nothing scheduled needs Orders). */
const WATCHED: ScheduleKind[] = ['order-download', 'fba-sync', 'listing-feed'];

before(async () => {
  // Amazon Fulfillment too, so Fulfilment Inventory survives losing Product Listing (the Feeds case).
  stack = await startStack({ connectionId, roles: ALL_ROLES });
  const lines: string[] = [];
  ctx = {
    config: loadConfig({ SPAPI_APPLICATION_ID: stack.app.applicationId, SPAPI_ENDPOINT: stack.simulatorUrl }),
    client: async () => stack.client,
    taskQueue: stack.taskQueue,
    out: (line) => lines.push(line),
    err: (line) => lines.push(line),
    lines,
  };
  // Stand-ins for the connection's schedules (the real ones are created by their owners): a daily tick that never fires here.
  for (const kind of WATCHED) {
    await stack.client.schedule.create({
      scheduleId: scheduleId(kind, connectionId),
      spec: { intervals: [{ every: '1 day' }] },
      action: { type: 'startWorkflow', workflowType: 'scopeCanary', workflowId: `sched-${kind}`, taskQueue: stack.taskQueue, args: [{ connectionId, scope: 'SELLING_PARTNER_INSIGHTS' }] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  }
});

after(async () => {
  for (const kind of WATCHED) await stack?.client.schedule.getHandle(scheduleId(kind, connectionId)).delete().catch(() => {});
  await stack?.stop();
});

const connection = () => stack.client.workflow.getHandle(connectionWorkflowId(connectionId));
const status = (): Promise<ConnectionStatus> => connection().query(connectionStatusQuery);
const paused = async (kind: ScheduleKind) => (await stack.client.schedule.getHandle(scheduleId(kind, connectionId)).describe()).state;

async function finished<T>(handle: WorkflowHandle): Promise<T> {
  return (await handle.result()) as T;
}

/** Workflow IDs listed by a visibility query (eventually consistent, so callers poll). */
async function listed(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of stack.client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids;
}

/** Every AccessDenied activity failure in the workflow's history, with the attempt it failed on. */
async function accessDeniedAttempts(handle: WorkflowHandle): Promise<number[]> {
  const history = await handle.fetchHistory();
  const events = (history.events ?? []) as temporal.api.history.v1.IHistoryEvent[];
  const startedBySchedule = new Map<string, number>();
  for (const e of events) {
    const started = e.activityTaskStartedEventAttributes;
    if (started) startedBySchedule.set(String(started.scheduledEventId), started.attempt ?? 0);
  }
  return events
    .filter((e) => e.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo?.type === 'AccessDenied')
    .map((e) => {
      const failed = e.activityTaskFailedEventAttributes!;
      assert.equal(failed.failure?.applicationFailureInfo?.nonRetryable, true, 'AccessDenied is marked non-retryable');
      return startedBySchedule.get(String(failed.scheduledEventId)) ?? -1;
    });
}

/** Every byte string in a history (payload data included), decoded as UTF-8. */
function clearTextIn(value: unknown, out: string[] = []): string[] {
  if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (typeof value === 'string') out.push(value);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) clearTextIn(v, out);
  return out;
}

/** What losing these roles denies, given the roles the seller keeps (sp-api.md §5; simulator/roles.ts). */
const CASES: Array<{ scope: Scope; revoke: string[]; blocked: Scope[] }> = [
  // confirmShipment needs Inventory and Order Tracking or Direct-to-Consumer Shipping; nothing else does.
  { scope: 'ORDERS', revoke: ['Inventory and Order Tracking', 'Direct-to-Consumer Shipping'], blocked: ['ORDERS'] },
  // Listings need Product Listing; FBA inventory still has Amazon Fulfillment.
  { scope: 'FEEDS', revoke: ['Product Listing'], blocked: ['FEEDS'] },
  // FBA inventory needs Product Listing or Amazon Fulfillment, so Listings (Feeds) go with it.
  { scope: 'FULFILMENT_INVENTORY', revoke: ['Product Listing', 'Amazon Fulfillment'], blocked: ['FULFILMENT_INVENTORY', 'FEEDS'] },
  // Almost every role can read orders: order download stops only when the seller removes them all.
  { scope: 'SELLING_PARTNER_INSIGHTS', revoke: ALL_ROLES, blocked: [...SCOPES] },
];

const everyWorkflow: WorkflowHandle[] = [];

for (const c of CASES) {
  test(`revoking ${c.scope} stops only ${c.blocked.join(' + ')} work; re-authorisation resumes it`, async () => {
    await stack.control.revokeRoles(stack.sellerId, c.revoke, stack.app.clientId);

    const canaries = new Map<Scope, WorkflowHandle>();
    for (const scope of SCOPES) {
      const handle = await stack.client.workflow.start('scopeCanary', {
        workflowId: scopeCanaryWorkflowId(connectionId, scope, `revoke-${c.scope}`),
        taskQueue: stack.taskQueue,
        args: [{ connectionId, scope }],
      });
      canaries.set(scope, handle);
      everyWorkflow.push(handle);
    }
    // The real work for the scope, where the owner's workflow runs on demand.
    const real: WorkflowHandle[] = [];
    if (c.blocked.includes('FULFILMENT_INVENTORY')) {
      real.push(await stack.client.workflow.start('fbaInventorySync', { workflowId: `fba-sync:${connectionId}:auth-${c.scope}`, taskQueue: stack.taskQueue, args: [{ connectionId }] }));
    }
    if (c.scope === 'SELLING_PARTNER_INSIGHTS') {
      real.push(await stack.client.workflow.start('orderDownload', { workflowId: `order-download:${connectionId}:auth-test`, taskQueue: stack.taskQueue, args: [{ connectionId }] }));
    }
    everyWorkflow.push(...real);

    // Work on the other scopes completes.
    for (const scope of SCOPES.filter((s) => !c.blocked.includes(s))) {
      const result = await finished<ScopeCanaryResult>(canaries.get(scope)!);
      assert.equal(result.blockedTimes, 0, `${scope} was not blocked`);
    }

    // The blocked scopes wait, and the connection says why in the guide's words.
    const waiting = [...c.blocked.map((s) => canaries.get(s)!.workflowId), ...real.map((h) => h.workflowId)];
    const blocked = await waitForValue(`${c.blocked.join(', ')} blocked with every waiting workflow`, status, (s) => s.blockedScopes.length === c.blocked.length && waiting.every((id) => s.blockedScopes.some((b) => b.waitingWorkflows.includes(id))));
    assert.deepEqual(blocked.blockedScopes.map((b) => b.scope), c.blocked);
    for (const b of blocked.blockedScopes) assert.equal(b.symptom, symptomForScope(b.scope));
    assert.equal(blocked.needsAttention, true);
    for (const id of waiting) assert.equal((await stack.client.workflow.getHandle(id).describe()).status.name, 'RUNNING', `${id} waits, it does not fail`);

    // The Web UI's filters find it.
    await waitForValue('NeedsAttention = true in visibility', () => listed(`WorkflowId = "${connectionWorkflowId(connectionId)}" AND NeedsAttention = true`), (ids) => ids.length === 1);
    for (const scope of c.blocked) {
      await waitForValue(`BlockedScopes = "${scope}"`, () => listed(`ConduitConnection = "${connectionId}" AND BlockedScopes = "${scope}"`), (ids) => ids.includes(connectionWorkflowId(connectionId)));
    }

    // Exactly the schedules that need a blocked scope are paused, with the symptom in the note.
    const pausedKinds = await waitForValue('the schedules of the blocked scopes to pause', async () => (await Promise.all(WATCHED.map(async (k) => ((await paused(k)).paused ? k : null)))).filter((k) => k !== null), (kinds) => kinds.length === WATCHED.filter((k) => c.blocked.includes(scheduleScope[k]!)).length);
    for (const kind of pausedKinds) assert.match((await paused(kind!)).note ?? '', /^\[conduit:access\] .+ denied by Amazon since .+ Re-authorise the existing connection/);

    // Re-authorise: the seller grants the roles again and consents; complete-reauth finishes it.
    await stack.control.grantRoles(stack.sellerId, c.revoke, stack.app.clientId);
    const { state } = await createConsentUrl(ctx, { connectionId });
    const { spapi_oauth_code } = await stack.control.consent({ clientId: stack.app.clientId, sellerId: stack.sellerId, roles: ALL_ROLES });
    const { result, status: after } = await completeReauth(ctx, { connectionId, state, code: spapi_oauth_code, by: 'test' });
    assert.deepEqual(result.verifiedScopes, [...SCOPES]);
    assert.deepEqual(after?.blockedScopes, []);
    assert.deepEqual(after?.lastReauthorisation?.restored, c.blocked);

    // Everything that waited now completes, each blocked exactly once.
    for (const scope of c.blocked) assert.equal((await finished<ScopeCanaryResult>(canaries.get(scope)!)).blockedTimes, 1);
    for (const handle of real) await handle.result();
    for (const kind of WATCHED) await waitForValue(`${kind} unpaused`, () => paused(kind), (s) => !s.paused);
    assert.equal((await status()).needsAttention, false);
  });
}

test('no AccessDenied activity was retried: every one failed on its first attempt', async () => {
  let denied = 0;
  for (const handle of everyWorkflow) {
    const attempts = await accessDeniedAttempts(handle);
    denied += attempts.length;
    assert.ok(attempts.every((a) => a === 1), `${handle.workflowId}: AccessDenied on attempt(s) ${attempts.join(', ')}`);
  }
  assert.ok(denied >= 9, `every blocked workflow was denied once (saw ${denied})`);
});

test('a consent state works once, for its own connection, and bad arguments exit 2', async () => {
  const { state } = await createConsentUrl(ctx, { connectionId });
  const { spapi_oauth_code } = await stack.control.consent({ clientId: stack.app.clientId, sellerId: stack.sellerId, roles: ALL_ROLES });
  assert.equal(await completeReauthCli(['--connection', connectionId, '--state', state, '--code', spapi_oauth_code, '--no-wait'], ctx), 0);
  // The one-time code reached the exchange activity only encrypted: no history payload holds it in clear.
  const history = await stack.client.workflow.getHandle(completeReauthorisationWorkflowId(connectionId, state)).fetchHistory();
  assert.ok(!clearTextIn(history).some((text) => text.includes(spapi_oauth_code)), 'the code is not readable in the history');
  ctx.lines.length = 0;
  assert.equal(await completeReauthCli(['--connection', connectionId, '--state', state, '--code', spapi_oauth_code], ctx), 1);
  assert.match(ctx.lines.join('\n'), /already been used/);
  assert.ok(!ctx.lines.join('\n').includes(spapi_oauth_code), 'the code is never printed');

  // A state that was never issued is refused before any code exchange.
  ctx.lines.length = 0;
  assert.equal(await completeReauthCli(['--connection', connectionId, '--state', 'x'.repeat(32), '--code', 'ANDOdnKGlxRrSLxzLXhP'], ctx), 1);
  assert.match(ctx.lines.join('\n'), /never issued by scripts\/consent-url\.ts/);

  ctx.lines.length = 0;
  assert.equal(await consentUrlCli(['--connection', connectionId, '--beta'], ctx), 0);
  assert.match(ctx.lines.join('\n'), /https:\/\/sellercentral\.amazon\.co\.uk\/apps\/authorize\/consent\?application_id=amzn1\.sp\.solution\.[^&]+&state=[\w-]+&version=beta/);
  assert.equal(await consentUrlCli(['--connection'], ctx), 2);
  assert.equal(await completeReauthCli(['--connection', connectionId, '--state', state], ctx), 2);
});

test('connect.ts onboards a connection and its workflow finds out what the token can do', async () => {
  const sellerId = `A${Date.now().toString(36).toUpperCase()}X`;
  const seller = await stack.control.seedSeller({
    sellerId,
    region: 'eu',
    marketplaceIds: ['A1F83G8C2ARO7P'],
    clientId: stack.app.clientId,
    roles: ['Selling Partner Insights', 'Product Listing'],
  });
  const newId = 'uk-auth-new';
  const first = await connect(ctx, { connectionId: newId, sellerId, marketplaceIds: ['A1F83G8C2ARO7P'], refreshTokenSealed: stack.deps.sealer.seal(seller.refreshToken!) });
  assert.equal(first.created, true);
  const s = await waitForValue('the first verification of the new token', () => stack.client.workflow.getHandle(connectionWorkflowId(newId)).query(connectionStatusQuery), (v) => v.lastReauthorisation?.by === 'onboarding');
  assert.deepEqual(s.grantedScopes, ['SELLING_PARTNER_INSIGHTS', 'FULFILMENT_INVENTORY', 'FEEDS']);
  assert.deepEqual(s.blockedScopes.map((b) => b.scope), ['ORDERS']);
  assert.equal((await connect(ctx, { connectionId: newId, sellerId, marketplaceIds: ['A1F83G8C2ARO7P'] })).created, false, 'running it again updates, never duplicates');
  assert.equal(await connectCli(['--connection', newId, '--seller', sellerId, '--marketplace', 'ATVPDKIKX0DER', '--marketplace', 'A1F83G8C2ARO7P'], ctx), 2, 'an EU and a US marketplace cannot share a token');
  await stack.client.workflow.getHandle(connectionWorkflowId(newId)).terminate();
});
