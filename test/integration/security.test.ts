/**
 * Security after a full run (real dev server, Postgres, simulator, real worker): orders are
 * downloaded, despatched, confirmed and verified while Amazon expires access tokens, revokes a
 * scope (re-authorised through the consent-code path) and answers with faults. Then every place
 * a secret could leak is scanned — every table, the worker's log lines and the SDK's, every
 * workflow history (failure messages and search attributes in plain, payloads decrypted) and the
 * channel log — for refresh tokens, the client secret, access tokens and the consent code; buyer
 * PII is found only sealed in orders.recipient_enc, and the scheduled purge removes it 30 days
 * after shipping. Finally the loopback-only listeners and the codec server's token.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { ensureOrderDownloadSchedule } from '../../activities/orders';
import { ensurePiiPurgeSchedule } from '../../activities/pii';
import type { Logger } from '../../activities/deps';
import { AesGcmPayloadCodec } from '../../codec/payload-codec';
import { startCodecServer } from '../../codec/server';
import { loadConfig } from '../../config';
import { schema } from '../../db/client';
import { CONDUIT_ROLES } from '../../domain/scopes';
import { completeReauth } from '../../scripts/complete-reauth';
import { createConsentUrl } from '../../scripts/consent-url';
import type { ScriptContext } from '../../scripts/lib/connection-cli';
import type { SimOrderView } from '../../simulator/control-client';
import { connectionStatusQuery, connectionWorkflowId } from '../../workflows/contracts/connection';
import { despatchUpdate, orderStatusQuery, orderWorkflowId, type OrderStatus } from '../../workflows/contracts/orders';
import { PII_PURGE_WORKFLOW_TYPE, PII_RETENTION_DAYS, type PiiPurgeResult } from '../../workflows/contracts/pii';
import { scheduleId } from '../../workflows/contracts/schedules';
import { decodeHistory } from '../replay/history-file';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';

// Everything the SDK logs (worker, workflows, activities) is kept for the scan.
const sdkLogs: string[] = [];
Runtime.install({ logger: new DefaultLogger('INFO', (entry) => sdkLogs.push(`${entry.level} ${entry.message} ${safeJson(entry.meta)}`)) });

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) ?? '';
  } catch {
    return String(value);
  }
}

const appLogs: string[] = [];
const capture: Logger = {
  debug: (m, f) => appLogs.push(`debug ${m} ${safeJson(f)}`),
  info: (m, f) => appLogs.push(`info ${m} ${safeJson(f)}`),
  warn: (m, f) => appLogs.push(`warn ${m} ${safeJson(f)}`),
  error: (m, f) => appLogs.push(`error ${m} ${safeJson(f)}`),
};

const connectionId = `uk-sec-${randomBytes(2).toString('hex')}`;
const ALL_ROLES = [...CONDUIT_ROLES, 'Amazon Fulfillment'];
const ORDERS_ROLES = ['Inventory and Order Tracking', 'Direct-to-Consumer Shipping'];
const BUYERS = ['Ottoline Pemberton-Quayle', 'Bartholomew Fenwick-Strang', 'Seraphina Ugglebarnby', 'Cuthbert Wimpole-Drax'];

let stack: Stack;
let ctx: ScriptContext;
/** Every secret seen during the run, by kind. */
const secrets = { refreshTokens: new Set<string>(), accessTokens: new Set<string>(), consentCodes: new Set<string>(), clientSecrets: new Set<string>() };
let orders: SimOrderView[] = [];
let harvest: NodeJS.Timeout | undefined;

function harvestTokens(): void {
  for (const a of stack.simulator.state.authorisations.values()) secrets.refreshTokens.add(a.refreshToken);
  for (const token of stack.simulator.state.accessTokens.keys()) secrets.accessTokens.add(token);
}

before(async () => {
  stack = await startStack({ connectionId, notifications: true, roles: ALL_ROLES, log: capture, simulator: { fbaShipSeconds: 60 } });
  stack.deps.clock = () => new Date(stack.simulator.sim.core.now());
  secrets.clientSecrets.add(stack.app.clientSecret);
  harvestTokens();
  harvest = setInterval(harvestTokens, 200);
  ctx = {
    config: loadConfig({ SPAPI_APPLICATION_ID: stack.app.applicationId, SPAPI_ENDPOINT: stack.simulatorUrl }),
    client: async () => stack.client,
    taskQueue: stack.taskQueue,
    out: () => {},
    err: () => {},
  };
});

after(async () => {
  clearInterval(harvest);
  await stack?.client.schedule.getHandle(scheduleId('order-download', connectionId)).delete().catch(() => {});
  await stack?.client.schedule.getHandle(scheduleId('pii-purge', connectionId)).delete().catch(() => {});
  await stack?.stop();
});

const handleOf = (orderId: string) => stack.client.workflow.getHandle(orderWorkflowId(stack.marketplaceId, orderId));
const stateOf = async (orderId: string): Promise<OrderStatus> => handleOf(orderId).query(orderStatusQuery);
const inState = (orderId: string, ...states: OrderStatus['state'][]) =>
  waitFor(`${orderId} in ${states.join('/')}`, async () => {
    const s = await stateOf(orderId);
    return states.includes(s.state) ? s : undefined;
  });

async function despatch(order: SimOrderView, tracking: string) {
  return handleOf(order.orderId).executeUpdate(despatchUpdate, {
    args: [
      {
        carrierCode: 'Royal Mail',
        shippingMethod: 'Tracked 24',
        trackingNumber: tracking,
        shipDate: new Date(Date.parse(order.createdAt) + 60_000).toISOString(),
        lines: order.items.map((i) => ({ orderItemId: i.orderItemId, quantity: i.quantityOrdered })),
        by: 'security test',
      },
    ],
  });
}

test('a full run: downloaded, despatched, confirmed and verified through token expiry, faults and a revoked scope re-authorised', async () => {
  await ensureOrderDownloadSchedule(stack.client, { connectionId, intervalMs: 3000, taskQueue: stack.taskQueue });
  ({ orders } = await stack.control.createOrders(stack.sellerId, [
    { fulfilledBy: 'MERCHANT', items: [{ sku: 'FBM-MUG-01', quantity: 1 }], pendingSeconds: 0, buyerName: BUYERS[0], buyerEmail: 'ottoline@example.invalid' },
    { fulfilledBy: 'MERCHANT', items: [{ sku: 'FBM-CAP-01', quantity: 1 }], pendingSeconds: 0, buyerName: BUYERS[1], buyerEmail: 'bartholomew@example.invalid' },
    { fulfilledBy: 'MERCHANT', items: [{ sku: 'HYB-TEE-01', quantity: 1 }], pendingSeconds: 0, buyerName: BUYERS[2], buyerEmail: 'seraphina@example.invalid' },
    { fulfilledBy: 'MERCHANT', items: [{ sku: 'FBM-MUG-01', quantity: 2 }], pendingSeconds: 0, buyerName: BUYERS[3], buyerEmail: 'cuthbert@example.invalid' },
    { fulfilledBy: 'AMAZON', items: [{ sku: 'FBA-BOOK-01', quantity: 1 }], pendingSeconds: 0 },
  ]));
  const [first, second, third, cancelled, fba] = orders as [SimOrderView, SimOrderView, SimOrderView, SimOrderView, SimOrderView];
  for (const o of [first, second, third, cancelled]) await inState(o.orderId, 'ALLOCATED');
  await inState(fba.orderId, 'FBA_RECORDED', 'FBA_SHIPPED');

  // Amazon expires every access token and answers a few calls with faults whose bodies get logged.
  await stack.control.expireAccessTokens();
  await stack.control.setFaults([
    { operation: 'orders.getOrder', kind: 'serviceUnavailable', count: 1 },
    { operation: 'orders.confirmShipment', kind: 'internalFailure', count: 1 },
  ]);
  await stack.control.cancelOrder(cancelled.orderId, { reason: 'buyer changed mind' });
  await inState(cancelled.orderId, 'CANCELLED');
  assert.equal((await despatch(first, 'RM100000001GB')).accepted, true);
  await inState(first.orderId, 'SHIPPED');

  // The seller loses the Orders roles: the next confirmation is AccessDenied and waits.
  await stack.control.revokeRoles(stack.sellerId, ORDERS_ROLES, stack.app.clientId);
  assert.equal((await despatch(second, 'RM100000002GB')).accepted, true);
  const connection = stack.client.workflow.getHandle(connectionWorkflowId(connectionId));
  await waitFor('ORDERS blocked', async () => (await connection.query(connectionStatusQuery)).blockedScopes.some((b) => b.scope === 'ORDERS'));
  await stack.control.grantRoles(stack.sellerId, ORDERS_ROLES, stack.app.clientId);
  const { state } = await createConsentUrl(ctx, { connectionId });
  const { spapi_oauth_code } = await stack.control.consent({ clientId: stack.app.clientId, sellerId: stack.sellerId, roles: ALL_ROLES });
  secrets.consentCodes.add(spapi_oauth_code);
  const { result } = await completeReauth(ctx, { connectionId, state, code: spapi_oauth_code, by: 'security test' });
  assert.deepEqual(result.deniedScopes, []);
  assert.equal((await despatch(third, 'RM100000003GB')).accepted, true);
  for (const o of [second, third]) await inState(o.orderId, 'SHIPPED');
  await stack.control.clearFaults();
  harvestTokens();
  assert.ok(secrets.refreshTokens.size >= 2, 'the re-authorisation issued a second refresh token');
  assert.ok(secrets.accessTokens.size >= 2, 'access tokens were refreshed after the expiry');
});

/** Every secret value, with its kind, that must never be readable. */
function secretValues(kinds: Array<keyof typeof secrets>): Array<{ kind: string; value: string }> {
  return kinds.flatMap((kind) => [...secrets[kind]].filter((v) => v.length >= 8).map((value) => ({ kind, value })));
}

function assertNoSecrets(where: string, text: string, kinds: Array<keyof typeof secrets>): void {
  for (const { kind, value } of secretValues(kinds)) {
    assert.ok(!text.includes(value), `${where} contains a ${kind} value (${value.slice(0, 6)}…)`);
  }
}

/** Every row of every table in the test database, as text. */
async function everyTable(): Promise<Record<string, string>> {
  const tables = await stack.db.execute<{ table_name: string }>(sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`);
  const out: Record<string, string> = {};
  for (const { table_name } of tables) {
    const [row] = await stack.db.execute<{ text: string | null }>(sql`select string_agg(t::text, E'\n') as text from ${sql.identifier(table_name)} t`);
    out[table_name] = row?.text ?? '';
  }
  return out;
}

/** Every workflow this stack ran: its history raw (what the server stores) and with payloads decrypted. */
async function everyHistory(): Promise<Array<{ workflowId: string; raw: string; decoded: string; searchAttributes: string }>> {
  const codecs = stack.client.workflow.options.loadedDataConverter.payloadCodecs;
  const out: Array<{ workflowId: string; raw: string; decoded: string; searchAttributes: string }> = [];
  for await (const wf of stack.client.workflow.list({ query: `TaskQueue = "${stack.taskQueue}"` })) {
    const history = await stack.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    const decodedJson = await decodeHistory(history, codecs);
    const texts: string[] = [];
    const visit = (node: unknown): void => {
      if (typeof node !== 'object' || node === null) return;
      const p = node as { metadata?: unknown; data?: unknown };
      if (typeof p.data === 'string' && typeof p.metadata === 'object') texts.push(Buffer.from(p.data, 'base64').toString('utf8'));
      for (const value of Object.values(node)) visit(value);
    };
    visit(decodedJson);
    out.push({
      workflowId: wf.workflowId,
      raw: safeJson(history),
      decoded: `${safeJson(decodedJson)}\n${texts.join('\n')}`,
      searchAttributes: safeJson(wf.typedSearchAttributes) + safeJson(wf.searchAttributes),
    });
  }
  return out;
}

test('refresh tokens and client secrets: sealed at rest, never in tables, logs, errors, search attributes or the channel log', async () => {
  const [row] = await stack.db.select().from(schema.connections).where(eq(schema.connections.id, connectionId));
  assert.match(row!.refreshTokenEnc ?? '', /^enc:[^:]+:[A-Za-z0-9+/]+=*$/, 'the refresh token is stored sealed');
  const current = stack.deps.sealer.open(row!.refreshTokenEnc!);
  assert.ok(secrets.refreshTokens.has(current), 'the sealed token opens to a token Amazon issued (the re-authorised one)');

  const tables = await everyTable();
  assert.ok(Number(tables.channel_log?.split('\n').length) > 10, 'the channel log recorded the run');
  for (const [table, text] of Object.entries(tables)) assertNoSecrets(`table ${table}`, text, ['refreshTokens', 'accessTokens', 'clientSecrets', 'consentCodes']);
  assert.match(tables.channel_log ?? '', /AccessDenied/, 'the revoked scope is in the channel log (as a type, without any token)');

  assert.ok(appLogs.length > 0 && sdkLogs.length > 0, 'both loggers wrote something');
  assertNoSecrets('the worker log', appLogs.join('\n'), ['refreshTokens', 'accessTokens', 'clientSecrets', 'consentCodes']);
  assertNoSecrets('the SDK log', sdkLogs.join('\n'), ['refreshTokens', 'accessTokens', 'clientSecrets', 'consentCodes']);

  const histories = await everyHistory();
  assert.ok(histories.length >= 8, `every workflow was listed (${histories.length})`);
  assert.ok(histories.some((h) => /AccessDenied/.test(h.raw)), 'an AccessDenied failure is in some history');
  for (const h of histories) {
    // Failure messages, stack traces and search attributes are stored in plain text by the server.
    assertNoSecrets(`history of ${h.workflowId} (as stored)`, h.raw, ['refreshTokens', 'accessTokens', 'clientSecrets', 'consentCodes']);
    assertNoSecrets(`search attributes of ${h.workflowId}`, h.searchAttributes, ['refreshTokens', 'accessTokens', 'clientSecrets', 'consentCodes']);
    // Decrypted payloads may carry the one-use consent code (the re-authorisation input), never a token or secret.
    assertNoSecrets(`history of ${h.workflowId} (payloads decrypted)`, h.decoded, ['refreshTokens', 'accessTokens', 'clientSecrets']);
  }
});

test('buyer PII exists only sealed in orders.recipient_enc: not in other tables, logs or any workflow payload', async () => {
  const fbm = await stack.db.select().from(schema.orders).where(and(eq(schema.orders.connectionId, connectionId), eq(schema.orders.fulfilledBy, 'MERCHANT')));
  assert.equal(fbm.length, 4);
  for (const o of fbm) assert.match(o.recipientEnc ?? '', /^enc:/, `${o.amazonOrderId}: the recipient is sealed`);
  const pii = orders.flatMap((o) => [o.buyer.name, o.buyer.email, o.address.addressLine1, o.address.postalCode].filter((v): v is string => typeof v === 'string' && v.length >= 6));
  const everywhere = [
    ...Object.entries(await everyTable()).map(([t, text]) => ({ where: `table ${t}`, text })),
    { where: 'the worker log', text: appLogs.join('\n') },
    { where: 'the SDK log', text: sdkLogs.join('\n') },
    ...(await everyHistory()).map((h) => ({ where: `history of ${h.workflowId} (decrypted)`, text: `${h.raw}\n${h.decoded}` })),
  ];
  for (const { where, text } of everywhere) for (const value of pii) assert.ok(!text.includes(value), `${where} contains buyer PII (${value.slice(0, 3)}…)`);
});

test(`the pii-purge schedule removes the recipient ${PII_RETENTION_DAYS} days after shipping, and nothing sooner`, async () => {
  const schedule = await ensurePiiPurgeSchedule(stack.client, { connectionId, taskQueue: stack.taskQueue });
  assert.equal(schedule.scheduleId, scheduleId('pii-purge', connectionId));
  const description = await stack.client.schedule.getHandle(schedule.scheduleId).describe();
  assert.equal(description.action.type === 'startWorkflow' ? description.action.workflowType : '', PII_PURGE_WORKFLOW_TYPE);
  assert.equal(description.spec.intervals?.[0]?.every, 24 * 3_600_000);

  const [first, second, third, cancelled, fba] = orders as [SimOrderView, SimOrderView, SimOrderView, SimOrderView, SimOrderView];
  const now = stack.simulator.sim.core.now();
  const daysAgo = (d: number) => new Date(now - d * 86_400_000);
  const key = (o: SimOrderView) => and(eq(schema.orders.marketplaceId, stack.marketplaceId), eq(schema.orders.amazonOrderId, o.orderId));
  // Shipped 31 days ago: due. Shipped 29 days ago: not yet. Just shipped: not yet. Cancelled 31 days ago: due.
  await stack.db.update(schema.orders).set({ shippedAt: daysAgo(31) }).where(key(first));
  await stack.db.update(schema.orders).set({ shippedAt: daysAgo(29) }).where(key(second));
  await stack.db.update(schema.orders).set({ amazonUpdatedAt: daysAgo(31) }).where(key(cancelled));
  const before = await stack.db.select().from(schema.orders).where(eq(schema.orders.connectionId, connectionId));
  assert.ok(before.every((o) => o.piiPurgedAt === null));
  assert.ok(before.find((o) => o.amazonOrderId === third.orderId)?.shippedAt, 'a verified shipment records shipped_at');

  // The scheduled run (triggered now rather than waiting a day).
  await stack.client.schedule.getHandle(schedule.scheduleId).trigger();
  const run = await waitFor('the scheduled purge run', async () => {
    const desc = await stack.client.schedule.getHandle(schedule.scheduleId).describe();
    return desc.info.recentActions.at(-1)?.action;
  });
  const result = (await stack.client.workflow.getHandle(run.workflow.workflowId, run.workflow.firstExecutionRunId).result()) as PiiPurgeResult;
  assert.equal(result.purged, 2);

  const afterRows = await stack.db.select().from(schema.orders).where(inArray(schema.orders.amazonOrderId, orders.map((o) => o.orderId)));
  const byId = new Map(afterRows.map((o) => [o.amazonOrderId, o]));
  for (const o of [first, cancelled]) {
    assert.equal(byId.get(o.orderId)?.recipientEnc, null, `${o.orderId}: recipient purged`);
    assert.ok(byId.get(o.orderId)?.piiPurgedAt, `${o.orderId}: purge time recorded`);
  }
  for (const o of [second, third]) {
    assert.match(byId.get(o.orderId)?.recipientEnc ?? '', /^enc:/, `${o.orderId}: within 30 days, still kept`);
    assert.equal(byId.get(o.orderId)?.piiPurgedAt, null);
  }
  assert.equal(byId.get(fba.orderId)?.recipientEnc, null, 'FBA orders never held a recipient');
  const unchanged = (a: (typeof afterRows)[number], b: (typeof afterRows)[number]) => a.state === b.state && a.amazonStatus === b.amazonStatus && a.needsAttention === b.needsAttention;
  for (const o of before) assert.ok(unchanged(o, byId.get(o.amazonOrderId)!), `${o.amazonOrderId}: only PII columns change`);

  // A second run finds nothing left to do.
  const again = await stack.client.workflow.execute(PII_PURGE_WORKFLOW_TYPE, { taskQueue: stack.taskQueue, workflowId: `pii-purge-again-${connectionId}`, args: [{ connectionId }] });
  assert.equal((again as PiiPurgeResult).purged, 0);
});

/** Addresses of this machine other than loopback (where a 0.0.0.0 listener would answer). */
function externalAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((i): i is os.NetworkInterfaceInfo => !!i && !i.internal && i.family === 'IPv4')
    .map((i) => i.address);
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

test('the simulator control API, the notification receiver and the codec server listen on loopback; the codec server wants its token', async () => {
  const token = randomBytes(16).toString('hex');
  const key = randomBytes(32);
  const codec = await startCodecServer({ codec: new AesGcmPayloadCodec({ k: key }, 'k'), token, port: 0 });
  try {
    const listeners = { simulator: new URL(stack.simulatorUrl), notifications: new URL(stack.notifications!.url), codec: new URL(codec.url) };
    for (const [name, url] of Object.entries(listeners)) {
      assert.equal(url.hostname, '127.0.0.1', `${name} listens on 127.0.0.1`);
      assert.equal(await connects('127.0.0.1', Number(url.port)), true, `${name} answers on loopback`);
      for (const address of externalAddresses()) assert.equal(await connects(address, Number(url.port)), false, `${name} does not answer on ${address}`);
    }
    assert.equal((await fetch(`${stack.simulatorUrl}/_sim/health`)).status, 200);

    const encoded = await new AesGcmPayloadCodec({ k: key }, 'k').encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"hello"') }]);
    const body = JSON.stringify({
      payloads: encoded.map((p) => ({
        metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
        data: Buffer.from(p.data!).toString('base64'),
      })),
    });
    const post = (path: string, headers: Record<string, string> = {}) => fetch(`${codec.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    assert.equal((await post('/decode')).status, 401, 'no token');
    assert.equal((await post('/decode', { authorization: 'Bearer wrong-token-0123456789' })).status, 401, 'wrong bearer token');
    assert.equal((await post(`/t/${'x'.repeat(token.length)}/decode`)).status, 401, 'wrong path token');
    assert.equal((await post('/encode')).status, 401, 'encode needs the token too');
    const ok = await post('/decode', { authorization: `Bearer ${token}` });
    assert.equal(ok.status, 200);
    const decoded = (await ok.json()) as { payloads: Array<{ data: string }> };
    assert.equal(Buffer.from(decoded.payloads[0]!.data, 'base64').toString(), '"hello"');
    assert.equal((await post(`/t/${token}/decode`)).status, 200, 'the path form the Web UI uses');
    await assert.rejects(startCodecServer({ codec: new AesGcmPayloadCodec({ k: key }, 'k'), token: 'short', port: 0 }), /at least 16 characters/);
  } finally {
    await codec.close();
  }
});
