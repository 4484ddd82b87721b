/**
 * Contract for the stock workflow family: the per-SKU FBM push entity (`skuStockPush`), the FBA
 * sync, reconciliation and returns. IDs, signals and queries are spelled here once; activities,
 * scripts and workflows import them.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

// ---------------------------------------------------------------------------------------------
// Workflow IDs. SKUs are exact and case-sensitive and may contain spaces, ':' or unicode, so they
// are percent-encoded (reversibly) before going into an ID; "ABC " and "abc" get different IDs.

/** Encodes a SKU for use inside a workflow ID; reversible with `decodeSkuFromId`. */
export function encodeSkuForId(sku: string): string {
  // encodeURIComponent leaves ! ' ( ) * ~ alone; those are harmless in IDs and keep it reversible.
  return encodeURIComponent(sku);
}

/** Inverse of `encodeSkuForId`. */
export function decodeSkuFromId(encoded: string): string {
  return decodeURIComponent(encoded);
}

const SKU_PUSH_PREFIX = 'sku-push:';

/** The one FBM push workflow per (connection, SKU), e.g. `sku-push:uk-acme:MUG%20RED`. */
export const skuPushWorkflowId = (connectionId: string, sku: string): string => `${SKU_PUSH_PREFIX}${connectionId}:${encodeSkuForId(sku)}`;

/** Reads connection and SKU back out of a push workflow ID (connection IDs never contain ':'). */
export function parseSkuPushWorkflowId(workflowId: string): { connectionId: string; sku: string } | undefined {
  if (!workflowId.startsWith(SKU_PUSH_PREFIX)) return undefined;
  const rest = workflowId.slice(SKU_PUSH_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon <= 0) return undefined;
  return { connectionId: rest.slice(0, colon), sku: decodeSkuFromId(rest.slice(colon + 1)) };
}

/** One return's inspection workflow; the return id is already a business key (fbm:<RMA>, fba:<order>:<sku>:<unit>). */
export const returnWorkflowId = (connectionId: string, returnId: string): string => `return:${connectionId}:${encodeSkuForId(returnId)}`;

/** An on-demand reconciliation run (scheduled runs get the schedule's own IDs). */
export const reconcileWorkflowId = (connectionId: string, runKey: string): string => `reconcile:${connectionId}:${runKey}`;

/** An on-demand FBA sync run (scheduled runs get the schedule's own IDs). */
export const fbaSyncWorkflowId = (connectionId: string, runKey: string): string => `fba-sync:${connectionId}:${runKey}`;

/** An on-demand returns pickup run. */
export const returnsPickupWorkflowId = (connectionId: string, runKey: string): string => `returns-pickup:${connectionId}:${runKey}`;

// ---------------------------------------------------------------------------------------------
// skuStockPush

export interface SkuStockPushInput {
  connectionId: string;
  sku: string;
  /** Carried across continue-as-new: changes signalled but not yet pushed. */
  pendingChanges?: number;
  /** Carried across continue-as-new: totals for the `pendingPush` query. */
  pushes?: number;
  skipped?: number;
  lastPushedQuantity?: number | null;
  lastPushedAt?: string | null;
}

/** Why the FBM figure may have changed; the push reads the real number from the ledger, not from here. */
export interface StockChanged {
  /** e.g. ALLOCATE, RELEASE, DESPATCH, ADJUST, RETURN_RESTOCK, RECONCILE. */
  cause: string;
  /** When the change was recorded (ISO), for latency measurements. */
  at?: string;
}

/** "The FBM figure of this SKU may have changed": coalesced, the push reads the latest number. */
export const stockChangedSignal = defineSignal<[StockChanged]>('stockChanged');

/** What the push workflow is doing; the feeds workflow asks whether a push is pending before a bulk feed. */
export interface PendingPushState {
  connectionId: string;
  sku: string;
  /** True while a change has been signalled and not yet pushed (or a push is in flight). */
  pending: boolean;
  pendingChanges: number;
  pushing: boolean;
  lastPushedQuantity: number | null;
  lastPushedAt: string | null;
  pushes: number;
  skipped: number;
  /** Set when Amazon refused the last push (INVALID submission), with Amazon's message. */
  needsAttention: string | null;
}

export const pendingPushQuery = defineQuery<PendingPushState>('pendingPush');

// ---------------------------------------------------------------------------------------------
// Returns

export type InspectionDecision = 'RESTOCK' | 'DISPOSE';

export interface InspectionResult {
  decision: InspectionDecision;
  /** Who inspected (operator name or 'script'); no buyer data. */
  by: string;
}

/** The warehouse's inspection result for one FBM return. Repeats are ignored after the first. */
export const inspectionSignal = defineSignal<[InspectionResult]>('inspection');

export interface ReturnWorkflowInput {
  connectionId: string;
  returnId: string;
  route: 'FBM' | 'FBA';
  amazonOrderId: string;
  sku: string;
  quantity: number;
  returnedAt: string;
  /** FBA only: Amazon's grade decides (SELLABLE → back to fulfillable). */
  fbaSellable?: boolean;
  /** Hours to wait for inspection before escalating; default INSPECTION_TIMEOUT_HOURS (48). */
  inspectionTimeoutHours?: number;
}

export type ReturnStatus = 'AWAITING_INSPECTION' | 'RESTOCKED' | 'DISPOSED' | 'RECORDED';

export interface ReturnState {
  returnId: string;
  status: ReturnStatus;
  needsAttention: string | null;
  decision: InspectionDecision | null;
}

export const returnStateQuery = defineQuery<ReturnState>('returnState');

// ---------------------------------------------------------------------------------------------
// Reconciliation

export interface ReconcileInput {
  connectionId: string;
  /** Correct FBM drift by requesting pushes (default true); false only reports. */
  correct?: boolean;
  /**
   * Amazon showing fewer FBM units than the ledger is usually an order Amazon has counted and
   * Conduit has not downloaded yet; such drift is corrected only if it is still there after this
   * long (default 15 minutes, longer than the order poll). Amazon showing more is corrected at once.
   */
  confirmLowerDriftAfter?: string;
}

export interface FbmDrift {
  sku: string;
  /** What Conduit's ledger says should be on Amazon (on hand − allocated − buffer). */
  ledgerQuantity: number;
  /** What Amazon shows as the DEFAULT-channel quantity. */
  amazonQuantity: number;
  /** HIGHER: Amazon offers more than the warehouse can ship (oversell risk). LOWER: Amazon offers less. */
  direction: 'HIGHER' | 'LOWER';
  /** CORRECTED: a push was requested; GONE: not there on a fresh read; PUSH_PENDING: a push was already on its way; REPORTED: correction off. */
  outcome: 'CORRECTED' | 'GONE' | 'PUSH_PENDING' | 'REPORTED';
}

export interface FbaDrift {
  sku: string;
  /** Amazon's fulfillable as last recorded by the FBA sync. */
  ledgerFulfillable: number;
  /** Amazon's fulfillable now (still lagging reality); the next FBA sync records it. */
  amazonFulfillable: number;
  amazonReportedAt: string | null;
}

export interface SkuMismatchReport {
  conduitSku: string;
  amazonSku: string;
  differences: string[];
  message: string;
}

export interface ReconciliationReport {
  runId: string;
  connectionId: string;
  startedAt: string;
  finishedAt: string;
  skusCompared: number;
  fbmDrift: FbmDrift[];
  fbaDrift: FbaDrift[];
  nearMisses: SkuMismatchReport[];
  onlyOnAmazon: string[];
  onlyInConduit: string[];
}

export const reconciliationReportQuery = defineQuery<ReconciliationReport | null>('reconciliationReport');
