/**
 * The 8-point pre-launch checklist against live connections (real dev server, Postgres,
 * simulator, worker): a well-configured seller — scopes, SKUs, hybrid pools, routing, SP-API,
 * a test FBM order shown Shipped on Amazon, feed window, FBA lag acknowledged — passes all eight;
 * a deliberately misconfigured seller fails exactly the points it should, each with its fix.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { startConnectionWorkflow } from '../../activities/auth';
import { loadConfig } from '../../config';
import { schema } from '../../db/client';
import type { ChecklistItem } from '../../domain/checklist';
import { CONDUIT_ROLES } from '../../domain/scopes';
import { run as checklistCli } from '../../scripts/checklist';
import type { ScriptContext } from '../../scripts/lib/connection-cli';
import type { ChecklistReport } from '../../workflows/contracts/checklist';
import { despatchUpdate, orderStatusQuery, orderWorkflowId } from '../../workflows/contracts/orders';
import { defaultCatalogue, seedConduitCatalogue, startStack, UK_MARKETPLACE, type Stack } from '../support/stack';
import { waitForValue } from '../support/wait';

let stack: Stack;
let ctx: ScriptContext & { lines: string[] };

before(async () => {
  stack = await startStack({ connectionId: `uk-check-${randomBytes(3).toString('hex')}` });
  // Amazon's clock is the simulator's (60× real time): the order download window follows it.
  stack.deps.clock = () => new Date(stack.simulator.sim.core.now());
  const lines: string[] = [];
  ctx = {
    config: loadConfig({ SPAPI_APPLICATION_ID: stack.app.applicationId, SPAPI_ENDPOINT: stack.simulatorUrl }),
    client: async () => stack.client,
    taskQueue: stack.taskQueue,
    out: (line) => lines.push(line),
    err: (line) => lines.push(line),
    lines,
  };
});

after(async () => {
  await stack?.stop();
});

async function checklist(connectionId: string, ...extra: string[]): Promise<{ code: number; report: ChecklistReport }> {
  ctx.lines.length = 0;
  const code = await checklistCli(['--connection', connectionId, '--json', ...extra], ctx);
  return { code, report: JSON.parse(ctx.lines.at(-1)!) as ChecklistReport };
}

const failed = (items: ChecklistItem[]) => items.filter((i) => !i.passed).map((i) => i.id);

test('a well-configured seller passes all eight checks once its test FBM order shows Shipped', async () => {
  const connectionId = stack.connectionId;
  // Hybrid SKUs get their FBA figures from Amazon: one FBA sync creates the separate FBA pool.
  await stack.client.workflow.execute('fbaInventorySync', { workflowId: `fba-sync:${connectionId}:checklist`, taskQueue: stack.taskQueue, args: [{ connectionId }] });

  // Before the test order: exactly items 6 (no test order) and 8 (lag not acknowledged) fail.
  const first = await checklist(connectionId);
  assert.equal(first.code, 1);
  assert.deepEqual(failed(first.report.items), [6, 8]);
  assert.match(first.report.items[5]!.detail, /No end-to-end test FBM order has been placed/);

  // The end-to-end test order: placed on Amazon, downloaded, despatched, confirmed.
  const [order] = (await stack.control.createOrders(stack.sellerId, [{ fulfilledBy: 'MERCHANT', items: [{ sku: 'FBM-MUG-01', quantity: 1 }], pendingSeconds: 0, sellerOrderId: 'CONDUIT-TEST-ORDER' }])).orders;
  await new Promise((r) => setTimeout(r, 4_500)); // past Amazon's 2-minute lastUpdatedBefore margin (simulated)
  await stack.client.workflow.execute('orderDownload', { workflowId: `order-download:${connectionId}:checklist`, taskQueue: stack.taskQueue, args: [{ connectionId }] });
  const handle = stack.client.workflow.getHandle(orderWorkflowId(UK_MARKETPLACE, order!.orderId));
  await waitForValue('the test order allocated', () => handle.query(orderStatusQuery), (s) => s.state === 'ALLOCATED');
  const despatch = await handle.executeUpdate(despatchUpdate, {
    args: [{ carrierCode: 'Royal Mail', shippingMethod: 'Tracked 24', trackingNumber: 'RM123456785GB', shipDate: order!.createdAt, lines: order!.items.map((i) => ({ orderItemId: i.orderItemId, quantity: i.quantityOrdered })), by: 'checklist test' }],
  });
  assert.equal(despatch.accepted, true);
  await waitForValue('Amazon to show the order Shipped', () => stack.control.order(order!.orderId), (o) => o.status === 'SHIPPED');
  await waitForValue('the confirmation recorded', () => stack.db.select().from(schema.shipments).where(eq(schema.shipments.amazonOrderId, order!.orderId)), (rows) => rows.some((r) => r.confirmedAt !== null));

  const ready = await checklist(connectionId, '--acknowledge-fba-lag', '--by', 'ops:alice');
  assert.deepEqual(failed(ready.report.items), []);
  assert.equal(ready.code, 0);
  assert.equal(ready.report.ready, true);
  assert.match(ready.report.items[5]!.detail, new RegExp(`Test order ${order!.orderId} shows Shipped in Seller Central`));
  const [row] = await stack.db.select().from(schema.connections).where(eq(schema.connections.id, connectionId));
  assert.equal(row!.fbaLagAcknowledged, true, '--acknowledge-fba-lag is recorded on the connection');

  // The table an operator reads.
  ctx.lines.length = 0;
  assert.equal(await checklistCli(['--connection', connectionId], ctx), 0);
  assert.match(ctx.lines.join('\n'), /1\s+SP-API scopes verified\s+PASS/);
  assert.match(ctx.lines.join('\n'), /Ready to go live\./);
});

test('a misconfigured seller fails exactly the points it should, each with its fix', async () => {
  // A second seller: Orders roles never granted, SKUs typed by hand, MWS, feeds at midday.
  const sellerId = `A${randomBytes(6).toString('hex').toUpperCase()}`;
  const connectionId = `uk-bad-${randomBytes(3).toString('hex')}`;
  const seller = await stack.control.seedSeller({
    sellerId,
    region: 'eu',
    marketplaceIds: [UK_MARKETPLACE],
    clientId: stack.app.clientId,
    roles: CONDUIT_ROLES.filter((r) => r !== 'Inventory and Order Tracking' && r !== 'Direct-to-Consumer Shipping (Restricted)'),
    catalogue: defaultCatalogue,
  });
  await stack.db.insert(schema.connections).values({
    id: connectionId,
    sellerId,
    region: 'eu',
    marketplaceIds: [UK_MARKETPLACE],
    apiKind: 'MWS',
    refreshTokenEnc: stack.deps.sealer.seal(seller.refreshToken!),
    downloadRules: { fbmStatuses: ['UNSHIPPED', 'PARTIALLY_SHIPPED'], fbaStatuses: 'ALL' },
    feedWindow: { startHour: 11, endHour: 14, timeZone: 'Europe/London' },
    fbaLagAcknowledged: true,
  });
  // Conduit's SKUs differ from Amazon's by case and a trailing space; the hybrid SKU has no FBA pool.
  await seedConduitCatalogue(
    stack.db,
    connectionId,
    defaultCatalogue.map((item) => ({ ...item, sku: item.sku === 'FBM-MUG-01' ? 'fbm-mug-01' : item.sku === 'FBM-CAP-01' ? 'FBM-CAP-01 ' : item.sku })),
  );
  await startConnectionWorkflow(stack.client, stack.taskQueue, connectionId);

  const { code, report } = await checklist(connectionId);
  assert.equal(code, 1);
  assert.deepEqual(failed(report.items), [1, 2, 3, 5, 6, 7], 'routing (4) and the FBA lag note (8) are fine');
  const item = (id: number) => report.items.find((i) => i.id === id)!;
  assert.match(item(1).detail, /Orders is missing \(Tracking fails to push; FBM orders stay Unshipped in Seller Central/);
  assert.match(item(1).fix!, /do not create a new one/);
  assert.match(item(2).detail, /2 near-miss\(es\)/);
  assert.match(item(2).detail, /"FBM-MUG-01" vs Conduit "fbm-mug-01"/);
  assert.match(item(3).detail, /HYB-TEE-01/);
  assert.match(item(5).detail, /retired MWS API: expect orders to arrive hours late with no error/);
  assert.match(item(7).detail, /overlaps peak hours/);
  for (const id of [1, 2, 3, 5, 6, 7]) assert.ok(item(id).fix, `item ${id} says how to fix it`);

  // The human-readable table lists the fixes; bad arguments exit 2.
  ctx.lines.length = 0;
  assert.equal(await checklistCli(['--connection', connectionId], ctx), 1);
  assert.match(ctx.lines.join('\n'), /To fix:\n\s+1\. SP-API scopes verified: Re-authorise/);
  assert.match(ctx.lines.join('\n'), /6 of 8 checks failed: not ready to go live\./);
  assert.equal(await checklistCli(['--connection', connectionId, '--peak-hours', 'lunchtime'], ctx), 2);
  assert.equal(await checklistCli([], ctx), 2);
});
