/**
 * `skuStockPush`: one entity workflow per (connection, SKU) that owns the SKU's FBM figure on
 * Amazon. Changes arrive as `stockChanged` signals (any number, in bursts); the workflow pushes
 * one at a time, always the figure read from the ledger at push time, so a burst becomes one
 * push of the latest number. Figures Amazon already has are skipped. It idles for a while after
 * the last change, then finishes; the next `requestStockPush` starts it again.
 */
import {
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import type { createStockActivities } from '../../activities/stock';
import { shouldPush } from '../../domain/stock';
import { dbWrite, spApiCall } from '../../spapi/activity-options';
import { nonRetryableSpApiErrors, type SpApiErrorType } from '../../spapi/errors';
import { pendingPushQuery, stockChangedSignal, type PendingPushState, type SkuStockPushInput } from '../contracts/stock';
import { installReauthorisationHandler, spApiFailure, withAccess } from '../lib/access';
import { accessAttentionHooks, flagAttention } from './attention';
import { installFeedClearanceHandler, withFeedClearance } from '../feeds/push-gate';

type StockActivities = ReturnType<typeof createStockActivities>;
const db = proxyActivities<StockActivities>(dbWrite);
const amazon = proxyActivities<StockActivities>(spApiCall);

/** Tuning, overridable per start for tests; defaults suit production. */
export interface SkuPushTuning {
  /**
   * Optional wait after the first change before reading the figure. Off by default: changes that
   * arrive while a push is in flight already coalesce into the next push, and a Temporal timer
   * costs about a second on a dev server (bench/stock-latency.ts measures both).
   */
  settle?: Duration;
  /** Finish after this long with nothing pending. */
  idle?: Duration;
  /** Continue-as-new after this many pushes/skips (keeps history small). */
  maxCyclesPerRun?: number;
}

const DEFAULTS: Required<SkuPushTuning> = { settle: 0, idle: '10 minutes', maxCyclesPerRun: 200 };

/** Serialises, coalesces and de-duplicates FBM quantity pushes for one SKU. */
export async function skuStockPush(input: SkuStockPushInput & { tuning?: SkuPushTuning }): Promise<PendingPushState> {
  if (!input.connectionId || typeof input.sku !== 'string' || input.sku.length === 0) {
    throw new Error('skuStockPush needs a connectionId and a non-empty SKU');
  }
  const tuning = { ...DEFAULTS, ...input.tuning };
  const state: PendingPushState = {
    connectionId: input.connectionId,
    sku: input.sku,
    pending: (input.pendingChanges ?? 0) > 0,
    pendingChanges: input.pendingChanges ?? 0,
    pushing: false,
    lastPushedQuantity: input.lastPushedQuantity ?? null,
    lastPushedAt: input.lastPushedAt ?? null,
    pushes: input.pushes ?? 0,
    skipped: input.skipped ?? 0,
    needsAttention: null,
  };
  installReauthorisationHandler();
  installFeedClearanceHandler();
  setHandler(stockChangedSignal, () => {
    state.pendingChanges++;
    state.pending = true;
  });
  setHandler(pendingPushQuery, () => ({ ...state }));

  let cycles = 0;
  for (;;) {
    const changed = await condition(() => state.pendingChanges > 0, tuning.idle);
    if (!changed) break;
    if (msToNumber(tuning.settle) > 0) await sleep(tuning.settle);
    state.pendingChanges = 0;
    state.pushing = true;
    // Never into a bulk feed in flight for this SKU: Amazon would hold the push 30–90 min (docs/feeds.md).
    await withFeedClearance(state.connectionId, state.sku, () => pushLatest(state));
    state.pushing = false;
    state.pending = state.pendingChanges > 0;
    cycles++;
    if (cycles >= tuning.maxCyclesPerRun || workflowInfo().continueAsNewSuggested) {
      return continueAsNew<typeof skuStockPush>({
        connectionId: input.connectionId,
        sku: input.sku,
        pendingChanges: state.pendingChanges,
        pushes: state.pushes,
        skipped: state.skipped,
        lastPushedQuantity: state.lastPushedQuantity,
        lastPushedAt: state.lastPushedAt,
        ...(input.tuning ? { tuning: input.tuning } : {}),
      });
    }
  }
  return { ...state, pending: false };
}

/** One push cycle: read the derived figure, skip it if Amazon has it, else patch and remember. */
async function pushLatest(state: PendingPushState): Promise<void> {
  const { connectionId, sku } = state;
  const current = await db.readFbmPushState({ connectionId, sku });
  if (current.kind !== 'FBM') {
    state.skipped++;
    if (current.kind === 'UNKNOWN_SKU') markAttention(state, `SKU ${JSON.stringify(sku)} is not in the catalogue of ${connectionId}; no FBM quantity can be pushed`);
    return;
  }
  state.lastPushedQuantity = current.lastPushedQuantity;
  if (!shouldPush(current.lastPushedQuantity, current.quantity)) {
    state.skipped++;
    return;
  }
  let result: Awaited<ReturnType<StockActivities['pushFbmQuantity']>>;
  try {
    result = await withAccess(
      connectionId,
      () =>
        amazon.pushFbmQuantity({
          connectionId,
          sku,
          quantity: current.quantity,
          productType: current.productType,
          sellerId: current.sellerId,
          marketplaceIds: current.marketplaceIds,
        }),
      accessAttentionHooks(`FBM quantity push for ${sku}`, (reason) => (state.needsAttention = reason)),
    );
  } catch (err) {
    // A refusal that retrying cannot fix (bad input, listing not found): tell an operator, keep the
    // workflow alive for the next change instead of failing the SKU's entity workflow.
    const failure = spApiFailure(err);
    if (!failure || !nonRetryableSpApiErrors.includes(failure.type as SpApiErrorType)) throw err;
    markAttention(state, `Amazon refused the FBM quantity ${current.quantity} for ${sku} (${failure.type}): ${failure.message}`);
    return;
  }
  if (result.status === 'INVALID') {
    markAttention(state, `Amazon refused the FBM quantity ${current.quantity} for ${sku}: ${result.message}`);
    log.warn('FBM push INVALID', { connectionId, submissionId: result.submissionId });
    return;
  }
  const { pushedAt } = await db.recordFbmPush({ connectionId, sku, quantity: current.quantity });
  state.lastPushedQuantity = current.quantity;
  state.lastPushedAt = pushedAt;
  state.pushes++;
  if (state.needsAttention) clearAttention(state);
}

function markAttention(state: PendingPushState, message: string): void {
  state.needsAttention = message;
  flagAttention(true);
}

function clearAttention(state: PendingPushState): void {
  state.needsAttention = null;
  flagAttention(false);
}

