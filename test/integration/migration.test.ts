/**
 * MWS → SP-API migration end to end (real dev server, Postgres, simulator, worker): a seller on
 * legacy MWS whose orders reach Conduit hours late is migrated with scripts/migrate-mws.ts; the
 * consent goes through consent-url → complete-reauth; the backfill recovers the late orders; every
 * order arrives exactly once; running the script again changes nothing.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { ensureOrderDownloadSchedule } from '../../activities/orders';
import { loadConfig } from '../../config';
import { schema } from '../../db/client';
import { CONDUIT_ROLES, SCOPES } from '../../domain/scopes';
import type { SimOrderView } from '../../simulator/control-client';
import { completeReauth } from '../../scripts/complete-reauth';
import { createConsentUrl } from '../../scripts/consent-url';
import type { ScriptContext } from '../../scripts/lib/connection-cli';
import { run as migrateCli, startMigration } from '../../scripts/migrate-mws';
import { connectionStatusQuery, connectionWorkflowId } from '../../workflows/contracts/connection';
import { migrationStatusQuery, migrationWorkflowId, type MigrationResult } from '../../workflows/contracts/migration';
import type { DownloadStatus } from '../../workflows/contracts/orders';
import { orderWorkflowId } from '../../workflows/contracts/orders';
import { scheduleId } from '../../workflows/contracts/schedules';
import { startStack, type Stack } from '../support/stack';
import { waitForValue } from '../support/wait';

let stack: Stack;
let ctx: ScriptContext & { lines: string[] };
const connectionId = `uk-mws-${randomBytes(3).toString('hex')}`;
const schedule = () => stack.client.schedule.getHandle(scheduleId('order-download', connectionId));

before(async () => {
  stack = await startStack({ connectionId });
  // Amazon's clock is the simulator's (60× real time): download windows follow it.
  stack.deps.clock = () => new Date(stack.simulator.sim.core.now());
  const lines: string[] = [];
  ctx = {
    config: loadConfig({ SPAPI_APPLICATION_ID: stack.app.applicationId, SPAPI_ENDPOINT: stack.simulatorUrl, ORDER_POLL_INTERVAL: '1h' }),
    client: async () => stack.client,
    taskQueue: stack.taskQueue,
    out: (line) => lines.push(line),
    err: (line) => lines.push(line),
    lines,
  };
});

after(async () => {
  await schedule().delete().catch(() => {});
  await stack?.stop();
});

/** Workflow IDs listed by a visibility query (eventually consistent, so callers poll). */
async function listed(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of stack.client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids;
}

const simSeconds = (n: number) => new Promise((r) => setTimeout(r, (n * 1000) / 60 + 50));

async function legacyPoll(run: string): Promise<DownloadStatus> {
  return stack.client.workflow.execute('orderDownload', { workflowId: `order-download:${connectionId}:${run}`, taskQueue: stack.taskQueue, args: [{ connectionId }] });
}

const rows = () => stack.db.select().from(schema.orders).where(eq(schema.orders.connectionId, connectionId));
/** Order reads only: the order workflows' own stock pushes may still be running in the background. */
const orderReads = async () =>
  stack.db.$count(schema.channelLog, sql`${schema.channelLog.connectionId} = ${connectionId} and ${schema.channelLog.operation} in ('searchOrders', 'getOrder')`);

let delivered: SimOrderView[] = [];
let late: SimOrderView[] = [];

test('a seller on MWS: orders reach Conduit late with no error anywhere', async () => {
  // Orders MWS delivered on time, downloaded by the (legacy) poll.
  ({ orders: delivered } = await stack.control.createOrders(stack.sellerId, [
    { fulfilledBy: 'MERCHANT', items: [{ sku: 'FBM-MUG-01', quantity: 1 }], pendingSeconds: 0 },
    { fulfilledBy: 'MERCHANT', items: [{ sku: 'FBM-CAP-01', quantity: 1 }], pendingSeconds: 0 },
  ]));
  await simSeconds(240); // older than Amazon's 2-minute lastUpdatedBefore margin
  await legacyPoll('legacy-1');
  assert.equal((await rows()).length, 2);
  const lastDelivered = delivered.map((o) => o.createdAt).sort().at(-1)!;
  await stack.db.update(schema.connections).set({ apiKind: 'MWS', lastMwsOrderAt: new Date(lastDelivered) }).where(eq(schema.connections.id, connectionId));
  await ensureOrderDownloadSchedule(stack.client, { connectionId, intervalMs: 3_600_000, taskQueue: stack.taskQueue });

  // From now on MWS holds orders back for hours: the poll finds nothing and reports no error.
  await stack.control.setMws(stack.sellerId, true, 6 * 3600);
  ({ orders: late } = await stack.control.createOrders(stack.sellerId, [
    { fulfilledBy: 'MERCHANT', items: [{ sku: 'FBM-MUG-01', quantity: 2 }], pendingSeconds: 0 },
    { fulfilledBy: 'MERCHANT', items: [{ sku: 'HYB-TEE-01', quantity: 1 }], pendingSeconds: 0 },
    { fulfilledBy: 'AMAZON', items: [{ sku: 'FBA-BOOK-01', quantity: 1 }], pendingSeconds: 0 },
  ]));
  assert.ok(late.every((o) => !o.visible));
  await simSeconds(240);
  const quiet = await legacyPoll('legacy-2');
  assert.equal(quiet.needsAttention, null);
  assert.equal((await rows()).length, 2, 'the late orders are on Amazon but not in Conduit');
});

test('migrate-mws stops legacy polling and waits for SP-API consent; running it again attaches', async () => {
  assert.equal(await migrateCli(['--connection', connectionId, '--by', 'ops:alice'], ctx), 0);
  const out = ctx.lines.join('\n');
  assert.match(out, new RegExp(`mws-migration:${connectionId}: started`));
  assert.match(out, /Next: send the seller a consent URL/);
  const handle = stack.client.workflow.getHandle(migrationWorkflowId(connectionId));
  const status = await handle.query(migrationStatusQuery);
  assert.equal(status.step, 'AWAITING_SP_API_CONSENT');
  assert.deepEqual(status.steps.map((s) => s.step), ['CONFIRMING_MWS', 'STOPPING_LEGACY_POLLING', 'AWAITING_SP_API_CONSENT']);
  const [row] = await stack.db.select().from(schema.connections).where(eq(schema.connections.id, connectionId));
  assert.equal(row!.status, 'MIGRATING');
  const state = (await schedule().describe()).state;
  assert.equal(state.paused, true);
  assert.match(state.note ?? '', /^\[conduit:mws-migration\] Legacy MWS polling stopped/);
  await waitForValue('the step in visibility', () => listed(`WorkflowId = "${migrationWorkflowId(connectionId)}" AND OrderState = "AWAITING_SP_API_CONSENT"`), (ids) => ids.length === 1);

  const runId = (await handle.describe()).runId;
  const again = await startMigration(ctx, { connectionId, by: 'ops:bob' });
  assert.equal(again.state, 'RUNNING');
  assert.equal((await handle.describe()).runId, runId, 'the same run, not a second migration');
});

test('the SP-API consent completes the migration: scopes verified, late orders backfilled once, schedule resumed', async () => {
  // The seller authorises Conduit through SP-API; Amazon's legacy pipe releases what it held.
  await stack.control.setMws(stack.sellerId, false);
  const { state } = await createConsentUrl(ctx, { connectionId });
  const { spapi_oauth_code } = await stack.control.consent({ clientId: stack.app.clientId, sellerId: stack.sellerId, roles: [...CONDUIT_ROLES] });
  const { result } = await completeReauth(ctx, { connectionId, state, code: spapi_oauth_code, by: 'ops:alice' });
  assert.equal(result.migrating, true);
  assert.deepEqual(result.verifiedScopes, [...SCOPES]);

  const migration: MigrationResult = await stack.client.workflow.getHandle(migrationWorkflowId(connectionId)).result();
  assert.equal(migration.outcome, 'MIGRATED');
  assert.equal(migration.ordersRecovered, 3);
  assert.ok(migration.backfill && Date.parse(migration.backfill.from) === Date.parse(delivered.map((o) => o.createdAt).sort().at(-1)!) - 2 * 3_600_000);

  // Every order exactly once: one row and one workflow each, the late ones marked BACKFILL.
  const stored = await rows();
  assert.deepEqual(stored.map((r) => r.amazonOrderId).sort(), [...delivered, ...late].map((o) => o.orderId).sort());
  for (const o of delivered) assert.equal(stored.find((r) => r.amazonOrderId === o.orderId)!.downloadedVia, 'POLL');
  for (const o of late) assert.equal(stored.find((r) => r.amazonOrderId === o.orderId)!.downloadedVia, 'BACKFILL');
  for (const o of [...delivered, ...late]) {
    const d = await stack.client.workflow.getHandle(orderWorkflowId(stack.marketplaceId, o.orderId)).describe();
    assert.equal(d.workflowId, orderWorkflowId(stack.marketplaceId, o.orderId));
  }

  const [row] = await stack.db.select().from(schema.connections).where(eq(schema.connections.id, connectionId));
  assert.equal(row!.apiKind, 'SP_API');
  assert.equal(row!.status, 'ACTIVE');
  assert.ok(row!.orderCursor, 'regular polling continues from the end of the backfill');
  assert.equal((await schedule().describe()).state.paused, false);
  const connection = await waitForValue('the connection workflow on SP-API', () => stack.client.workflow.getHandle(connectionWorkflowId(connectionId)).query(connectionStatusQuery), (s) => s.apiKind === 'SP_API');
  assert.equal(connection.needsAttention, false);

  // The next regular poll re-reads the overlap and changes nothing.
  await legacyPoll('after-migration');
  assert.equal((await rows()).length, 5);
});

test('running migrate-mws again after it finished changes nothing', async () => {
  const before = { orders: await rows(), calls: await orderReads(), migrating: await stack.db.$count(schema.connections, sql`${schema.connections.status} = 'MIGRATING'`) };
  ctx.lines.length = 0;
  assert.equal(await migrateCli(['--connection', connectionId], ctx), 0);
  const out = ctx.lines.join('\n');
  assert.match(out, /finished earlier \(nothing changed\)/);
  assert.match(out, /Orders recovered by the backfill: 3/);
  const key = (r: { amazonOrderId: string; downloadedVia: string }) => `${r.amazonOrderId}:${r.downloadedVia}`;
  assert.deepEqual((await rows()).map(key).sort(), before.orders.map(key).sort());
  assert.equal(await orderReads(), before.calls, 'no order was read from Amazon again');
  assert.equal(before.migrating, 0);
});
