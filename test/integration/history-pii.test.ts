/**
 * No buyer PII and no secret leaves Postgres in plain text. After a real run — FBM orders with a
 * recipient (name, address line, postal code, phone) downloaded by notification and by polling,
 * one despatched and confirmed, a re-authorisation through the consent/code path — the histories
 * of every workflow on the task queue are exported from the server as stored, and searched for
 * each buyer detail, the refresh tokens (old and new), the LWA client secret and the auth code:
 * in plain text and in base64. The channel log and everything the worker logged are searched too.
 * The codec server refuses requests without its token (401) and decodes with it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Payload } from '@temporalio/common';
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
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
import { createSealer } from '../../spapi/secrets';
import { despatchUpdate, ORDER_DOWNLOAD_WORKFLOW_TYPE, orderStatusQuery, orderWorkflowId, type OrderStatus } from '../../workflows/contracts/orders';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';

// Everything the SDK logs (workflow and activity loggers, worker lifecycle) is captured: one Runtime per process.
const runtimeLogs: LogEntry[] = [];
Runtime.install({ logger: new DefaultLogger('DEBUG', (entry) => runtimeLogs.push(entry)) });
const conduitLogs: string[] = [];
const captureLog: Logger = {
  debug: (message, fields) => conduitLogs.push(JSON.stringify({ level: 'debug', message, fields })),
  info: (message, fields) => conduitLogs.push(JSON.stringify({ level: 'info', message, fields })),
  warn: (message, fields) => conduitLogs.push(JSON.stringify({ level: 'warn', message, fields })),
  error: (message, fields) => conduitLogs.push(JSON.stringify({ level: 'error', message, fields })),
};

const connectionId = 'uk-pii';
let stack: Stack;
let orders: SimOrderView[];
/** What must never appear outside Postgres's sealed columns, by name (for the failure message). */
const secrets = new Map<string, string>();

/** Base64 forms of `text` at each of the three byte alignments (the middle part that does not depend on neighbours). */
export function base64Forms(text: string): string[] {
  const bytes = Buffer.from(text, 'utf8');
  const forms: string[] = [];
  for (const pad of [0, 1, 2]) {
    const b64 = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64').replace(/=+$/, '');
    const start = Math.ceil((pad * 8) / 6);
    const end = Math.floor(((pad + bytes.length) * 8) / 6);
    const core = b64.slice(start, end);
    if (core.length >= 6) forms.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms;
}

/** Every string and every byte field (as UTF-8 and as base64) of a decoded proto object, joined. */
function corpusOf(value: unknown, out: string[] = []): string[] {
  if (value === null || value === undefined) return out;
  if (value instanceof Uint8Array) {
    const buf = Buffer.from(value);
    out.push(buf.toString('utf8'), buf.toString('base64'));
  } else if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) corpusOf(v, out);
  else if (typeof value === 'object') for (const v of Object.values(value as Record<string, unknown>)) corpusOf(v, out);
  return out;
}

/** The findings: which secret appears where, plain or base64. */
function leaks(where: string, text: string): string[] {
  const found: string[] = [];
  for (const [name, value] of secrets) {
    if (text.includes(value)) found.push(`${where}: ${name} in plain text`);
    else if (base64Forms(value).some((f) => text.includes(f))) found.push(`${where}: ${name} in base64`);
  }
  return found;
}

const statusOf = (o: SimOrderView): Promise<OrderStatus> => stack.client.workflow.getHandle(orderWorkflowId(o.marketplaceId, o.orderId)).query(orderStatusQuery);

before(async () => {
  stack = await startStack({ connectionId, notifications: true, log: captureLog });
  stack.deps.clock = () => new Date(stack.simulator.sim.core.now());
  const sealer = createSealer(Buffer.from(stack.encryption.keyBase64, 'base64'), stack.encryption.keyId);

  // FBM orders with buyers whose details are easy to spot.
  ({ orders } = await stack.control.createOrders(stack.sellerId, [
    { fulfilledBy: 'MERCHANT', items: [{ sku: 'FBM-MUG-01', quantity: 1 }], pendingSeconds: 0, buyerName: 'Philippa Quillfeather-Marsh', buyerEmail: 'philippa.qm@example.co.uk' },
    { fulfilledBy: 'MERCHANT', items: [{ sku: 'FBM-CAP-01', quantity: 1 }, { sku: 'HYB-TEE-01', quantity: 1 }], pendingSeconds: 0, buyerName: 'Barnaby Oakenshaw-Tilt' },
    { fulfilledBy: 'AMAZON', items: [{ sku: 'FBA-BOOK-01', quantity: 1 }], pendingSeconds: 0, buyerName: 'Cordelia Fennimore-Vane' },
  ]));
  for (const [i, o] of orders.entries()) {
    secrets.set(`order ${i + 1} buyer name`, o.buyer.name);
    secrets.set(`order ${i + 1} buyer email`, o.buyer.email);
    for (const field of ['name', 'addressLine1', 'postalCode', 'phone'] as const) if (o.address[field]) secrets.set(`order ${i + 1} recipient ${field}`, o.address[field]!);
  }
  secrets.set('LWA client secret', stack.app.clientSecret);
  const [conn] = await stack.db.select().from(schema.connections).where(eq(schema.connections.id, connectionId));
  secrets.set('refresh token (onboarding)', sealer.open(conn!.refreshTokenEnc!));

  // Notifications bring them in; one polling download too (the searchOrders path with RECIPIENT).
  for (const o of orders) await waitFor(`${o.orderId} handed to its workflow`, async () => (await statusOf(o)).amazonStatus !== null);
  await new Promise((r) => setTimeout(r, 3_000)); // 3 simulated minutes: past Amazon's 2-minute lastUpdatedBefore rule
  await stack.client.workflow.execute(ORDER_DOWNLOAD_WORKFLOW_TYPE, { workflowId: `pii-download-${Date.now()}`, taskQueue: stack.taskQueue, args: [{ connectionId }] });

  // Despatch the first order: confirmShipment carries the package, not the address.
  const first = orders[0]!;
  await waitFor('allocated', async () => (await statusOf(first)).state === 'ALLOCATED');
  await stack.client.workflow.getHandle(orderWorkflowId(first.marketplaceId, first.orderId)).executeUpdate(despatchUpdate, {
    args: [{ carrierCode: 'Royal Mail', shippingMethod: 'Tracked 24', trackingNumber: 'PII000001GB', shipDate: new Date(Date.parse(first.createdAt) + 60_000).toISOString(), lines: [{ orderItemId: first.items[0]!.orderItemId, quantity: 1 }] }],
  });
  await waitFor('confirmed', async () => (await statusOf(first)).packages.some((p) => p.status === 'CONFIRMED'));

  // Re-authorise through the consent URL and code: the code and the new refresh token pass through workflows' activities.
  const ctx: ScriptContext = {
    config: loadConfig({ SPAPI_APPLICATION_ID: stack.app.applicationId, SPAPI_ENDPOINT: stack.simulatorUrl }),
    client: async () => stack.client,
    taskQueue: stack.taskQueue,
    out: () => {},
    err: () => {},
  };
  const { state } = await createConsentUrl(ctx, { connectionId });
  const { spapi_oauth_code } = await stack.control.consent({ clientId: stack.app.clientId, sellerId: stack.sellerId, roles: [...CONDUIT_ROLES] });
  secrets.set('authorisation code', spapi_oauth_code);
  const { result } = await completeReauth(ctx, { connectionId, state, code: spapi_oauth_code, by: 'pii test' });
  assert.equal(result.deniedScopes.length, 0);
  const [renewed] = await stack.db.select().from(schema.connections).where(eq(schema.connections.id, connectionId));
  secrets.set('refresh token (re-authorised)', sealer.open(renewed!.refreshTokenEnc!));
});

after(async () => {
  await stack?.stop();
});

test('the buyer details did reach Conduit (sealed in Postgres), so their absence elsewhere means something', async () => {
  const sealer = createSealer(Buffer.from(stack.encryption.keyBase64, 'base64'), stack.encryption.keyId);
  const rows = await stack.db.select().from(schema.orders).where(eq(schema.orders.connectionId, connectionId));
  const fbm = rows.filter((r) => r.fulfilledBy === 'MERCHANT');
  assert.equal(fbm.length, 2);
  for (const row of fbm) {
    assert.match(row.recipientEnc ?? '', /^enc:/, 'the recipient is stored sealed');
    const order = orders.find((o) => o.orderId === row.amazonOrderId)!;
    assert.ok(sealer.open(row.recipientEnc!).includes(order.address.postalCode!), 'the sealed recipient holds the real postal code');
    assert.equal(leaks('orders row', JSON.stringify({ ...row, recipientEnc: undefined })).length, 0);
  }
  assert.notEqual(secrets.get('refresh token (onboarding)'), secrets.get('refresh token (re-authorised)'), 'the token was renewed');
});

test('the search itself finds a secret in plain text and in base64 at any alignment', () => {
  const [name, value] = [...secrets].find(([n]) => n.startsWith('order 1 recipient postalCode'))!;
  for (const prefix of ['', 'a', 'ab', 'abc']) {
    const blob = `${prefix}{"postalCode":"${value}","x":1}`;
    assert.ok(leaks('probe', blob).includes(`probe: ${name} in plain text`), `plain, prefix ${JSON.stringify(prefix)}`);
    assert.ok(leaks('probe', Buffer.from(blob).toString('base64')).includes(`probe: ${name} in base64`), `base64, prefix ${JSON.stringify(prefix)}`);
  }
  assert.ok(leaks('probe', corpusOf({ data: Buffer.from(`{"recipient":"${value}"}`) }).join('\n')).includes(`probe: ${name} in plain text`), 'payload bytes are searched');
});

test('no workflow history on the server holds buyer PII or a secret, in plain text or base64', async () => {
  const histories: Array<{ workflowId: string; type: string; events: number; text: string }> = [];
  for await (const w of stack.client.workflow.list({ query: `TaskQueue = "${stack.taskQueue}"` })) {
    const history = await stack.client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
    // As stored on the server: payload bytes are whatever the worker sent (encrypted, if the codec did its job).
    histories.push({ workflowId: w.workflowId, type: w.type, events: history.events?.length ?? 0, text: corpusOf(history).join('\n') });
  }
  const types = new Set(histories.map((h) => h.type));
  for (const type of ['amazonOrder', 'orderNotification', 'orderDownload', 'connectionWorkflow', 'consentRequest', 'completeReauthorisation']) {
    assert.ok(types.has(type), `a ${type} history was exported (got ${[...types].join(', ')})`);
  }
  assert.ok(histories.filter((h) => h.type === 'amazonOrder').length >= 3);
  // Positive control: the corpus really contains payload bytes (the order ids are in workflow IDs and search attributes).
  assert.ok(histories.some((h) => h.text.includes(orders[0]!.orderId)));
  const found = histories.flatMap((h) => leaks(`${h.type} ${h.workflowId}`, h.text));
  assert.deepEqual(found, []);
});

test('the channel log and everything the worker logged hold no PII or secret', async () => {
  const rows = await stack.db.select().from(schema.channelLog).where(eq(schema.channelLog.connectionId, connectionId));
  assert.ok(rows.length > 10, 'SP-API calls were logged');
  assert.ok(rows.some((r) => r.operation === 'getOrder') && rows.some((r) => r.operation === 'confirmShipment'));
  assert.deepEqual(leaks('channel_log', JSON.stringify(rows)), []);
  assert.ok(runtimeLogs.length > 0, 'worker logs were captured');
  const runtimeText = runtimeLogs.map((e) => JSON.stringify({ message: e.message, meta: e.meta })).join('\n');
  assert.deepEqual(leaks('worker log (Temporal runtime)', runtimeText), []);
  assert.deepEqual(leaks('Conduit activity log', conduitLogs.join('\n')), []);
});

test('the codec server refuses requests without its token (401) and decodes with it', async () => {
  const key = Buffer.from(stack.encryption.keyBase64, 'base64');
  const token = 'pii-test-codec-token-0123456789';
  const server = await startCodecServer({ codec: new AesGcmPayloadCodec({ [stack.encryption.keyId]: key }, stack.encryption.keyId), token, port: 0 });
  try {
    // A real encrypted payload from the server: the order workflow's input.
    const first = orders[0]!;
    const history = await stack.client.workflow.getHandle(orderWorkflowId(first.marketplaceId, first.orderId)).fetchHistory();
    const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0] as Payload | undefined;
    assert.ok(input?.data, 'the start event has an input payload');
    assert.ok(!Buffer.from(input.data).toString('utf8').includes(first.orderId), 'stored encrypted');
    const body = JSON.stringify({
      payloads: [{ metadata: Object.fromEntries(Object.entries(input.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])), data: Buffer.from(input.data).toString('base64') }],
    });
    const post = (url: string, headers: Record<string, string> = {}) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });

    assert.equal((await post(`${server.url}/decode`)).status, 401, 'no token');
    assert.equal((await post(`${server.url}/decode`, { Authorization: 'Bearer wrong-token-wrong-token' })).status, 401, 'wrong bearer token');
    assert.equal((await post(`${server.url}/t/wrong-token-wrong-token/decode`)).status, 401, 'wrong path token');

    for (const res of [await post(`${server.url}/decode`, { Authorization: `Bearer ${token}` }), await post(`${server.endpoint}/decode`)]) {
      assert.equal(res.status, 200);
      const decoded = (await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
      const json = JSON.parse(Buffer.from(decoded.payloads[0]!.data, 'base64').toString('utf8')) as { amazonOrderId: string; connectionId: string };
      assert.equal(json.amazonOrderId, first.orderId);
      assert.equal(json.connectionId, connectionId);
    }
  } finally {
    await server.close();
  }
});
