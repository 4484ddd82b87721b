/**
 * Conduit's tables. Constraints make bad states impossible rather than merely unlikely:
 * an FBM pool cannot go below zero or allocate more than it holds, a ledger entry cannot be
 * applied twice, an order line cannot exist without its order.
 */
import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  check,
  doublePrecision,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

/** One authorised seller account in one SP-API region (an EU token never serves a .com marketplace). */
export const connections = pgTable(
  'connections',
  {
    id: text('id').primaryKey(),
    sellerId: text('seller_id').notNull(),
    region: text('region').notNull(),
    marketplaceIds: text('marketplace_ids').array().notNull(),
    apiKind: text('api_kind').notNull().default('SP_API'),
    grantedScopes: text('granted_scopes').array().notNull().default(sql`'{}'::text[]`),
    blockedScopes: text('blocked_scopes').array().notNull().default(sql`'{}'::text[]`),
    status: text('status').notNull().default('ACTIVE'),
    /** AES-GCM ciphertext (see spapi/secrets.ts); never the plain token. */
    refreshTokenEnc: text('refresh_token_enc'),
    downloadRules: jsonb('download_rules'),
    orderCursor: timestamp('order_cursor', { withTimezone: true }),
    lastMwsOrderAt: timestamp('last_mws_order_at', { withTimezone: true }),
    /** When the seller last consented (refresh token issued); public-app authorisations expire 365 days later. */
    authorisedAt: timestamp('authorised_at', { withTimezone: true }),
    fbaLagAcknowledged: boolean('fba_lag_acknowledged').notNull().default(false),
    feedWindow: jsonb('feed_window'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('connections_seller_region').on(t.sellerId, t.region),
    check('connections_region', sql`${t.region} in ('eu','na','fe')`),
    check('connections_api_kind', sql`${t.apiKind} in ('SP_API','MWS')`),
    check('connections_status', sql`${t.status} in ('ACTIVE','NEEDS_ATTENTION','MIGRATING','DISCONNECTED')`),
    check('connections_marketplaces', sql`cardinality(${t.marketplaceIds}) between 1 and 50`),
    check('connections_token_sealed', sql`${t.refreshTokenEnc} is null or ${t.refreshTokenEnc} like 'enc:%'`),
  ],
);

/** Catalogue items keyed by the exact, case-sensitive seller SKU. */
export const catalogueItems = pgTable(
  'catalogue_items',
  {
    connectionId: text('connection_id').notNull().references(() => connections.id),
    sku: text('sku').notNull(),
    asin: text('asin'),
    title: text('title'),
    productType: text('product_type').notNull().default('PRODUCT'),
    fulfilment: text('fulfilment').notNull(),
    buffer: integer('buffer').notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.connectionId, t.sku] }),
    check('catalogue_fulfilment', sql`${t.fulfilment} in ('FBM','FBA','HYBRID')`),
    check('catalogue_buffer', sql`${t.buffer} >= 0`),
    check('catalogue_sku_not_blank', sql`length(${t.sku}) between 1 and 40`),
  ],
);

/**
 * Stock per SKU per pool. FBM: warehouse on-hand and units allocated to open FBM orders.
 * FBA: Amazon's last report (fulfillable etc.) with its as-of time. The two never mix.
 */
export const stockPools = pgTable(
  'stock_pools',
  {
    connectionId: text('connection_id').notNull(),
    sku: text('sku').notNull(),
    pool: text('pool').notNull(),
    onHand: integer('on_hand').notNull().default(0),
    allocated: integer('allocated').notNull().default(0),
    fbaInbound: integer('fba_inbound').notNull().default(0),
    fbaReserved: integer('fba_reserved').notNull().default(0),
    fbaUnfulfillable: integer('fba_unfulfillable').notNull().default(0),
    reportedAt: timestamp('reported_at', { withTimezone: true }),
    syncedAt: timestamp('synced_at', { withTimezone: true }),
    /** The FBM quantity Amazon last accepted from us (null: never pushed). */
    lastPushedQuantity: integer('last_pushed_quantity'),
    lastPushedAt: timestamp('last_pushed_at', { withTimezone: true }),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.connectionId, t.sku, t.pool] }),
    foreignKey({ columns: [t.connectionId, t.sku], foreignColumns: [catalogueItems.connectionId, catalogueItems.sku] }),
    check('stock_pool_kind', sql`${t.pool} in ('FBM','FBA')`),
    check('stock_on_hand_non_negative', sql`${t.onHand} >= 0`),
    check('stock_allocated_non_negative', sql`${t.allocated} >= 0`),
    check('stock_no_oversell', sql`${t.allocated} <= ${t.onHand}`),
    check('stock_fba_has_no_allocation', sql`${t.pool} = 'FBM' or ${t.allocated} = 0`),
  ],
);

/** Every stock change, once: the idempotency key makes a retried activity a no-op. */
export const stockLedger = pgTable(
  'stock_ledger',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    connectionId: text('connection_id').notNull(),
    sku: text('sku').notNull(),
    pool: text('pool').notNull(),
    kind: text('kind').notNull(),
    onHandDelta: integer('on_hand_delta').notNull().default(0),
    allocatedDelta: integer('allocated_delta').notNull().default(0),
    idempotencyKey: text('idempotency_key').notNull(),
    reason: text('reason').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('stock_ledger_idempotency').on(t.idempotencyKey),
    index('stock_ledger_sku').on(t.connectionId, t.sku),
    check('stock_ledger_pool', sql`${t.pool} in ('FBM','FBA')`),
    check(
      'stock_ledger_kind',
      sql`${t.kind} in ('ADJUST','ALLOCATE','RELEASE','DESPATCH','RETURN_RESTOCK','FBA_REPORT','FBA_RETURN','FBA_SALE')`,
    ),
  ],
);

/** Amazon orders, one row per (marketplace, order id); FBA and FBM kept apart by `fulfilledBy`. */
export const orders = pgTable(
  'orders',
  {
    marketplaceId: text('marketplace_id').notNull(),
    amazonOrderId: text('amazon_order_id').notNull(),
    connectionId: text('connection_id').notNull().references(() => connections.id),
    fulfilledBy: text('fulfilled_by').notNull(),
    amazonStatus: text('amazon_status').notNull(),
    state: text('state').notNull(),
    needsAttention: text('needs_attention'),
    purchasedAt: timestamp('purchased_at', { withTimezone: true }).notNull(),
    amazonUpdatedAt: timestamp('amazon_updated_at', { withTimezone: true }).notNull(),
    latestShipDate: timestamp('latest_ship_date', { withTimezone: true }),
    /** Buyer PII (recipient), AES-GCM sealed; purged 30 days after shipment. */
    recipientEnc: text('recipient_enc'),
    piiPurgedAt: timestamp('pii_purged_at', { withTimezone: true }),
    shippedAt: timestamp('shipped_at', { withTimezone: true }),
    downloadedVia: text('downloaded_via').notNull().default('POLL'),
    /** Amazon's lastUpdatedTime last handed to the order workflow; a retried download re-sends anything newer. */
    handedOffUpdatedAt: timestamp('handed_off_updated_at', { withTimezone: true }),
    firstSeenAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.marketplaceId, t.amazonOrderId] }),
    index('orders_connection_state').on(t.connectionId, t.state),
    check('orders_fulfilled_by', sql`${t.fulfilledBy} in ('AMAZON','MERCHANT')`),
    check('orders_id_format', sql`${t.amazonOrderId} ~ '^[0-9]{3}-[0-9]{7}-[0-9]{7}$'`),
    check('orders_downloaded_via', sql`${t.downloadedVia} in ('POLL','NOTIFICATION','BACKFILL')`),
  ],
);

/** Lines of an order; SKU kept exactly as Amazon sent it (a near-miss is never silently mapped). */
export const orderLines = pgTable(
  'order_lines',
  {
    marketplaceId: text('marketplace_id').notNull(),
    amazonOrderId: text('amazon_order_id').notNull(),
    orderItemId: text('order_item_id').notNull(),
    sku: text('sku').notNull(),
    asin: text('asin'),
    quantityOrdered: integer('quantity_ordered').notNull(),
    quantityShipped: integer('quantity_shipped').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.marketplaceId, t.amazonOrderId, t.orderItemId] }),
    foreignKey({ columns: [t.marketplaceId, t.amazonOrderId], foreignColumns: [orders.marketplaceId, orders.amazonOrderId] }).onDelete(
      'cascade',
    ),
    check('order_lines_quantity', sql`${t.quantityOrdered} > 0 and ${t.quantityShipped} between 0 and ${t.quantityOrdered}`),
  ],
);

/** FBM shipments we confirmed to Amazon; one row per package, so a confirmation is never sent twice. */
export const shipments = pgTable(
  'shipments',
  {
    marketplaceId: text('marketplace_id').notNull(),
    amazonOrderId: text('amazon_order_id').notNull(),
    packageReferenceId: text('package_reference_id').notNull(),
    carrierCode: text('carrier_code').notNull(),
    carrierName: text('carrier_name'),
    shippingMethod: text('shipping_method'),
    trackingNumber: text('tracking_number').notNull(),
    shipDate: timestamp('ship_date', { withTimezone: true }).notNull(),
    lines: jsonb('lines').notNull(),
    confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
    verifiedShippedAt: timestamp('verified_shipped_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.marketplaceId, t.amazonOrderId, t.packageReferenceId] }),
    foreignKey({ columns: [t.marketplaceId, t.amazonOrderId], foreignColumns: [orders.marketplaceId, orders.amazonOrderId] }),
    check('shipments_tracking', sql`length(trim(${t.trackingNumber})) > 0`),
  ],
);

/** The channel log: one row per SP-API call, what operators check after a peak period. */
export const channelLog = pgTable(
  'channel_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    connectionId: text('connection_id').notNull(),
    operation: text('operation').notNull(),
    scope: text('scope').notNull(),
    httpStatus: integer('http_status'),
    errorCode: text('error_code'),
    errorType: text('error_type'),
    latencyMs: integer('latency_ms').notNull(),
    rateLimitHeader: doublePrecision('rate_limit_header'),
    waitedMs: integer('waited_ms').notNull().default(0),
    workflowId: text('workflow_id'),
  },
  (t) => [index('channel_log_connection_at').on(t.connectionId, t.at), index('channel_log_operation').on(t.operation, t.at)],
);

/** Token buckets per (connection, operation), shared by every worker process. */
export const rateBuckets = pgTable(
  'rate_buckets',
  {
    connectionId: text('connection_id').notNull(),
    operation: text('operation').notNull(),
    tokens: doublePrecision('tokens').notNull(),
    ratePerSecond: doublePrecision('rate_per_second').notNull(),
    burst: doublePrecision('burst').notNull(),
    refilledAt: timestamp('refilled_at', { withTimezone: true, precision: 6 }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.connectionId, t.operation] }),
    check('rate_buckets_positive', sql`${t.ratePerSecond} > 0 and ${t.burst} >= 1`),
  ],
);

/** Queued bulk listing changes (title, description, price): latest value per SKU wins. */
export const listingChanges = pgTable(
  'listing_changes',
  {
    connectionId: text('connection_id').notNull(),
    sku: text('sku').notNull(),
    attributes: jsonb('attributes').notNull(),
    status: text('status').notNull().default('QUEUED'),
    feedId: text('feed_id'),
    message: text('message'),
    queuedAt: timestamp('queued_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: updatedAt(),
    /** Feeds this change was sent in without Amazon processing it (cancelled, FATAL); it is rejected after a few. */
    attempts: integer('attempts').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.connectionId, t.sku] }),
    check('listing_changes_status', sql`${t.status} in ('QUEUED','IN_FEED','ACCEPTED','REJECTED')`),
    check('listing_changes_no_quantity', sql`not (${t.attributes} ? 'fulfillment_availability')`),
  ],
);

/** Bulk feeds submitted to Amazon, one in flight per connection. */
export const feeds = pgTable(
  'feeds',
  {
    id: text('id').primaryKey(),
    connectionId: text('connection_id').notNull(),
    amazonFeedId: text('amazon_feed_id'),
    skus: text('skus').array().notNull(),
    status: text('status').notNull(),
    attempt: integer('attempt').notNull().default(1),
    summary: jsonb('summary'),
    submittedAt: timestamp('submitted_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('feeds_connection').on(t.connectionId, t.status)],
);

/**
 * Who owns a SKU's listing on Amazon right now: an in-flight bulk feed (FEED) or a recent FBM
 * quantity push (PUSH). The primary key makes the hand-over atomic: a push never goes out for a
 * SKU inside a feed in flight, and a feed never takes a SKU whose push Amazon may not have applied.
 */
export const skuFeedLocks = pgTable(
  'sku_feed_locks',
  {
    connectionId: text('connection_id').notNull(),
    sku: text('sku').notNull(),
    holder: text('holder').notNull(),
    /** feeds.id of the holding feed (FEED only). */
    feedId: text('feed_id'),
    /** PUSH: the patch is being sent now (true) or was sent at `since` and is settling (false). */
    pushing: boolean('pushing').notNull().default(false),
    since: timestamp('since', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.connectionId, t.sku] }),
    index('sku_feed_locks_feed').on(t.feedId),
    check('sku_feed_locks_holder', sql`${t.holder} in ('FEED','PUSH')`),
    check('sku_feed_locks_feed_named', sql`(${t.holder} = 'FEED') = (${t.feedId} is not null)`),
  ],
);

/** Customer returns picked up from Amazon; each waits for the warehouse's inspection. */
export const returns = pgTable(
  'returns',
  {
    id: text('id').primaryKey(),
    connectionId: text('connection_id').notNull(),
    amazonOrderId: text('amazon_order_id').notNull(),
    sku: text('sku').notNull(),
    quantity: integer('quantity').notNull(),
    channel: text('channel').notNull(),
    status: text('status').notNull().default('AWAITING_INSPECTION'),
    decision: text('decision'),
    returnedAt: timestamp('returned_at', { withTimezone: true }).notNull(),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    createdAt: createdAt(),
    /** Why an operator must look (e.g. not inspected within the timeout); null when nothing is wrong. */
    needsAttention: text('needs_attention'),
    /** Amazon's grade (FBA detailed-disposition) or the buyer's return reason (FBM); no buyer data. */
    disposition: text('disposition'),
  },
  (t) => [
    check('returns_quantity', sql`${t.quantity} > 0`),
    check('returns_channel', sql`${t.channel} in ('FBM','FBA')`),
    check('returns_status', sql`${t.status} in ('AWAITING_INSPECTION','RESTOCKED','DISPOSED','RECORDED')`),
  ],
);

/** OAuth `state` values bound to a connection, so a consent callback cannot be replayed elsewhere. */
export const oauthStates = pgTable('oauth_states', {
  state: text('state').primaryKey(),
  connectionId: text('connection_id').notNull().references(() => connections.id),
  createdAt: createdAt(),
  usedAt: timestamp('used_at', { withTimezone: true }),
});

/** Stock reconciliations: Amazon's view against the ledger, one row per run, the report as JSON. */
export const reconciliationRuns = pgTable(
  'reconciliation_runs',
  {
    id: text('id').primaryKey(),
    connectionId: text('connection_id').notNull().references(() => connections.id),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true }).notNull(),
    skusCompared: integer('skus_compared').notNull(),
    fbmDrift: integer('fbm_drift').notNull(),
    fbmCorrected: integer('fbm_corrected').notNull(),
    fbaDrift: integer('fba_drift').notNull(),
    skuMismatches: integer('sku_mismatches').notNull(),
    report: jsonb('report').notNull(),
  },
  (t) => [index('reconciliation_runs_connection').on(t.connectionId, t.finishedAt)],
);
