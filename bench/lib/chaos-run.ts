/**
 * The chaos run: a peak-day scenario on the harness while the machinery is broken on purpose —
 * the worker process SIGKILLed several times, the Temporal dev server restarted (same SQLite
 * file), Postgres restarted (same data folder), 5% 5xx and 2% dropped connections on every SP-API
 * call (half of the drops after Amazon acted), a scope revoked and re-authorised through the
 * consent-code path, access tokens expired. Then the invariants are checked against Amazon (the
 * simulator) and the database. Used by `npm run chaos` and test/integration/chaos.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { loadConfig } from '../../config';
import { schema } from '../../db/client';
import { rolesForScope, SCOPES } from '../../domain/scopes';
import { completeReauth } from '../../scripts/complete-reauth';
import { createConsentUrl } from '../../scripts/consent-url';
import type { ScriptContext } from '../../scripts/lib/connection-cli';
import { completeReauthorisationWorkflowType, connectionStatusQuery, connectionWorkflowId, consentRequestWorkflowType } from '../../workflows/contracts/connection';
import { TERMINAL_ORDER_STATES } from '../../workflows/contracts/orders';
import { peakCatalogue } from './catalogue';
import { sleep, startHarness, waitUntil, type Harness } from './harness';
import { amazonOrders, cancelSome, census, createReturns, fbmDrift, mustBeDownloaded, oversoldOrders, startBulkFeed, startScaledSchedules, Warehouse } from './scenario';

export interface ChaosOptions {
  orders: number;
  skus: number;
  timeScale: number;
  seed: number;
  /** Real seconds over which orders arrive and faults are injected. */
  durationS: number;
  workerKills: number;
  /** Real seconds to wait for everything to settle afterwards. */
  settleTimeoutS: number;
  dir: string;
  log?: (line: string) => void;
}

export interface InjectedEvent {
  atRealS: number;
  atSim: string;
  what: string;
}

export interface InvariantResult {
  name: string;
  ok: boolean;
  found: string;
}

export interface ChaosReport {
  options: Omit<ChaosOptions, 'log' | 'dir'>;
  injected: InjectedEvent[];
  invariants: InvariantResult[];
  orders: { onAmazon: number; mustBeDownloaded: number; inConduit: number; byState: Record<string, number>; cancelled: number; returns: number };
  spApi: { calls: number; faults: number; throttled: number; denied: number };
  workers: { starts: number; kills: number; cpuSeconds: number };
  settledAfterS: number;
  realSeconds: number;
}

/** Workflows an operator script starts and waits for: their failure is printed to that operator (exit 1). */
const OPERATOR_COMMANDS = [consentRequestWorkflowType, completeReauthorisationWorkflowType];
const ORDERS_ROLES = rolesForScope('ORDERS').map((r) => r.replace(/ \(Restricted\)$/, ''));
const ALL_ROLES = ['Selling Partner Insights', 'Inventory and Order Tracking', 'Product Listing', 'Direct-to-Consumer Shipping', 'Amazon Fulfillment'];

/** Runs the chaos scenario and returns what was injected and what each invariant found. */
export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const log = opts.log ?? (() => {});
  const started = Date.now();
  const catalogue = peakCatalogue(opts.skus, { fbmQuantity: 200, fbaQuantity: 200 });
  const h = await startHarness({
    dir: opts.dir,
    timeScale: opts.timeScale,
    seed: opts.seed,
    catalogue,
    connectionId: 'uk-chaos',
    workerLogs: true,
    superviseWorkers: true,
    // FBA orders ship within the run, so every order can reach a final state. The seller consents in real
    // time, not in simulated time: Amazon's 5-minute consent code lives 5 real minutes here (at ×30 five
    // simulated minutes are 10 real seconds, less than a re-authorisation takes on a machine under chaos).
    simulator: { fbaShipSeconds: 600, fbaLagSeconds: 1800, consentCodeTtlSeconds: 300 * opts.timeScale },
    log,
  });
  const injected: InjectedEvent[] = [];
  const inject = (what: string) => {
    injected.push({ atRealS: Math.round((Date.now() - started) / 100) / 10, atSim: h.simNow().toISOString(), what });
    log(`inject: ${what}`);
  };
  const ctx: ScriptContext = {
    config: loadConfig({ SPAPI_APPLICATION_ID: h.app.applicationId, SPAPI_ENDPOINT: h.simulator.url }),
    client: async () => h.client,
    taskQueue: h.taskQueue,
    out: () => {},
    err: () => {},
  };
  let warehouse: Warehouse | undefined;
  const returned = new Set<string>();
  let cancelled = 0;
  let returns = 0;
  try {
    await startScaledSchedules(h, { returnsPickupMinutes: 20 });
    await h.control.setNotificationUrl(h.notifications.url);
    warehouse = new Warehouse(h, { limit: 50, concurrency: 8 });

    const t0 = Date.now();
    const at = async (fraction: number) => {
      const wait = t0 + fraction * opts.durationS * 1000 - Date.now();
      if (wait > 0) await sleep(wait);
    };
    const batches = 8;
    let ordered = 0;
    const steps: Array<{ at: number; run: () => Promise<void> }> = [];
    for (let b = 0; b < batches; b++) {
      steps.push({
        at: (b / batches) * 0.8,
        run: async () => {
          const count = Math.round(((b + 1) * opts.orders) / batches) - ordered;
          ordered += count;
          const made = await h.control.createRandomOrders(h.sellerId, { count, fbaShare: 0.35, maxLines: 3 });
          log(`orders: +${made.created} (${ordered}/${opts.orders})`);
        },
      });
    }
    steps.push({
      at: 0.05,
      run: async () => {
        await h.control.setFaults([
          { operation: '*', kind: 'internalFailure', probability: 0.025, sellerId: h.sellerId },
          { operation: '*', kind: 'serviceUnavailable', probability: 0.025, sellerId: h.sellerId },
          { operation: '*', kind: 'dropConnection', probability: 0.01, sellerId: h.sellerId },
          { operation: '*', kind: 'dropConnection', probability: 0.01, afterHandler: true, sellerId: h.sellerId },
        ]);
        inject('SP-API faults on: 5% 5xx (2.5% 500 InternalFailure, 2.5% 503 HTML), 2% dropped connections (half after Amazon acted)');
      },
    });
    const kills = Math.max(0, opts.workerKills);
    for (let k = 0; k < kills; k++) {
      steps.push({
        at: 0.1 + (k * 0.7) / Math.max(1, kills),
        run: async () => {
          const { killed, started: replacement } = await h.workers.killOne({ restartAfterMs: 1000 });
          inject(`SIGKILL worker process ${killed}; replacement ${replacement} started 1 s later`);
        },
      });
    }
    steps.push({ at: 0.15, run: async () => void (await h.control.expireAccessTokens(), inject('every LWA access token expired')) });
    steps.push({
      at: 0.2,
      run: async () => {
        await h.control.revokeRoles(h.sellerId, ORDERS_ROLES, h.app.clientId);
        inject(`Amazon revoked ${ORDERS_ROLES.join(' + ')} (scope ORDERS: confirmShipment AccessDenied)`);
      },
    });
    steps.push({
      at: 0.25,
      run: async () => {
        const feedItems = catalogue.filter((i) => i.fulfilment !== 'FBA').slice(0, Math.max(5, Math.round(catalogue.length / 4)));
        inject(`bulk price feed for ${feedItems.length} SKUs: ${await startBulkFeed(h, feedItems).catch((err: Error) => `not started (${err.message})`)}`);
      },
    });
    steps.push({ at: 0.3, run: async () => void (cancelled += await cancelSome(h, 0.05, opts.seed)) });
    steps.push({
      at: 0.3,
      run: async () => {
        // Re-authorise once Conduit has met the AccessDenied (a despatch had to be confirmed meanwhile). On a
        // loaded machine that can take a while (the worker that made the call may have been SIGKILLed, so the
        // call is made again after its timeout), so the seller waits as long as settling may take.
        const connection = h.client.workflow.getHandle(connectionWorkflowId(h.connectionId));
        const blocked = await waitUntil(
          'the ORDERS scope to be blocked',
          async () => (await connection.query(connectionStatusQuery)).blockedScopes.some((b) => b.scope === 'ORDERS'),
          Math.max(opts.durationS * 500, opts.settleTimeoutS * 1000),
          1000,
        ).catch(() => false);
        inject(blocked ? 'Conduit saw AccessDenied on ORDERS: the connection shows the scope blocked, confirmations wait' : 'no confirmation was attempted while ORDERS was revoked');
        await h.control.grantRoles(h.sellerId, ORDERS_ROLES, h.app.clientId);
        // Amazon's consent code lives 5 simulated minutes (seconds here): an operator whose attempt
        // fails generates a new consent URL and tries again, and so does this run.
        for (let attempt = 1; ; attempt++) {
          try {
            const { state } = await createConsentUrl(ctx, { connectionId: h.connectionId });
            const { spapi_oauth_code } = await h.control.consent({ clientId: h.app.clientId, sellerId: h.sellerId, roles: ALL_ROLES });
            const { result } = await completeReauth(ctx, { connectionId: h.connectionId, state, code: spapi_oauth_code, by: 'chaos run' }, { timeoutMs: 120_000 });
            inject(`seller re-authorised (consent code → completeReauthorisation, attempt ${attempt}): verified ${result.verifiedScopes.join(', ')}; denied ${result.deniedScopes.join(', ') || 'none'}`);
            break;
          } catch (err) {
            const cause = (err as { cause?: { cause?: Error; message?: string } }).cause;
            inject(`re-authorisation attempt ${attempt} failed (${cause?.cause?.message ?? cause?.message ?? (err as Error).message}); a new consent URL is generated`);
            if (attempt >= 8) throw err;
          }
        }
      },
    });
    steps.push({
      at: 0.5,
      run: async () => {
        const ms = await h.restartTemporal();
        inject(`Temporal dev server stopped and started on the same SQLite file (${(ms / 1000).toFixed(1)} s away)`);
      },
    });
    steps.push({ at: 0.55, run: async () => void (returns += await createReturns(h, 4, returned)) });
    steps.push({ at: 0.6, run: async () => void (cancelled += await cancelSome(h, 0.03, opts.seed + 1)) });
    steps.push({
      at: 0.65,
      run: async () => {
        const ms = await h.restartPostgres();
        inject(`Postgres stopped and started on the same data folder (${(ms / 1000).toFixed(1)} s away)`);
      },
    });
    steps.push({ at: 0.85, run: async () => void (await h.control.expireAccessTokens(), inject('every LWA access token expired (again)')) });
    steps.push({
      at: 0.9,
      run: async () => {
        await h.control.clearFaults();
        inject('SP-API faults off');
      },
    });
    // Each step starts at its time, whatever the earlier ones are still doing (a slow re-authorisation
    // must not push the restarts together).
    steps.sort((a, b) => a.at - b.at);
    const running: Array<Promise<void>> = [];
    for (const step of steps) {
      await at(step.at);
      running.push(step.run().catch((err: Error) => inject(`(step failed: ${err.message})`)));
    }
    await at(1);
    await Promise.all(running);

    // Settle: every order downloadable, nothing waiting for despatch, Amazon's FBM figures = the ledger.
    const settleStart = Date.now();
    await waitUntil(
      'orders to settle',
      async () => {
        const byState = await census(h);
        const open = Object.entries(byState).filter(([s]) => !(TERMINAL_ORDER_STATES as readonly string[]).includes(s)).reduce((n, [, c]) => n + c, 0);
        const missing = amazonOrders(h).filter((o) => mustBeDownloaded(o)).length - Object.values(byState).reduce((a, b) => a + b, 0);
        const pending = amazonOrders(h).filter((o) => o.status === 'PENDING').length;
        log(`settling: ${JSON.stringify(byState)} missing ${missing} pending ${pending}`);
        return open === 0 && missing <= 0 && pending === 0;
      },
      opts.settleTimeoutS * 1000,
      3000,
    ).catch((err: Error) => log(err.message));
    await waitUntil('Amazon FBM quantities to match the ledger', async () => (await fbmDrift(h, catalogue)).length === 0, Math.max(30_000, (opts.settleTimeoutS * 1000) / 3), 2000).catch(
      (err: Error) => log(err.message),
    );
    const settledAfterS = Math.round((Date.now() - settleStart) / 1000);
    await warehouse.stop();
    warehouse = undefined;

    const invariants = await checkInvariants(h, catalogue);
    const stats = (await h.control.stats()).operations;
    const spApi = Object.entries(stats)
      .filter(([op]) => op !== 'lwa.token' && op !== 'documents')
      .reduce((s, [, v]) => ({ calls: s.calls + v.calls, faults: s.faults + v.faults, throttled: s.throttled + v.throttled, denied: s.denied + v.denied }), { calls: 0, faults: 0, throttled: 0, denied: 0 });
    const all = amazonOrders(h);
    const byState = await census(h);
    const usage = h.workers.usage();
    return {
      options: { orders: opts.orders, skus: opts.skus, timeScale: opts.timeScale, seed: opts.seed, durationS: opts.durationS, workerKills: opts.workerKills, settleTimeoutS: opts.settleTimeoutS },
      injected,
      invariants,
      orders: { onAmazon: all.length, mustBeDownloaded: all.filter(mustBeDownloaded).length, inConduit: Object.values(byState).reduce((a, b) => a + b, 0), byState, cancelled, returns },
      spApi,
      workers: { starts: h.workers.starts, kills: h.workers.kills, cpuSeconds: Math.round(usage.cpuSeconds) },
      settledAfterS,
      realSeconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    await warehouse?.stop();
    await h.stop();
  }
}

/** Every invariant, each with what it found (ok or the offending ids). */
export async function checkInvariants(h: Harness, catalogue: ReturnType<typeof peakCatalogue>): Promise<InvariantResult[]> {
  const results: InvariantResult[] = [];
  const add = (name: string, problems: string[], okText: string) =>
    results.push({ name, ok: problems.length === 0, found: problems.length === 0 ? okText : `${problems.length}: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ' …' : ''}` });
  const onAmazon = amazonOrders(h);

  // 1. Every Amazon order present exactly once.
  const rows = await h.db
    .select({ id: schema.orders.amazonOrderId, n: sql<number>`count(*) over (partition by ${schema.orders.amazonOrderId})::int` })
    .from(schema.orders)
    .where(eq(schema.orders.connectionId, h.connectionId));
  const inConduit = new Set(rows.map((r) => r.id));
  const expected = onAmazon.filter(mustBeDownloaded);
  const missing = expected.filter((o) => !inConduit.has(o.orderId)).map((o) => `${o.orderId} missing`);
  const doubled = rows.filter((r) => r.n > 1).map((r) => `${r.id} ×${r.n}`);
  const foreign = [...inConduit].filter((id) => !onAmazon.some((o) => o.orderId === id)).map((id) => `${id} not on Amazon`);
  const allocations = await h.db.execute<{ order_id: string; n: number; lines: number }>(sql`
    with a as (
      select split_part(idempotency_key, ':', 3) as order_id, count(*)::int as n
      from stock_ledger where connection_id = ${h.connectionId} and kind = 'ALLOCATE' group by 1)
    select a.order_id, a.n, (select count(*)::int from order_lines l where l.amazon_order_id = a.order_id) as lines from a`);
  const overAllocated = allocations.filter((a) => a.n > a.lines).map((a) => `${a.order_id} allocated ${a.n}× for ${a.lines} line(s)`);
  add('every Amazon order present exactly once (row, allocation)', [...missing, ...doubled, ...foreign, ...overAllocated], `${expected.length} of ${expected.length} downloadable orders, each once; allocations ≤ one per line`);

  // 2. Every despatched FBM order confirmed exactly once on Amazon.
  const shipments = await h.db.select().from(schema.shipments).innerJoin(schema.orders, and(eq(schema.orders.marketplaceId, schema.shipments.marketplaceId), eq(schema.orders.amazonOrderId, schema.shipments.amazonOrderId))).where(eq(schema.orders.connectionId, h.connectionId));
  const byOrder = new Map(onAmazon.map((o) => [o.orderId, o]));
  const confirmProblems: string[] = [];
  let confirmed = 0;
  for (const { shipments: s, orders: o } of shipments) {
    const sim = byOrder.get(s.amazonOrderId);
    const calls = sim?.confirmations.filter((c) => c.packageReferenceId === s.packageReferenceId).length ?? 0;
    if (s.confirmedAt) {
      confirmed++;
      if (calls !== 1) confirmProblems.push(`${s.amazonOrderId} package ${s.packageReferenceId}: ${calls} confirmShipment calls accepted`);
    } else if (o.state !== 'CANCELLED' && o.state !== 'CANCELLED_AFTER_DESPATCH') {
      confirmProblems.push(`${s.amazonOrderId} package ${s.packageReferenceId}: despatched, never confirmed (order ${o.state})`);
    }
  }
  const known = new Set(shipments.map(({ shipments: s }) => `${s.amazonOrderId}/${s.packageReferenceId}`));
  for (const o of onAmazon) for (const c of o.confirmations) if (!known.has(`${o.orderId}/${c.packageReferenceId}`)) confirmProblems.push(`${o.orderId} package ${c.packageReferenceId}: confirmed on Amazon, unknown to Conduit`);
  add('every despatched FBM package confirmed exactly once (simulator confirmations)', confirmProblems, `${confirmed} packages, one accepted confirmShipment each`);

  // 3. No FBM stock below zero, no oversell.
  const [bad] = await h.db.execute<{ n: number }>(sql`select count(*)::int as n from stock_pools where connection_id = ${h.connectionId} and (on_hand < 0 or allocated < 0 or allocated > on_hand)`);
  const negativeOnAmazon = catalogue.filter((i) => (h.simulator.state.listings.get(`${h.sellerId}\u0000${i.sku}`)?.fbmQuantity ?? 0) < 0).map((i) => `${i.sku} negative on Amazon`);
  const oversold = (await oversoldOrders(h)).map((id) => `${id} could not be allocated (oversold)`);
  add('no FBM stock below zero, no oversell', [...(bad && bad.n > 0 ? [`${bad.n} pool(s) below zero or over-allocated`] : []), ...negativeOnAmazon, ...oversold], 'every pool ≥ 0 and allocated ≤ on hand; every FBM order allocated');

  // 4. Amazon's FBM quantities equal the ledger after settling.
  const drift = await fbmDrift(h, catalogue);
  add("Amazon's FBM quantity = the ledger, every FBM/hybrid SKU", drift.map((d) => `${d.sku}: Amazon ${d.amazon}, ledger ${d.ledger}${d.pending ? `, ${d.pending} pending` : ''}`), `${catalogue.filter((i) => i.fulfilment !== 'FBA').length} SKUs equal`);

  // 5. No AccessDenied activity retried.
  const deniedWorkflows = await h.db
    .selectDistinct({ workflowId: schema.channelLog.workflowId })
    .from(schema.channelLog)
    .where(and(eq(schema.channelLog.connectionId, h.connectionId), eq(schema.channelLog.errorType, 'AccessDenied'), isNotNull(schema.channelLog.workflowId)));
  const retried: string[] = [];
  let deniedActivities = 0;
  for (const { workflowId } of deniedWorkflows) {
    const history = await h.client.workflow.getHandle(workflowId!).fetchHistory().catch(() => undefined);
    const events = (history?.events ?? []) as temporal.api.history.v1.IHistoryEvent[];
    // Temporal records an activity's started event when it closes, with its final attempt number and the
    // failure of the attempt before it. AccessDenied retried = an attempt that followed an AccessDenied, or
    // an AccessDenied that did not close its activity. An earlier attempt lost to a SIGKILLed worker
    // (a timeout) may rightly be followed by one that meets AccessDenied.
    const started = new Map<string, temporal.api.history.v1.IActivityTaskStartedEventAttributes>();
    for (const e of events) if (e.activityTaskStartedEventAttributes) started.set(String(e.activityTaskStartedEventAttributes.scheduledEventId), e.activityTaskStartedEventAttributes);
    for (const s of started.values()) {
      if (s.lastFailure?.applicationFailureInfo?.type === 'AccessDenied') retried.push(`${workflowId}: attempt ${s.attempt} ran after an AccessDenied`);
    }
    for (const e of events) {
      const failed = e.activityTaskFailedEventAttributes;
      if (failed?.failure?.applicationFailureInfo?.type !== 'AccessDenied') continue;
      deniedActivities++;
      if (failed.retryState !== temporal.api.enums.v1.RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE) {
        retried.push(`${workflowId}: AccessDenied closed its activity as ${temporal.api.enums.v1.RetryState[failed.retryState ?? 0]}, not as non-retryable`);
      }
    }
  }
  const [deniedRows] = await h.db.execute<{ n: number }>(sql`select count(*)::int as n from channel_log where connection_id = ${h.connectionId} and error_type = 'AccessDenied'`);
  add(
    'no AccessDenied activity retried (histories, channel_log)',
    [...retried, ...(deniedActivities === 0 ? ['no AccessDenied happened: the revocation was not exercised'] : [])],
    `${deniedRows?.n ?? 0} AccessDenied calls in the channel log, ${deniedActivities} activity failures, each final (non-retryable) and never followed by another attempt`,
  );

  // 6. No workflow stuck without a reason an operator can see.
  const stuck: string[] = [];
  let open = 0;
  for await (const wf of h.client.workflow.list({ query: `TaskQueue = "${h.taskQueue}" AND WorkflowType = 'amazonOrder' AND ExecutionStatus = 'Running'` })) {
    open++;
    const attrs = wf.searchAttributes as Record<string, unknown[] | undefined>;
    const state = String(attrs.OrderState?.[0] ?? 'unknown');
    const attention = attrs.NeedsAttention?.[0] === true;
    if (!attention && !['ALLOCATED', 'PARTIALLY_DESPATCHED', 'FBA_RECORDED'].includes(state)) stuck.push(`${wf.workflowId} ${state} without NeedsAttention`);
  }
  for await (const wf of h.client.workflow.list({ query: `TaskQueue = "${h.taskQueue}" AND ExecutionStatus != 'Running' AND ExecutionStatus != 'Completed' AND ExecutionStatus != 'ContinuedAsNew'` })) {
    // An operator command's own run (consent URL, re-authorisation) reports its failure to the operator who ran it.
    if (OPERATOR_COMMANDS.includes(wf.type)) continue;
    const attrs = wf.searchAttributes as Record<string, unknown[] | undefined>;
    if (wf.type === 'amazonOrder' || attrs.NeedsAttention?.[0] !== true) stuck.push(`${wf.workflowId} (${wf.type}) ${wf.status.name}${attrs.NeedsAttention?.[0] === true ? ' with NeedsAttention' : ' without NeedsAttention'}`);
  }
  add('no workflow stuck without a visible reason', stuck, `${open} order workflow(s) open, each waiting for despatch/Amazon or flagged NeedsAttention; no failed workflow`);

  // 7. Secrets stay out of the worker logs (every kill and restart included).
  const logs = fs.readdirSync(h.dir).filter((f) => /^worker-\d+\.log$/.test(f)).map((f) => fs.readFileSync(path.join(h.dir, f), 'utf8')).join('\n');
  const leaked = [...h.simulator.state.authorisations.values()].map((a) => a.refreshToken).concat(h.app.clientSecret).filter((s) => s.length >= 8 && logs.includes(s));
  add('no refresh token or client secret in any worker log', leaked.map((s) => `${s.slice(0, 4)}…`), `${logs.split('\n').length} log lines scanned`);

  // The connection ends unblocked (the re-authorisation restored every scope).
  const [conn] = await h.db.select({ blocked: schema.connections.blockedScopes }).from(schema.connections).where(eq(schema.connections.id, h.connectionId));
  add('the connection ends with no blocked scope', (conn?.blocked ?? []).map((s) => `${s} still blocked`), `all of ${SCOPES.join(', ')} answer`);
  return results;
}

/** The report as the terminal shows it. */
export function formatChaosReport(r: ChaosReport): string {
  const lines = [
    `Chaos run: ${r.options.orders} orders, ${r.options.skus} SKUs, time scale ${r.options.timeScale}×, ${r.options.durationS} s of chaos, settled ${r.settledAfterS} s later (${r.realSeconds} s in all)`,
    '',
    'Injected:',
    ...r.injected.map((e) => `  +${String(e.atRealS).padStart(6)} s  ${e.what}`),
    '',
    `Orders: ${r.orders.onAmazon} on Amazon, ${r.orders.mustBeDownloaded} downloadable, ${r.orders.inConduit} in Conduit (${Object.entries(r.orders.byState).map(([s, n]) => `${s} ${n}`).join(', ')}); ${r.orders.cancelled} cancelled by buyers, ${r.orders.returns} returns`,
    `SP-API: ${r.spApi.calls} calls, ${r.spApi.faults} faults injected, ${r.spApi.throttled} throttled (429), ${r.spApi.denied} denied (403)`,
    `Workers: ${r.workers.starts} processes started, ${r.workers.kills} SIGKILLed, ${r.workers.cpuSeconds} CPU-s`,
    '',
    'Invariants:',
    ...r.invariants.map((i) => `  ${i.ok ? 'OK  ' : 'FAIL'}  ${i.name}: ${i.found}`),
  ];
  return lines.join('\n');
}
