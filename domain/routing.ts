// FBA vs FBM routing and order download rules. FBA orders are recorded and never despatched by the
// warehouse; FBM orders are downloaded, allocated, despatched and confirmed. Knowing which one an order
// is comes first, so an order whose route cannot be read is never guessed.

import { instantOrThrow, MINUTE_MS, toIso } from './time';

/** Who ships the order, in the Orders 2026 vocabulary. */
export type FulfilledBy = 'AMAZON' | 'MERCHANT';

/** Orders 2026 `fulfillment.fulfillmentStatus` values. */
export type FulfillmentStatus =
  | 'PENDING_AVAILABILITY'
  | 'PENDING'
  | 'UNSHIPPED'
  | 'PARTIALLY_SHIPPED'
  | 'SHIPPED'
  | 'CANCELLED'
  | 'UNFULFILLABLE';

/** Every fulfilment status, for exhaustive checks. */
export const FULFILLMENT_STATUSES: readonly FulfillmentStatus[] = [
  'PENDING_AVAILABILITY', 'PENDING', 'UNSHIPPED', 'PARTIALLY_SHIPPED', 'SHIPPED', 'CANCELLED', 'UNFULFILLABLE',
];

/** The seller's two fulfilment routes: Amazon ships (FBA) or the seller's warehouse ships (FBM). */
export type FulfilmentRoute = 'FBA' | 'FBM';

/** The part of an Orders 2026 order that routing reads (request includedData=FULFILLMENT). */
export type RoutableOrder = {
  orderId: string;
  fulfillment?: { fulfillmentStatus: string; fulfilledBy?: string };
};

/** FBA or FBM from `fulfillment.fulfilledBy`; UNKNOWN when Amazon did not say (FULFILLMENT not requested) — re-read the order, never guess. */
export function routeOrder(order: RoutableOrder): FulfilmentRoute | 'UNKNOWN' {
  switch (order.fulfillment?.fulfilledBy) {
    case 'AMAZON':
      return 'FBA';
    case 'MERCHANT':
      return 'FBM';
    default:
      return 'UNKNOWN';
  }
}

/** FBA or FBM from the v0 / ORDER_CHANGE vocabulary (AFN = Amazon, MFN = merchant). */
export function routeFromFulfillmentChannel(channel: string): FulfilmentRoute | 'UNKNOWN' {
  return channel === 'AFN' ? 'FBA' : channel === 'MFN' ? 'FBM' : 'UNKNOWN';
}

/** Which new orders Conduit downloads: FBM orders in these statuses, and FBA orders in these statuses (or all). */
export type DownloadRules = { fbmStatuses: FulfillmentStatus[]; fbaStatuses: FulfillmentStatus[] | 'ALL' };

/** The guide's default: FBM orders ready to ship (Unshipped, partially shipped) plus every FBA order for the record. */
export const DEFAULT_DOWNLOAD_RULES: DownloadRules = {
  fbmStatuses: ['UNSHIPPED', 'PARTIALLY_SHIPPED'],
  fbaStatuses: 'ALL',
};

/** Whether an order should start a Conduit order workflow under these rules (updates to orders already known always flow). */
export function isDownloadable(rules: DownloadRules, order: RoutableOrder): boolean {
  const status = order.fulfillment?.fulfillmentStatus;
  if (status === undefined) return false;
  switch (routeOrder(order)) {
    case 'FBM':
      return (rules.fbmStatuses as readonly string[]).includes(status);
    case 'FBA':
      return rules.fbaStatuses === 'ALL' || (rules.fbaStatuses as readonly string[]).includes(status);
    case 'UNKNOWN':
      return false;
  }
}

/** searchOrders filter parameters; an absent field means "no filter on this". */
export type SearchOrdersFilter = { fulfilledBy?: FulfilledBy[]; fulfillmentStatuses?: FulfillmentStatus[] };

/** Statuses always searched when statuses are narrowed, so a cancellation reaches FBM orders that already hold stock. */
export const ALWAYS_FOLLOWED_STATUSES: readonly FulfillmentStatus[] = ['CANCELLED'];

/**
 * The narrowest single searchOrders filter that still returns every downloadable order, or null if the
 * rules download nothing. One search, not one per route: searchOrders refills at one call per ~3 minutes,
 * so isDownloadable applies the exact per-route statuses afterwards.
 */
export function searchFilterFor(rules: DownloadRules): SearchOrdersFilter | null {
  const wantsFbm = rules.fbmStatuses.length > 0;
  const wantsFba = rules.fbaStatuses === 'ALL' || rules.fbaStatuses.length > 0;
  if (!wantsFbm && !wantsFba) return null;
  const filter: SearchOrdersFilter = {};
  if (wantsFbm !== wantsFba) filter.fulfilledBy = [wantsFbm ? 'MERCHANT' : 'AMAZON'];
  const fbaAll = wantsFba && rules.fbaStatuses === 'ALL';
  if (!fbaAll) {
    const wanted = new Set<FulfillmentStatus>([
      ...(wantsFbm ? rules.fbmStatuses : []),
      ...(wantsFba && rules.fbaStatuses !== 'ALL' ? rules.fbaStatuses : []),
      ...ALWAYS_FOLLOWED_STATUSES,
    ]);
    const statuses = FULFILLMENT_STATUSES.filter((s) => wanted.has(s));
    if (statuses.length < FULFILLMENT_STATUSES.length) filter.fulfillmentStatuses = statuses;
  }
  return filter;
}

/** Amazon rejects a lastUpdatedBefore later than 2 minutes before the request. */
export const AMAZON_MIN_BEFORE_LAG_MINUTES = 2;
/** Conduit keeps one extra minute for clock skew between its workers and Amazon. */
export const LAST_UPDATED_BEFORE_LAG_MINUTES = AMAZON_MIN_BEFORE_LAG_MINUTES + 1;

/** The lastUpdatedAfter/Before pair for one poll, or null when the window is still empty (poll again later). */
export function searchWindowFor(cursor: string, now: string): { lastUpdatedAfter: string; lastUpdatedBefore: string } | null {
  const after = instantOrThrow(cursor, 'cursor');
  const before = instantOrThrow(now, 'now') - LAST_UPDATED_BEFORE_LAG_MINUTES * MINUTE_MS;
  if (after >= before) return null;
  return { lastUpdatedAfter: toIso(after), lastUpdatedBefore: toIso(before) };
}

/**
 * The durable lastUpdatedAfter for the next poll, computed once every page of the window made at `now`
 * (see searchWindowFor) has been read. It steps back `overlapMinutes` from the newest change seen (or
 * from the window end if nothing changed), so an order Amazon indexes late at the boundary is fetched
 * again rather than skipped; it never moves backwards. Re-fetched orders are no-ops (workflow ID reuse).
 */
export function nextCursor(previousCursor: string, pageMaxLastUpdated: string | null, overlapMinutes: number, now: string): string {
  if (!Number.isFinite(overlapMinutes) || overlapMinutes < 0) throw new Error(`overlapMinutes must be ≥ 0, got ${overlapMinutes}`);
  const previous = instantOrThrow(previousCursor, 'previousCursor');
  const windowEnd = instantOrThrow(now, 'now') - LAST_UPDATED_BEFORE_LAG_MINUTES * MINUTE_MS;
  const seen = pageMaxLastUpdated === null ? windowEnd : Math.min(instantOrThrow(pageMaxLastUpdated, 'pageMaxLastUpdated'), windowEnd);
  return toIso(Math.max(previous, seen - overlapMinutes * MINUTE_MS));
}

const AMAZON_ORDER_ID = /^\d{3}-\d{7}-\d{7}$/;
const MARKETPLACE_ID = /^A[A-Z0-9]{9,15}$/;

/** True for Amazon's 3-7-7 order id format, e.g. 202-1234567-1234567. */
export function isAmazonOrderId(value: string): boolean {
  return AMAZON_ORDER_ID.test(value);
}

/** True for a plausible marketplace id, e.g. A1F83G8C2ARO7P (Amazon.co.uk). */
export function isMarketplaceId(value: string): boolean {
  return MARKETPLACE_ID.test(value);
}

/** Amazon.co.uk's marketplace id. */
export const UK_MARKETPLACE_ID = 'A1F83G8C2ARO7P';

/** The order workflow's ID, e.g. order:A1F83G8C2ARO7P:202-1234567-1234567, so a repeated download is a no-op and an operator can type it. */
export function orderWorkflowId(marketplaceId: string, amazonOrderId: string): string {
  if (!isMarketplaceId(marketplaceId)) throw new Error(`Not a marketplace id: ${JSON.stringify(marketplaceId)}`);
  if (!isAmazonOrderId(amazonOrderId)) throw new Error(`Not an Amazon order id (3-7-7 digits): ${JSON.stringify(amazonOrderId)}`);
  return `order:${marketplaceId}:${amazonOrderId}`;
}

/** The marketplace and order id inside an order workflow ID, or null if it is not one. */
export function parseOrderWorkflowId(workflowId: string): { marketplaceId: string; amazonOrderId: string } | null {
  const parts = workflowId.split(':');
  if (parts.length !== 3 || parts[0] !== 'order') return null;
  const [, marketplaceId = '', amazonOrderId = ''] = parts;
  return isMarketplaceId(marketplaceId) && isAmazonOrderId(amazonOrderId) ? { marketplaceId, amazonOrderId } : null;
}
