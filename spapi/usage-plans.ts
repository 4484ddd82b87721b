/**
 * Default usage plans (rate per second, burst) for every SP-API operation Conduit calls, read
 * from the official models via the committed spapi/usage-plans.json (regenerate with
 * `node --import tsx spapi/generate-usage-plans.ts`). No number is typed here: this file only
 * says which model each operation comes from.
 */
import type { SpApiOperation } from '../domain/scopes';
import generated from './usage-plans.json';

export interface UsagePlan {
  /** Tokens restored per second. */
  rate: number;
  /** Bucket size: calls that may be made back to back after a quiet period. */
  burst: number;
}

/** LWA calls go to api.amazon.com and have no SP-API usage plan. */
export type RateLimitedOperation = Exclude<SpApiOperation, 'exchangeAuthorizationCode' | 'refreshAccessToken'>;

// Which model (file basename) each operation is called on; getOrder exists in v0 and 2026 with
// the same plan, but Conduit calls 2026. confirmShipment/updateShipmentStatus only exist in v0.
const MODEL_OF: Readonly<Record<RateLimitedOperation, string>> = {
  searchOrders: 'orders_2026-01-01',
  getOrder: 'orders_2026-01-01',
  confirmShipment: 'ordersV0',
  updateShipmentStatus: 'ordersV0',
  getInventorySummaries: 'fbaInventory',
  getListingsItem: 'listingsItems_2021-08-01',
  patchListingsItem: 'listingsItems_2021-08-01',
  putListingsItem: 'listingsItems_2021-08-01',
  createFeedDocument: 'feeds_2021-06-30',
  createFeed: 'feeds_2021-06-30',
  getFeed: 'feeds_2021-06-30',
  getFeedDocument: 'feeds_2021-06-30',
  cancelFeed: 'feeds_2021-06-30',
  createReport: 'reports_2021-06-30',
  getReport: 'reports_2021-06-30',
  getReportDocument: 'reports_2021-06-30',
  createRestrictedDataToken: 'tokens_2021-03-01',
  getMarketplaceParticipations: 'sellers',
};

/** The model key (`<model>#<operationId>`) in usage-plans.json for an operation. */
export function usagePlanKey(operation: RateLimitedOperation): string {
  return `${MODEL_OF[operation]}#${operation}`;
}

const operations = generated.operations as Record<string, UsagePlan | undefined>;

function load(): Record<RateLimitedOperation, UsagePlan> {
  const table = {} as Record<RateLimitedOperation, UsagePlan>;
  for (const op of Object.keys(MODEL_OF) as RateLimitedOperation[]) {
    const plan = operations[usagePlanKey(op)];
    if (!plan) throw new Error(`spapi/usage-plans.json has no plan for ${usagePlanKey(op)}: regenerate it from the models`);
    table[op] = { rate: plan.rate, burst: plan.burst };
  }
  return table;
}

/** Default usage plan per operation, as printed in Amazon's models. */
export const USAGE_PLANS: Readonly<Record<RateLimitedOperation, UsagePlan>> = load();

/** True for operations that go to the SP-API (and so have a usage plan), false for LWA calls. */
export function isRateLimited(operation: SpApiOperation): operation is RateLimitedOperation {
  return operation in MODEL_OF;
}

/** The operation's usage plan, or undefined for LWA calls. */
export function usagePlanFor(operation: SpApiOperation): UsagePlan | undefined {
  return isRateLimited(operation) ? USAGE_PLANS[operation] : undefined;
}

/** Milliseconds the plan needs to restore one token (1 / rate), rounded up. */
export function restoreIntervalMs(plan: UsagePlan): number {
  return Math.ceil(1000 / plan.rate);
}
