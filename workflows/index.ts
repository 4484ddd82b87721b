/** Every workflow the Conduit worker runs. Workflow code imports only domain, contracts and activity types. */
export { onboardConnection } from './onboarding';
export { skuStockPush } from './stock/sku-push';
export { amazonOrder } from './orders/order';
export { orderDownload } from './orders/download';
export { orderNotification } from './orders/notification';
export { connectionWorkflow, consentRequest, completeReauthorisation, scopeCanary } from './connection';
export { mwsMigration } from './mws-migration';
export { fbaInventorySync } from './stock/fba-sync';
export { reconcileStock } from './stock/reconcile';
export { customerReturn, returnsPickup } from './stock/returns';
export { listingFeed } from './feeds/listing-feed';
export { listingFeedTick } from './feeds/tick';
export { preLaunchChecklist } from './checklist';
export { piiPurge } from './pii-purge';
