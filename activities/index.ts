/** All activity factories, combined for the worker. */
import type { ActivityDeps } from './deps';
import { createConnectionActivities } from './connections';
import { createStockLedgerActivities } from './stock-ledger';
import { createOrderActivities } from './orders';
import { createStockActivities } from './stock';
import { createReturnActivities } from './returns';
import { createReconcileActivities } from './reconcile';
import { createAuthActivities } from './auth';
import { createMigrationActivities } from './migration';
import { createChecklistActivities } from './checklist';
import { createFeedActivities } from './feeds';
import { createPiiActivities } from './pii';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createConnectionActivities(deps),
    ...createStockLedgerActivities(deps),
    ...createOrderActivities(deps),
    ...createStockActivities(deps),
    ...createReturnActivities(deps),
    ...createReconcileActivities(deps),
    ...createAuthActivities(deps),
    ...createMigrationActivities(deps),
    ...createChecklistActivities(deps),
    ...createFeedActivities(deps),
    ...createPiiActivities(deps),
  };
}
