/**
 * The operator CLI as an operator runs it: `node --import tsx scripts/conduit.ts …` in a child
 * process, configured only by environment variables pointing at a real Conduit (startStack: dev
 * server, Postgres, simulator, worker). Every command: one happy path and one bad argument
 * (exit 2, the message naming the flag). Orders arrive by ORDER_CHANGE notification.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { schema } from '../../db/client';
import { CONDUIT_ROLES } from '../../domain/scopes';
import type { SimCatalogueItem, SimOrderView } from '../../simulator/control-client';
import { orderStatusQuery, orderWorkflowId, type OrderStatus } from '../../workflows/contracts/orders';
import { defaultCatalogue, seedConduitCatalogue, startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';

const ROOT = path.resolve(__dirname, '../..');
const connectionId = 'uk-cli';
/** On Amazon, not in Conduit's catalogue: a case near-miss of FBM-MUG-01. */
const typoItem: SimCatalogueItem = { sku: 'fbm-mug-01', asin: 'B0MUG00002', title: 'Enamel mug (typo listing)', productType: 'DRINKING_CUP', price: 12.5, fulfilment: 'FBM', fbmQuantity: 5 };

let stack: Stack;
let env: NodeJS.ProcessEnv;
let fbmOrder: SimOrderView;
let typoOrder: SimOrderView;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in a child process with the stack's settings in the environment. */
function conduit(args: string[], timeoutMs = 90_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/conduit.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 124 : 0), stdout, stderr });
    });
  });
}

function ok(run: Run, code = 0): Run {
  assert.equal(run.code, code, `exit ${run.code} (wanted ${code})\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return run;
}

/** Bad argument: exit 2 and stderr naming the flag (or word) that is wrong. */
function refused(run: Run, names: RegExp): void {
  assert.equal(run.code, 2, `exit ${run.code} (wanted 2)\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  assert.match(run.stderr, names);
}

const statusOf = (o: SimOrderView): Promise<OrderStatus> => stack.client.workflow.getHandle(orderWorkflowId(o.marketplaceId, o.orderId)).query(orderStatusQuery);

before(async () => {
  stack = await startStack({ connectionId, notifications: true, catalogue: [...defaultCatalogue, typoItem], seedConduit: false });
  await seedConduitCatalogue(stack.db, connectionId, defaultCatalogue);
  // Amazon's clock is the simulator's (60× real time); despatch dates are checked against it.
  stack.deps.clock = () => new Date(stack.simulator.sim.core.now());
  env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    CONDUIT_ENCRYPTION_KEY: stack.encryption.keyBase64,
    CONDUIT_ENCRYPTION_KEY_ID: stack.encryption.keyId,
    CONDUIT_DATA_DIR: path.join(ROOT, '.data', 'cli-test'),
    SPAPI_APPLICATION_ID: stack.app.applicationId,
    SPAPI_ENDPOINT: stack.simulatorUrl,
  };
  const { orders } = await stack.control.createOrders(stack.sellerId, [
    { fulfilledBy: 'MERCHANT', items: [{ sku: 'FBM-CAP-01', quantity: 1 }], pendingSeconds: 0 },
    { fulfilledBy: 'MERCHANT', items: [{ sku: 'fbm-mug-01', quantity: 1 }], pendingSeconds: 0 },
  ]);
  [fbmOrder, typoOrder] = [orders[0]!, orders[1]!];
  await waitFor('the FBM order allocated', async () => (await statusOf(fbmOrder)).state === 'ALLOCATED');
  await waitFor('the typo order in SKU_MISMATCH', async () => (await statusOf(typoOrder)).state === 'SKU_MISMATCH');
});

after(async () => {
  await stack?.stop();
});

test('--help lists every command; an unknown command exits 2', async () => {
  const help = ok(await conduit(['--help']));
  for (const name of ['status', 'order status', 'despatch', 'stock', 'reconcile', 'listings', 'checklist', 'migrate-mws', 'reauth url', 'reauth complete', 'connection status', 'channel-log']) {
    assert.ok(help.stdout.includes(`  ${name} `), `--help lists ${name}`);
  }
  refused(await conduit(['frobnicate']), /unknown command "frobnicate"/);
  ok(await conduit(['despatch', '--help']));
});

test('status: connections, orders by state, the SKU mismatch in needs attention', async () => {
  const run = ok(await conduit(['status', '--json']));
  const status = JSON.parse(run.stdout) as import('../../scripts/status').ConduitStatus;
  assert.deepEqual(status.connections.map((c) => c.id), [connectionId]);
  assert.ok(status.ordersByState.some((r) => r.state === 'ALLOCATED' && r.orders === 1));
  const mismatch = status.needsAttention.orders.find((o) => o.amazonOrderId === typoOrder.orderId);
  assert.ok(mismatch, 'the typo order needs attention');
  assert.equal(mismatch.state, 'SKU_MISMATCH');
  assert.match(mismatch.reason, /fbm-mug-01/);
  assert.ok(Array.isArray(status.needsAttention.workflows), 'Temporal was asked');
  const text = ok(await conduit(['status']));
  assert.match(text.stdout, new RegExp(`order ${typoOrder.orderId} \\(${connectionId}, SKU_MISMATCH\\)`));
});

test('order status: the order as the workflow sees it', async () => {
  const run = ok(await conduit(['order', 'status', '--order', fbmOrder.orderId, '--json']));
  const s = JSON.parse(run.stdout) as OrderStatus;
  assert.equal(s.amazonOrderId, fbmOrder.orderId);
  assert.equal(s.state, 'ALLOCATED');
});

test('order retry: after the catalogue is fixed the order allocates and no longer needs attention', async () => {
  await seedConduitCatalogue(stack.db, connectionId, [typoItem]);
  const run = ok(await conduit(['order', 'retry', '--order', typoOrder.orderId, '--by', 'cli test', '--note', 'added fbm-mug-01']));
  assert.match(run.stdout, /SKU_MISMATCH → (ALLOCATED|AWAITING_STOCK)|no longer needs attention/);
  await waitFor('the typo order allocated', async () => (await statusOf(typoOrder)).state === 'ALLOCATED');
});

test('despatch: one package confirmed to Amazon exactly once; a wrong line is refused', async () => {
  const shipDate = new Date(Date.parse(fbmOrder.createdAt) + 60_000).toISOString();
  const despatch = (tracking: string, line: string) =>
    conduit(['despatch', '--order', fbmOrder.orderId, '--carrier', 'Royal Mail', '--service', 'Tracked 24', '--tracking', tracking, '--ship-date', shipDate, '--line', line]);
  // A line that is not on the order is refused by the order (exit 1) and nothing changes.
  assert.match(ok(await despatch('CLI000002GB', '99999999999999:1'), 1).stderr, /Despatch refused for .*nothing was changed/);
  const run = ok(await despatch('CLI000001GB', `${fbmOrder.items[0]!.orderItemId}:1`));
  assert.match(run.stdout, /accepted[\s\S]*Amazon accepted the shipment confirmation/);
  assert.equal((await stack.control.order(fbmOrder.orderId)).confirmationsCount, 1);
});

test('stock show | adjust | returns | inspect-return', async () => {
  const show = JSON.parse(ok(await conduit(['stock', 'show', '--sku', 'FBM-MUG-01', '--connection', connectionId, '--json'])).stdout) as { sku: string; fbm: { onHand: number } };
  assert.equal(show.sku, 'FBM-MUG-01');
  assert.equal(show.fbm.onHand, 20);
  const adjust = ok(await conduit(['stock', 'adjust', '--sku', 'FBM-MUG-01', '--delta=-2', '--reason', 'cycle count', '--key', 'cli-test-1']));
  assert.match(adjust.stdout, /Recorded -2 for "FBM-MUG-01"[\s\S]*On hand 18/);
  assert.deepEqual(JSON.parse(ok(await conduit(['stock', 'returns', '--json'])).stdout), []);
  // No such return: refused with where to look (exit 1), not a crash.
  assert.match(ok(await conduit(['stock', 'inspect-return', '--return', 'fbm:NOPE', '--decision', 'restock']), 1).stderr, /No return "fbm:NOPE"/);
});

test('reconcile: a report-only run against Amazon', async () => {
  const run = ok(await conduit(['reconcile', '--connection', connectionId, '--report-only', '--json']));
  const report = JSON.parse(run.stdout) as { connectionId: string; skusCompared: number };
  assert.equal(report.connectionId, connectionId);
  assert.ok(report.skusCompared >= 4);
});

test('listings queue | status', async () => {
  assert.match(ok(await conduit(['listings', 'queue', '--sku', 'FBM-CAP-01', '--title', 'Merino cap'])).stdout, /Queued 1 listing change/);
  const status = JSON.parse(ok(await conduit(['listings', 'status', '--json'])).stdout) as { counts: Record<string, number> };
  assert.equal(status.counts.QUEUED, 1);
});

test('checklist: eight checks, exit 0 only when ready', async () => {
  const run = await conduit(['checklist', '--connection', connectionId, '--json']);
  const report = JSON.parse(run.stdout) as { items: Array<{ id: number; passed: boolean }>; ready: boolean };
  assert.equal(report.items.length, 8);
  assert.equal(run.code, report.ready ? 0 : 1, run.stderr);
  assert.ok(report.items.find((i) => i.id === 1)?.passed, 'all four scopes answer');
});

test('migrate-mws: an SP-API connection has nothing to migrate', async () => {
  const run = ok(await conduit(['migrate-mws', '--connection', connectionId, '--wait', '--json']));
  assert.equal((JSON.parse(run.stdout) as { result: { outcome: string } }).result.outcome, 'NOT_NEEDED');
});

test('reauth url → reauth complete: the same connection re-authorised, all four scopes answer', async () => {
  const url = JSON.parse(ok(await conduit(['reauth', 'url', '--connection', connectionId, '--json'])).stdout) as { url: string; state: string };
  assert.match(url.url, /^https:\/\/sellercentral\.amazon\.co\.uk\/apps\/authorize\/consent\?application_id=/);
  const { spapi_oauth_code } = await stack.control.consent({ clientId: stack.app.clientId, sellerId: stack.sellerId, roles: [...CONDUIT_ROLES] });
  const done = ok(await conduit(['reauth', 'complete', '--connection', connectionId, '--state', url.state, '--code', spapi_oauth_code, '--by', 'cli test']));
  assert.match(done.stdout, /Refresh token renewed/);
  assert.ok(!done.stdout.includes(spapi_oauth_code), 'the code is never printed');
});

test('connection status | reset-routing | connect', async () => {
  const report = JSON.parse(ok(await conduit(['connection', 'status', '--connection', connectionId, '--json'])).stdout) as import('../../scripts/connection-status').ConnectionReport;
  assert.equal(report.connection.apiKind, 'SP_API');
  assert.deepEqual(report.workflow?.blockedScopes, []);
  assert.equal(report.schedules.length, 6);

  await stack.db.update(schema.connections).set({ downloadRules: { fbmStatuses: ['SHIPPED'], fbaStatuses: [] } }).where(eq(schema.connections.id, connectionId));
  assert.match(ok(await conduit(['connection', 'status', '--connection', connectionId])).stdout, /⚠ .*reset-routing --connection uk-cli/);
  assert.match(ok(await conduit(['connection', 'reset-routing', '--connection', connectionId])).stdout, /reset to the default/);
  const [row] = await stack.db.select({ rules: schema.connections.downloadRules }).from(schema.connections).where(eq(schema.connections.id, connectionId));
  assert.equal(row?.rules, null);

  const connect = ok(await conduit(['connection', 'connect', '--connection', 'uk-cli-second', '--seller', 'ACLISECOND01', '--marketplace', 'A1F83G8C2ARO7P']));
  assert.match(connect.stdout, /uk-cli-second: created; connection workflow connection:uk-cli-second is running/);
  assert.match(connect.stdout, /reauth url --connection uk-cli-second|consent-url/);
});

test('schedules list: every schedule of the connection', async () => {
  const rows = JSON.parse(ok(await conduit(['schedules', 'list', '--connection', connectionId, '--json'])).stdout) as Array<{ id: string; exists: boolean }>;
  assert.deepEqual(rows.map((r) => r.id).sort(), ['fba-sync', 'listing-feed', 'order-download', 'pii-purge', 'reconcile', 'returns-pickup'].map((k) => `${k}:${connectionId}`).sort());
  assert.match(ok(await conduit(['schedules', 'trigger', '--connection', connectionId, '--kind', 'pii-purge']), 1).stderr, /does not exist/);
});

test('channel-log: throttles and access denied by operation and scope, with what they mean', async () => {
  const at = new Date();
  await stack.db.insert(schema.channelLog).values([
    { at, connectionId, operation: 'getInventorySummaries', scope: 'FULFILMENT_INVENTORY', httpStatus: 429, errorCode: 'QuotaExceeded', errorType: 'Throttled', latencyMs: 30, waitedMs: 1500 },
    { at, connectionId, operation: 'getInventorySummaries', scope: 'FULFILMENT_INVENTORY', httpStatus: 429, errorCode: 'QuotaExceeded', errorType: 'Throttled', latencyMs: 30, waitedMs: 500 },
    { at, connectionId, operation: 'confirmShipment', scope: 'ORDERS', httpStatus: 403, errorCode: 'Unauthorized', errorType: 'AccessDenied', latencyMs: 40 },
  ]);
  const summary = JSON.parse(ok(await conduit(['channel-log', '--since', '1h', '--connection', connectionId, '--json'])).stdout) as import('../../scripts/channel-log').ChannelLogSummary;
  assert.ok(summary.totalCalls > 3, 'the run so far made real SP-API calls');
  const throttled = summary.groups.find((g) => g.kind === 'THROTTLED' && g.operation === 'getInventorySummaries');
  assert.equal(throttled?.calls, 2);
  assert.equal(throttled?.waitedMs, 2000);
  const denied = summary.groups.find((g) => g.kind === 'ACCESS_DENIED');
  assert.equal(denied?.operation, 'confirmShipment');
  assert.equal(denied?.symptom, 'Tracking fails to push; FBM orders stay Unshipped in Seller Central');
  const text = ok(await conduit(['channel-log', '--since', '1h'])).stdout;
  assert.match(text, /rate problem: stagger feeds\/reduce polling; Conduit waits for tokens/);
  assert.match(text, /auth problem: re-authorise, see symptom for scope/);
  assert.match(text, /confirmShipment\s+Orders\s+1/);
});

describe('bad arguments: exit 2 and the flag named', { concurrency: 2 }, () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['status', ['status', '--limit', '0'], /--limit "0"/],
    ['order status', ['order', 'status', '--order', '12345'], /--order "12345" is not an Amazon order id/],
    ['order retry', ['order', 'retry'], /--order is required/],
    ['despatch', ['despatch', '--order', '202-1234567-1234567', '--carrier', 'DPD', '--service', 'Next Day', '--ship-date', 'now', '--line', '1:1'], /--tracking is required/],
    ['stock', ['stock', 'adjust', '--connection', connectionId, '--sku', 'FBM-MUG-01', '--delta', 'lots', '--reason', 'x'], /--delta must be a whole number/],
    ['reconcile', ['reconcile', '--bogus'], /Unknown option '--bogus'/],
    ['listings', ['listings', 'queue', '--connection', connectionId], /queue needs --sku/],
    ['checklist', ['checklist', '--connection', connectionId, '--peak-hours', 'noon'], /--peak-hours "noon"/],
    ['migrate-mws', ['migrate-mws', '--connection', 'UK CLI'], /--connection "UK CLI" is not a connection id/],
    ['reauth url', ['reauth', 'url', '--connection', connectionId, '--redirect-uri', 'http://insecure.example'], /--redirect-uri must be an https:\/\//],
    ['reauth complete', ['reauth', 'complete', '--connection', connectionId, '--state', 'abc'], /--code is required/],
    ['connection status', ['connection', 'status', '--connection', 'no-such-connection'], /--connection "no-such-connection": no such connection/],
    ['connection connect', ['connection', 'connect', '--connection', 'uk-x', '--seller', 'lowercase', '--marketplace', 'A1F83G8C2ARO7P'], /--seller <sellerId> is required/],
    ['connection reset-routing', ['connection', 'reset-routing', '--connection', 'no-such-connection'], /--connection "no-such-connection"/],
    ['schedules', ['schedules', 'trigger', '--connection', connectionId, '--kind', 'weekly'], /--kind "weekly" is not a schedule kind/],
    ['channel-log', ['channel-log', '--since', 'yesterday'], /--since "yesterday" is not a duration/],
  ];
  for (const [name, args, message] of cases) {
    test(name, async () => refused(await conduit(args), message));
  }
});

test('a service that is down exits 3 with what to check', async () => {
  const saved = env;
  env = { ...env, DATABASE_URL: 'postgres://conduit:conduit@127.0.0.1:1/conduit' };
  try {
    const run = await conduit(['status']);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /Cannot reach Postgres at postgres:\/\/conduit:\*\*\*@127\.0\.0\.1:1\/conduit.*Check DATABASE_URL/);
  } finally {
    env = saved;
  }
});
