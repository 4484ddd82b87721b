/** All activity factories, combined for the worker. */
import type { ActivityDeps } from './deps';
import { createConnectionActivities } from './connections';
import { createStockLedgerActivities } from './stock-ledger';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createConnectionActivities(deps),
    ...createStockLedgerActivities(deps),
  };
}
