/**
 * Contract for the order family: the download (one run per schedule tick per connection), the
 * ORDER_CHANGE notification hand-off, and one workflow per Amazon order. Scripts, activities,
 * the notification receiver and the workflows import names and IDs from here only.
 *
 * Nothing in these messages carries buyer PII: orders travel as IDs, SKUs, quantities and
 * statuses; the recipient's address stays sealed in Postgres.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { FulfilledBy, FulfillmentStatus } from '../../domain/routing';
import { scheduleId } from './schedules';

export { orderWorkflowId, parseOrderWorkflowId } from '../../domain/routing';

/** Workflow type names (what the schedule, the receiver and signalWithStart start). */
export const ORDER_WORKFLOW_TYPE = 'amazonOrder';
export const ORDER_DOWNLOAD_WORKFLOW_TYPE = 'orderDownload';
export const ORDER_NOTIFICATION_WORKFLOW_TYPE = 'orderNotification';

/** Prefix of each scheduled download run's ID (Temporal appends the scheduled time). */
export const orderDownloadWorkflowId = (connectionId: string): string => scheduleId('order-download', connectionId);
/** One workflow per ORDER_CHANGE notification id, so a redelivered notification is a no-op. */
export const orderNotificationWorkflowId = (notificationId: string): string => `order-notification:${notificationId}`;

/** Minutes the next poll re-reads before the newest change seen, so nothing indexed late at a boundary is skipped. */
export const DOWNLOAD_OVERLAP_MINUTES = 5;
/** First poll of a new connection looks back this far. */
export const INITIAL_LOOKBACK_MINUTES = 24 * 60;
/** How often an FBA order (or a quiet FBM order) re-reads Amazon if no update has arrived by signal. */
export const FALLBACK_POLL_INTERVAL = '6 hours';
/** Waits between checks that Amazon shows a confirmed order SHIPPED; after the last one the order needs attention. */
export const VERIFY_SHIPPED_DELAYS = ['10 seconds', '1 minute', '2 minutes', '5 minutes', '10 minutes', '30 minutes'] as const;
/** After verification has escalated, keep checking this often (a `retry` signal checks at once). */
export const VERIFY_SHIPPED_LATE_INTERVAL = '1 hour';

/** One order line as Conduit keeps it: the SKU exactly as Amazon sent it. */
export interface OrderLineSnapshot {
  orderItemId: string;
  sku: string;
  asin?: string;
  quantityOrdered: number;
  quantityShipped: number;
}

/** A package Amazon lists on the order (FBM), used to recognise a confirmation that did reach Amazon. */
export interface AmazonPackageSnapshot {
  packageReferenceId: string;
  trackingNumber?: string;
  status?: string;
}

/** The non-PII part of an Orders 2026 order, as handed to the order workflow. */
export interface OrderSnapshot {
  amazonOrderId: string;
  marketplaceId: string;
  fulfilledBy: FulfilledBy | 'UNKNOWN';
  status: FulfillmentStatus;
  purchasedAt: string;
  lastUpdatedAt: string;
  latestShipDate?: string;
  lines: OrderLineSnapshot[];
  packages: AmazonPackageSnapshot[];
}

export type DownloadedVia = 'POLL' | 'NOTIFICATION' | 'BACKFILL';

/** Start arguments of the order workflow: identity only; the order itself arrives by signal. */
export interface OrderWorkflowInput {
  connectionId: string;
  marketplaceId: string;
  amazonOrderId: string;
  downloadedVia: DownloadedVia;
  /** Set by continue-as-new only. */
  carried?: CarriedOrderState;
}

/** Where the order is in Conduit's lifecycle. */
export type OrderLifecycleState =
  | 'NEW'
  | 'AWAITING_PAYMENT'
  | 'FBA_RECORDED'
  | 'FBA_SHIPPED'
  | 'SKU_MISMATCH'
  | 'AWAITING_STOCK'
  | 'ALLOCATED'
  | 'PARTIALLY_DESPATCHED'
  | 'DESPATCHED'
  | 'SHIPPED'
  | 'CANCELLED'
  | 'CANCELLED_AFTER_DESPATCH';

/** States after which the order workflow has nothing left to do. */
export const TERMINAL_ORDER_STATES: readonly OrderLifecycleState[] = ['FBA_SHIPPED', 'SHIPPED', 'CANCELLED', 'CANCELLED_AFTER_DESPATCH'];

export type AttentionKind =
  | 'UNKNOWN_ROUTE'
  | 'SKU_MISMATCH'
  | 'SHORTFALL'
  | 'LATE_FOR_DESPATCH'
  | 'NOT_SHOWN_SHIPPED'
  | 'CANCELLED_AFTER_DESPATCH'
  | 'CONFIRM_REJECTED'
  | 'ACCESS_BLOCKED';

/** Why an operator must look at the order, in words that say what to do. */
export interface Attention {
  kind: AttentionKind;
  message: string;
  since: string;
}

/** What the warehouse (or `scripts/despatch.ts`) sends when one package leaves. */
export interface DespatchRequest {
  carrierCode: string;
  carrierName?: string;
  shippingMethod: string;
  trackingNumber: string;
  shipDate: string;
  lines: Array<{ orderItemId: string; quantity: number }>;
  /** Who sent it (warehouse system or operator), for the order's history. */
  by?: string;
}

export type DespatchResult =
  | { accepted: true; packageReferenceId: string; duplicate: boolean }
  | { accepted: false; errors: Array<{ field: string; message: string }> };

/** QUEUED: accepted, not yet confirmed to Amazon; REJECTED: Amazon refused it; NOT_CONFIRMED: the order was cancelled before it was sent. */
export type PackageStatus = 'QUEUED' | 'CONFIRMED' | 'REJECTED' | 'NOT_CONFIRMED';

export interface PackageRecord {
  packageReferenceId: string;
  carrierCode: string;
  carrierName: string;
  shippingMethod: string;
  trackingNumber: string;
  shipDate: string;
  lines: Array<{ orderItemId: string; quantity: number }>;
  status: PackageStatus;
  confirmedAt?: string;
  /** How the confirmation was established: our call, or Amazon already listing the tracking number. */
  confirmedVia?: 'CALL' | 'ALREADY_ON_AMAZON' | 'ALREADY_RECORDED';
}

/** The orderStatus query's answer: what an operator checks. */
export interface OrderStatus {
  workflowId: string;
  connectionId: string;
  marketplaceId: string;
  amazonOrderId: string;
  route: 'FBA' | 'FBM' | 'UNKNOWN';
  state: OrderLifecycleState;
  amazonStatus: FulfillmentStatus | null;
  needsAttention: boolean;
  attention: Attention[];
  latestShipDate: string | null;
  lines: Array<OrderLineSnapshot & { allocated: number }>;
  packages: PackageRecord[];
  lastDespatchRejection: { at: string; errors: Array<{ field: string; message: string }> } | null;
  verifiedShippedAt: string | null;
  /** Recent events, newest last (bounded). */
  history: Array<{ at: string; event: string }>;
}

/** Everything the order workflow carries across continue-as-new (plain JSON). */
export interface CarriedOrderState {
  state: OrderLifecycleState;
  amazon: OrderSnapshot | null;
  allocatedLines: Array<{ orderItemId: string; sku: string; quantity: number }>;
  packages: PackageRecord[];
  attention: Attention[];
  lastDespatchRejection: OrderStatus['lastDespatchRejection'];
  verifiedShippedAt: string | null;
  verifyAttempts: number;
  history: OrderStatus['history'];
}

/** What the order workflow returns when it completes. */
export interface OrderOutcome {
  state: OrderLifecycleState;
  amazonStatus: FulfillmentStatus | null;
  needsAttention: boolean;
}

/** Download/notification → order workflow: Amazon's current view of the order. */
export const amazonOrderUpdatedSignal = defineSignal<[OrderSnapshot]>('amazonOrderUpdated');
/** Operator → order workflow: the catalogue or stock was fixed; try the blocked step again now. */
export const retrySignal = defineSignal<[{ by: string; note?: string }]>('retry');
/** Warehouse/operator → order workflow: one package left. Rejections come back at once and show in orderStatus. */
export const despatchUpdate = defineUpdate<DespatchResult, [DespatchRequest]>('despatch');
export const orderStatusQuery = defineQuery<OrderStatus>('orderStatus');

/** A download run's progress, for the Web UI and tests. */
export interface DownloadStatus {
  connectionId: string;
  phase: 'PLANNING' | 'DOWNLOADING' | 'DONE' | 'NEEDS_ATTENTION' | 'NOTHING_TO_DO';
  window: { lastUpdatedAfter: string; lastUpdatedBefore: string } | null;
  pages: number;
  ordersSeen: number;
  handedOff: number;
  skipped: number;
  needsAttention: string | null;
  nextCursor: string | null;
}

export interface OrderDownloadInput {
  connectionId: string;
  overlapMinutes?: number;
  /** Set by continue-as-new in the middle of a long backlog only. */
  resume?: {
    plan: DownloadPlan;
    paginationToken: string;
    maxLastUpdated: string | null;
    totals: { pages: number; ordersSeen: number; handedOff: number; skipped: number };
  };
}

/** One poll's plan, computed once (the window and `now` come from the activity's clock). */
export interface DownloadPlan {
  connectionId: string;
  previousCursor: string;
  now: string;
  window: { lastUpdatedAfter: string; lastUpdatedBefore: string };
  marketplaceIds: string[];
  filter: { fulfilledBy?: FulfilledBy[]; fulfillmentStatuses?: FulfillmentStatus[] };
}

export const downloadStatusQuery = defineQuery<DownloadStatus>('downloadStatus');

/** What the notification receiver passes on (identifiers only; the payload is a trigger, not the order). */
export interface OrderNotificationInput {
  notificationId: string;
  sellerId: string;
  marketplaceId: string;
  amazonOrderId: string;
  orderChangeType: string;
  eventTime: string;
  /** When the receiver accepted it (for latency measurement). */
  receivedAt: string;
}
