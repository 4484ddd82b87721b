/**
 * Stock activities: asking the per-SKU push workflow to push (`requestStockPush`, called by the
 * order workflows after every allocation/release/despatch), and the three steps of one FBM push —
 * read the derived figure, patch Amazon, remember what Amazon accepted.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { and, eq, gt, inArray, ne, sql } from 'drizzle-orm';
import { schema, type Db } from '../db/client';
import { describeSkuMismatch, matchSku } from '../domain/sku';
import {
  FBA_LAG_WARNING_MINUTES,
  fbaEstimate,
  fbaPoolFromSummary,
  fbmAvailable,
  NEVER_REPORTED,
  recordFbaReport,
  type FbaEstimate,
  type FbaPool,
  type SkuStock,
} from '../domain/stock';
import { instantOrThrow, MINUTE_MS } from '../domain/time';
import type { InventorySummary } from '../spapi/port';
import { SpApiError } from '../spapi/errors';
import { toApplicationFailure } from '../spapi/temporal';
import { scheduleId } from '../workflows/contracts/schedules';
import { pendingPushQuery, skuPushWorkflowId, stockChangedSignal, type SkuStockPushInput } from '../workflows/contracts/stock';
import { createStockLedgerActivities } from './stock-ledger';
import { ConnectionKey, SkusKey } from '../workflows/contracts/search-attributes';
import type { ActivityDeps } from './deps';
import { ensureConnectionSchedule } from './schedules';

/** Input of `requestStockPush`: the SKUs whose FBM figure may have changed. */
export interface RequestStockPushInput {
  connectionId: string;
  skus: string[];
  /** Why (ALLOCATE, RELEASE, DESPATCH, ADJUST, RETURN_RESTOCK, RECONCILE…); informational. */
  cause?: string;
}

/** What the push workflow needs to decide and to call Amazon; no tokens, no PII. */
export type FbmPushState =
  | {
      kind: 'FBM';
      /** on-hand − allocated − buffer, never negative, never FBA units. */
      quantity: number;
      lastPushedQuantity: number | null;
      productType: string;
      sellerId: string;
      marketplaceIds: string[];
    }
  /** The SKU is FBA-only: Conduit offers no merchant-fulfilled quantity for it. */
  | { kind: 'FBA_ONLY' }
  /** The SKU is not in the catalogue (exact, case-sensitive): nothing to push. */
  | { kind: 'UNKNOWN_SKU' };

export interface PushFbmQuantityInput {
  connectionId: string;
  sku: string;
  quantity: number;
  productType: string;
  sellerId: string;
  marketplaceIds: string[];
}

export type PushFbmQuantityResult =
  | { status: 'ACCEPTED'; submissionId: string }
  | { status: 'INVALID'; submissionId: string; message: string };

/** Rethrows SP-API failures as the ApplicationFailures the retry presets and withAccess understand. */
export function rethrowSpApi(err: unknown): never {
  if (err instanceof SpApiError) throw toApplicationFailure(err);
  throw err;
}

/** Signals (or starts) each SKU's push workflow; used by the activity below and by scripts. */
export async function requestStockPushWith(
  deps: Pick<ActivityDeps, 'workflowClient' | 'taskQueue' | 'clock'>,
  input: RequestStockPushInput,
): Promise<void> {
  const at = deps.clock().toISOString();
  for (const sku of [...new Set(input.skus)]) {
    const args: [SkuStockPushInput] = [{ connectionId: input.connectionId, sku }];
    await deps.workflowClient.workflow.signalWithStart('skuStockPush', {
      workflowId: skuPushWorkflowId(input.connectionId, sku),
      taskQueue: deps.taskQueue,
      args,
      signal: stockChangedSignal,
      signalArgs: [{ cause: input.cause ?? 'STOCK_CHANGE', at }],
      // Operators find a SKU's push workflow in the Web UI by connection and SKU.
      typedSearchAttributes: [
        { key: ConnectionKey, value: input.connectionId },
        { key: SkusKey, value: [sku] },
      ],
    });
  }
}

/**
 * Whether an FBM push for this SKU is signalled and not yet done (the `pendingPush` query of its
 * push workflow); false when no push workflow is running. For the bulk feed: don't send a feed
 * for a SKU whose quantity push is still on its way.
 */
export async function skuPushPending(client: Client, connectionId: string, sku: string): Promise<boolean> {
  try {
    const handle = client.workflow.getHandle(skuPushWorkflowId(connectionId, sku));
    if ((await handle.describe()).status.name !== 'RUNNING') return false;
    return (await handle.query(pendingPushQuery)).pending;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Warehouse adjustments (scripts/stock.ts adjust)

export interface AdjustInput {
  connectionId: string;
  sku: string;
  delta: number;
  reason: string;
  /** Makes a retried script run a no-op; a fresh one is generated when absent. */
  key: string;
}

export type AdjustResult =
  | { ok: true; applied: boolean; onHand: number; allocated: number; fbmAvailable: number }
  | { ok: false; problem: 'INVALID' | 'UNKNOWN_SKU' | 'NEGATIVE' | 'BELOW_ALLOCATED' | 'FBA_ONLY'; message: string };

/** Validates and records a warehouse count adjustment as one ADJUST ledger entry, then asks for a push. */
export async function adjustWarehouseStock(
  deps: Pick<ActivityDeps, 'db' | 'log' | 'workflowClient' | 'taskQueue' | 'clock'>,
  input: AdjustInput,
): Promise<AdjustResult> {
  if (!Number.isSafeInteger(input.delta) || input.delta === 0) {
    return { ok: false, problem: 'INVALID', message: `--delta must be a whole number other than 0 (e.g. 5 or -2), got ${JSON.stringify(input.delta)}` };
  }
  if (input.reason.trim() === '') return { ok: false, problem: 'INVALID', message: '--reason is required: say why the count changed (e.g. "cycle count 27 Nov")' };
  if (input.key.trim() === '') return { ok: false, problem: 'INVALID', message: '--key must not be empty' };
  const catalogue = await deps.db
    .select({ sku: schema.catalogueItems.sku, fulfilment: schema.catalogueItems.fulfilment })
    .from(schema.catalogueItems)
    .where(eq(schema.catalogueItems.connectionId, input.connectionId));
  const match = matchSku(input.sku, catalogue.map((c) => c.sku));
  if (match.kind !== 'exact') return { ok: false, problem: 'UNKNOWN_SKU', message: describeSkuMismatch(input.sku, match).replace('on the Amazon order', 'given') };
  if (catalogue.find((c) => c.sku === input.sku)?.fulfilment === 'FBA') {
    return { ok: false, problem: 'FBA_ONLY', message: `${input.sku} is fulfilled by Amazon only: its stock is Amazon's (FBA) and is read from Amazon, not adjusted here` };
  }
  const [pool] = await deps.db
    .select({ onHand: schema.stockPools.onHand, allocated: schema.stockPools.allocated })
    .from(schema.stockPools)
    .where(and(eq(schema.stockPools.connectionId, input.connectionId), eq(schema.stockPools.sku, input.sku), eq(schema.stockPools.pool, 'FBM')));
  const onHand = pool?.onHand ?? 0;
  const allocated = pool?.allocated ?? 0;
  const after = onHand + input.delta;
  const idempotencyKey = `adjust:${input.key}`;
  const [seen] = await deps.db.select({ id: schema.stockLedger.id }).from(schema.stockLedger).where(eq(schema.stockLedger.idempotencyKey, `${input.connectionId}:${idempotencyKey}`));
  if (!seen) {
    if (after < 0) return { ok: false, problem: 'NEGATIVE', message: `${input.sku}: on hand is ${onHand}; ${input.delta} would make it ${after}. Count the stock and adjust by at most -${onHand}.` };
    if (after < allocated) {
      return {
        ok: false,
        problem: 'BELOW_ALLOCATED',
        message: `${input.sku}: on hand is ${onHand} with ${allocated} allocated to open FBM orders; ${input.delta} would leave ${after}, fewer than allocated. Cancel or re-route orders first, or adjust by at least ${allocated - onHand}.`,
      };
    }
  }
  const ledger = createStockLedgerActivities(deps);
  const result = await ledger.recordMovements({
    connectionId: input.connectionId,
    movements: [{ sku: input.sku, pool: 'FBM', kind: 'ADJUST', onHandDelta: input.delta, allocatedDelta: 0, idempotencyKey, reason: input.reason.trim() }],
  });
  if (!result.ok) {
    // A concurrent allocation can still win the race; the database constraint refuses it.
    return { ok: false, problem: result.reason === 'OVERSELL' ? 'BELOW_ALLOCATED' : result.reason === 'NEGATIVE' ? 'NEGATIVE' : 'UNKNOWN_SKU', message: result.message };
  }
  await requestStockPushWith(deps, { connectionId: input.connectionId, skus: [input.sku], cause: 'ADJUST' });
  const [now] = await deps.db
    .select({ onHand: schema.stockPools.onHand, allocated: schema.stockPools.allocated })
    .from(schema.stockPools)
    .where(and(eq(schema.stockPools.connectionId, input.connectionId), eq(schema.stockPools.sku, input.sku), eq(schema.stockPools.pool, 'FBM')));
  return { ok: true, applied: result.applied > 0, onHand: now?.onHand ?? 0, allocated: now?.allocated ?? 0, fbmAvailable: result.fbmAvailable[input.sku] ?? 0 };
}

// ---------------------------------------------------------------------------------------------
// Stock view (scripts/stock.ts show)

export interface StockView {
  connectionId: string;
  sku: string;
  fulfilment: string;
  fbm: { onHand: number; allocated: number; buffer: number; available: number; lastPushedQuantity: number | null; lastPushedAt: string | null };
  /** Amazon's last FBA report with its as-of time, and the lag-aware estimate; null when never reported. */
  fba: null | {
    reported: { fulfillable: number; inbound: number; reserved: number; unfulfillable: number; reportedAt: string | null; syncedAt: string | null };
    estimate: FbaEstimate | null;
  };
  recentLedger: Array<{ at: string; pool: string; kind: string; onHandDelta: number; allocatedDelta: number; reason: string }>;
}

/** FBA units ordered per SKU after `since` (FBA orders Conduit downloaded), for the lag-aware estimate. */
async function fbaOrdersSince(db: Db, connectionId: string, sku: string, since: Date): Promise<Array<{ quantity: number; orderedAt: string }>> {
  const rows = await db
    .select({ quantity: schema.orderLines.quantityOrdered, purchasedAt: schema.orders.purchasedAt })
    .from(schema.orderLines)
    .innerJoin(schema.orders, and(eq(schema.orders.marketplaceId, schema.orderLines.marketplaceId), eq(schema.orders.amazonOrderId, schema.orderLines.amazonOrderId)))
    .where(
      and(
        eq(schema.orders.connectionId, connectionId),
        eq(schema.orders.fulfilledBy, 'AMAZON'),
        ne(schema.orders.amazonStatus, 'CANCELLED'),
        eq(schema.orderLines.sku, sku),
        gt(schema.orders.purchasedAt, since),
      ),
    );
  return rows.map((r) => ({ quantity: r.quantity, orderedAt: r.purchasedAt.toISOString() }));
}

/** Both pools of one SKU as an operator reads them: FBM figures, Amazon's FBA figure with its age, and the estimate. */
export async function readStockView(db: Db, connectionId: string, sku: string, now: Date): Promise<StockView | undefined> {
  const [item] = await db
    .select()
    .from(schema.catalogueItems)
    .where(and(eq(schema.catalogueItems.connectionId, connectionId), eq(schema.catalogueItems.sku, sku)));
  if (!item) return undefined;
  const pools = await db.select().from(schema.stockPools).where(and(eq(schema.stockPools.connectionId, connectionId), eq(schema.stockPools.sku, sku)));
  const fbmRow = pools.find((p) => p.pool === 'FBM');
  const fbaRow = pools.find((p) => p.pool === 'FBA');
  const fbmPool = { onHand: fbmRow?.onHand ?? 0, allocated: fbmRow?.allocated ?? 0, buffer: item.buffer };
  let fba: StockView['fba'] = null;
  if (fbaRow) {
    const reportedAt = fbaRow.reportedAt?.toISOString() ?? null;
    let estimate: FbaEstimate | null = null;
    if (reportedAt) {
      const pool: FbaPool = { fulfillable: fbaRow.onHand, inbound: fbaRow.fbaInbound, reserved: fbaRow.fbaReserved, unfulfillable: fbaRow.fbaUnfulfillable, researching: 0, reportedAt };
      estimate = fbaEstimate(pool, await fbaOrdersSince(db, connectionId, sku, fbaRow.reportedAt!), now.toISOString());
    }
    fba = {
      reported: { fulfillable: fbaRow.onHand, inbound: fbaRow.fbaInbound, reserved: fbaRow.fbaReserved, unfulfillable: fbaRow.fbaUnfulfillable, reportedAt, syncedAt: fbaRow.syncedAt?.toISOString() ?? null },
      estimate,
    };
  }
  const ledger = await db
    .select()
    .from(schema.stockLedger)
    .where(and(eq(schema.stockLedger.connectionId, connectionId), eq(schema.stockLedger.sku, sku)))
    .orderBy(sql`${schema.stockLedger.id} desc`)
    .limit(10);
  return {
    connectionId,
    sku,
    fulfilment: item.fulfilment,
    fbm: { ...fbmPool, available: fbmAvailable(fbmPool), lastPushedQuantity: fbmRow?.lastPushedQuantity ?? null, lastPushedAt: fbmRow?.lastPushedAt?.toISOString() ?? null },
    fba,
    recentLedger: ledger.map((l) => ({ at: l.createdAt.toISOString(), pool: l.pool, kind: l.kind, onHandDelta: l.onHandDelta, allocatedDelta: l.allocatedDelta, reason: l.reason })),
  };
}

// ---------------------------------------------------------------------------------------------
// FBA inventory sync

/** What one FBA sync recorded; SKUs only, no quantities of other sellers, no PII. */
export interface FbaSyncResult {
  summaries: number;
  recorded: number;
  unchanged: number;
  stale: number;
  /** Amazon reports FBA stock for these SKUs but the catalogue has no exact match (named near-miss when there is one). */
  unknownSkus: Array<{ sku: string; message: string }>;
  /** Amazon's as-of time is older than FBA_LAG_WARNING_MINUTES: don't restock on these figures alone. */
  lagging: Array<{ sku: string; reportedAt: string; ageMinutes: number }>;
  syncedAt: string;
}

function heartbeat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    /* outside an activity (direct calls from scripts/tests) */
  }
}

/** All FBA summaries (details=true), restarting once or twice if a 30-second page token expires. */
async function fetchFbaSummaries(deps: Pick<ActivityDeps, 'spApiFor'>, connectionId: string, marketplaceId: string): Promise<InventorySummary[]> {
  const port = await deps.spApiFor(connectionId);
  for (let attempt = 1; ; attempt++) {
    const all: InventorySummary[] = [];
    let nextToken: string | undefined;
    try {
      do {
        const page = await port.getInventorySummaries({ marketplaceId, ...(nextToken ? { nextToken } : {}) });
        all.push(...page.summaries);
        nextToken = page.nextToken;
        heartbeat({ summaries: all.length });
      } while (nextToken);
      return all;
    } catch (err) {
      // Amazon's nextToken lives 30 s; a throttled page can outlive it. Start again (recording is idempotent).
      if (nextToken && err instanceof SpApiError && err.type === 'InvalidInput' && attempt < 3) continue;
      throw err;
    }
  }
}

export function createStockActivities(deps: ActivityDeps) {
  const ledger = createStockLedgerActivities(deps);

  /** Signals (or starts) each SKU's push workflow; repeated calls only add coalesced signals. */
  async function requestStockPush(input: RequestStockPushInput): Promise<void> {
    await requestStockPushWith(deps, input);
  }
  /** The FBM figure to offer Amazon now, derived from the pool (never stored twice), and what Amazon has. */
  async function readFbmPushState(input: { connectionId: string; sku: string }): Promise<FbmPushState> {
    const [row] = await deps.db
      .select({
        fulfilment: schema.catalogueItems.fulfilment,
        productType: schema.catalogueItems.productType,
        buffer: schema.catalogueItems.buffer,
        onHand: schema.stockPools.onHand,
        allocated: schema.stockPools.allocated,
        lastPushedQuantity: schema.stockPools.lastPushedQuantity,
        sellerId: schema.connections.sellerId,
        marketplaceIds: schema.connections.marketplaceIds,
      })
      .from(schema.catalogueItems)
      .innerJoin(schema.connections, eq(schema.connections.id, schema.catalogueItems.connectionId))
      .leftJoin(
        schema.stockPools,
        and(
          eq(schema.stockPools.connectionId, schema.catalogueItems.connectionId),
          eq(schema.stockPools.sku, schema.catalogueItems.sku),
          eq(schema.stockPools.pool, 'FBM'),
        ),
      )
      .where(and(eq(schema.catalogueItems.connectionId, input.connectionId), eq(schema.catalogueItems.sku, input.sku)));
    if (!row) return { kind: 'UNKNOWN_SKU' };
    if (row.fulfilment === 'FBA') return { kind: 'FBA_ONLY' };
    return {
      kind: 'FBM',
      quantity: fbmAvailable({ onHand: row.onHand ?? 0, allocated: row.allocated ?? 0, buffer: row.buffer }),
      lastPushedQuantity: row.lastPushedQuantity ?? null,
      productType: row.productType,
      sellerId: row.sellerId,
      marketplaceIds: row.marketplaceIds,
    };
  }

  /** Sets the DEFAULT (merchant-fulfilled) quantity on Amazon; an INVALID submission comes back with Amazon's message. */
  async function pushFbmQuantity(input: PushFbmQuantityInput): Promise<PushFbmQuantityResult> {
    try {
      const port = await deps.spApiFor(input.connectionId);
      const submission = await port.patchListingsItem(input.sellerId, input.sku, input.marketplaceIds, {
        productType: input.productType,
        patches: [
          {
            op: 'replace',
            path: '/attributes/fulfillment_availability',
            value: [{ fulfillment_channel_code: 'DEFAULT', quantity: input.quantity }],
          },
        ],
      });
      if (submission.status === 'INVALID') {
        const message = (submission.issues ?? [])
          .filter((i) => i.severity === 'ERROR')
          .map((i) => `${i.code}: ${i.message}`)
          .join('; ');
        deps.log.warn('FBM quantity push refused by Amazon', { connectionId: input.connectionId, sku: input.sku, submissionId: submission.submissionId });
        return { status: 'INVALID', submissionId: submission.submissionId, message: message || 'Amazon returned INVALID without an issue message' };
      }
      return { status: 'ACCEPTED', submissionId: submission.submissionId };
    } catch (err) {
      rethrowSpApi(err);
    }
  }

  /** Remembers the quantity Amazon accepted, so unchanged figures are not pushed again. */
  async function recordFbmPush(input: { connectionId: string; sku: string; quantity: number }): Promise<{ pushedAt: string }> {
    const pushedAt = deps.clock();
    await deps.db
      .insert(schema.stockPools)
      .values({ connectionId: input.connectionId, sku: input.sku, pool: 'FBM', lastPushedQuantity: input.quantity, lastPushedAt: pushedAt })
      .onConflictDoUpdate({
        target: [schema.stockPools.connectionId, schema.stockPools.sku, schema.stockPools.pool],
        set: { lastPushedQuantity: input.quantity, lastPushedAt: pushedAt, updatedAt: sql`now()` },
      });
    return { pushedAt: pushedAt.toISOString() };
  }

  /** Reads Amazon's FBA inventory and records each catalogue SKU's figures with Amazon's as-of time. */
  async function syncFbaInventory(input: { connectionId: string }): Promise<FbaSyncResult> {
    const { connectionId } = input;
    const [conn] = await deps.db.select().from(schema.connections).where(eq(schema.connections.id, connectionId));
    if (!conn) throw new Error(`Unknown connection "${connectionId}"`);
    const marketplaceId = conn.marketplaceIds[0]!;
    let summaries: InventorySummary[];
    try {
      summaries = await fetchFbaSummaries(deps, connectionId, marketplaceId);
    } catch (err) {
      rethrowSpApi(err);
    }
    const syncedAt = deps.clock();
    const fetchedAt = syncedAt.toISOString();
    const catalogue = await deps.db.select({ sku: schema.catalogueItems.sku }).from(schema.catalogueItems).where(eq(schema.catalogueItems.connectionId, connectionId));
    const known = catalogue.map((c) => c.sku);
    const knownSet = new Set(known);
    const existing = await deps.db
      .select()
      .from(schema.stockPools)
      .where(and(eq(schema.stockPools.connectionId, connectionId), eq(schema.stockPools.pool, 'FBA')));
    const bySku = new Map(existing.map((r) => [r.sku, r]));
    const result: FbaSyncResult = { summaries: summaries.length, recorded: 0, unchanged: 0, stale: 0, unknownSkus: [], lagging: [], syncedAt: fetchedAt };
    for (const summary of summaries) {
      const sku = summary.sellerSku;
      if (sku === undefined) continue;
      if (!knownSet.has(sku)) {
        result.unknownSkus.push({ sku, message: describeSkuMismatch(sku, matchSku(sku, known)).replace('on the Amazon order', 'in Amazon\'s FBA inventory') });
        continue;
      }
      const report = fbaPoolFromSummary(summary, fetchedAt);
      if (!report) continue;
      const row = bySku.get(sku);
      const stock: SkuStock = {
        sku,
        fbm: { onHand: 0, allocated: 0, buffer: 0 },
        fba: row
          ? { fulfillable: row.onHand, inbound: row.fbaInbound, reserved: row.fbaReserved, unfulfillable: row.fbaUnfulfillable, researching: 0, reportedAt: row.reportedAt?.toISOString() ?? NEVER_REPORTED }
          : null,
      };
      const outcome = recordFbaReport(stock, report, `fba-report:${sku}:${report.reportedAt}:${report.fulfillable}:${report.reserved}`);
      if (!outcome.recorded) {
        result.stale++;
      } else {
        if (outcome.movement.onHandDelta !== 0 || outcome.movement.allocatedDelta !== 0 || !row) {
          const moved = await ledger.recordMovements({ connectionId, movements: [outcome.movement] });
          if (!moved.ok) throw new Error(`recording Amazon's FBA figure for ${sku} failed: ${moved.message}`);
          if (moved.applied > 0) result.recorded++;
          else result.unchanged++;
        } else {
          result.unchanged++;
        }
        await deps.db
          .update(schema.stockPools)
          .set({ fbaInbound: report.inbound, fbaUnfulfillable: report.unfulfillable, reportedAt: new Date(report.reportedAt), syncedAt, updatedAt: sql`now()` })
          .where(and(eq(schema.stockPools.connectionId, connectionId), eq(schema.stockPools.sku, sku), eq(schema.stockPools.pool, 'FBA')));
      }
      const age = Math.floor((instantOrThrow(fetchedAt, 'fetchedAt') - instantOrThrow(report.reportedAt, 'reportedAt')) / MINUTE_MS);
      if (age >= FBA_LAG_WARNING_MINUTES) result.lagging.push({ sku, reportedAt: report.reportedAt, ageMinutes: age });
    }
    if (summaries.length > 0) {
      const seen = summaries.map((s) => s.sellerSku).filter((s): s is string => s !== undefined && knownSet.has(s));
      if (seen.length > 0) {
        await deps.db
          .update(schema.stockPools)
          .set({ syncedAt })
          .where(and(eq(schema.stockPools.connectionId, connectionId), eq(schema.stockPools.pool, 'FBA'), inArray(schema.stockPools.sku, seen)));
      }
    }
    deps.log.info('FBA inventory synced', { connectionId, summaries: result.summaries, recorded: result.recorded, lagging: result.lagging.length });
    return result;
  }

  /** Activity form of ensureStockSchedules, for onboarding workflows. */
  async function ensureStockSchedulesActivity(input: Omit<StockScheduleSettings, 'taskQueue'>): Promise<Array<{ scheduleId: string; created: boolean }>> {
    return ensureStockSchedules(deps.workflowClient, { ...input, taskQueue: deps.taskQueue });
  }

  return { requestStockPush, readFbmPushState, pushFbmQuantity, recordFbmPush, syncFbaInventory, ensureStockSchedules: ensureStockSchedulesActivity };
}

// ---------------------------------------------------------------------------------------------
// Schedules

export interface StockScheduleSettings {
  connectionId: string;
  taskQueue: string;
  /** FBA_SYNC_INTERVAL. */
  fbaSyncIntervalMs: number;
  /** RECONCILE_INTERVAL (daily by default). */
  reconcileIntervalMs: number;
  /** How often returns reports are read (default every 6 hours). */
  returnsPickupIntervalMs?: number;
}

function ensureSchedule(
  client: Client,
  id: string,
  everyMs: number,
  action: { workflowType: string; workflowId: string; taskQueue: string; connectionId: string },
  note: string,
): Promise<{ scheduleId: string; created: boolean }> {
  return ensureConnectionSchedule(client, {
    scheduleId: id,
    spec: { intervals: [{ every: everyMs }] },
    ...action,
    catchupWindow: '10 minutes',
    pauseOnFailure: true,
    note,
  });
}

/** Creates (or brings to these settings) the FBA sync, daily reconciliation and returns pickup schedules; safe to call on every start. */
export async function ensureStockSchedules(client: Client, settings: StockScheduleSettings): Promise<Array<{ scheduleId: string; created: boolean }>> {
  const { connectionId, taskQueue } = settings;
  return [
    await ensureFbaSyncSchedule(client, settings),
    await ensureSchedule(
      client,
      scheduleId('reconcile', connectionId),
      settings.reconcileIntervalMs,
      { workflowType: 'reconcileStock', workflowId: `${scheduleId('reconcile', connectionId)}:run`, taskQueue, connectionId },
      `Compares Amazon's listings and FBA figures with Conduit's ledger for ${connectionId}; corrects FBM drift, reports SKU mismatches.`,
    ),
    await ensureSchedule(
      client,
      scheduleId('returns-pickup', connectionId),
      settings.returnsPickupIntervalMs ?? 6 * 3_600_000,
      { workflowType: 'returnsPickup', workflowId: `${scheduleId('returns-pickup', connectionId)}:run`, taskQueue, connectionId },
      `Reads Amazon's FBM and FBA returns reports for ${connectionId}; each return waits for inspection before stock is reinstated.`,
    ),
  ];
}

/** Creates (or updates) the FBA inventory sync schedule (every FBA_SYNC_INTERVAL); idempotent. */
export async function ensureFbaSyncSchedule(client: Client, settings: Pick<StockScheduleSettings, 'connectionId' | 'taskQueue' | 'fbaSyncIntervalMs'>): Promise<{ scheduleId: string; created: boolean }> {
  const id = scheduleId('fba-sync', settings.connectionId);
  return ensureSchedule(
    client,
    id,
    settings.fbaSyncIntervalMs,
    { workflowType: 'fbaInventorySync', workflowId: `${id}:run`, taskQueue: settings.taskQueue, connectionId: settings.connectionId },
    `Reads Amazon's FBA inventory for ${settings.connectionId} (figures lag reality by up to 4–6 hours at peak).`,
  );
}
