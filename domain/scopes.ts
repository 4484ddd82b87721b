// The guide's four "scopes" and how they map onto real SP-API operations and roles.
// The guide's names are not SP-API role names (sp-api.md §5): a scope here is "a job Conduit does for
// the seller", and the roles are what Amazon actually checks. When a call returns 403 Unauthorized,
// scopeForOperation names the job that just broke and symptomForScope says what the seller will see.

/** The four jobs the seller authorises Conduit for, in the guide's words. */
export type Scope = 'SELLING_PARTNER_INSIGHTS' | 'FULFILMENT_INVENTORY' | 'ORDERS' | 'FEEDS';

/** All four scopes in the guide's order (order download, FBA stock, FBM despatch, listing updates). */
export const SCOPES: readonly Scope[] = ['SELLING_PARTNER_INSIGHTS', 'FULFILMENT_INVENTORY', 'ORDERS', 'FEEDS'];

/** Every SP-API / LWA operation Conduit calls; anything else is not part of the integration. */
export type SpApiOperation =
  | 'searchOrders'
  | 'getOrder'
  | 'confirmShipment'
  | 'updateShipmentStatus'
  | 'getInventorySummaries'
  | 'getListingsItem'
  | 'patchListingsItem'
  | 'putListingsItem'
  | 'createFeedDocument'
  | 'createFeed'
  | 'getFeed'
  | 'getFeedDocument'
  | 'cancelFeed'
  | 'createReport'
  | 'getReport'
  | 'getReportDocument'
  | 'createRestrictedDataToken'
  | 'getMarketplaceParticipations'
  | 'exchangeAuthorizationCode'
  | 'refreshAccessToken';

/** Every operation in SpApiOperation, for exhaustive tables and tests. */
export const SP_API_OPERATIONS: readonly SpApiOperation[] = [
  'searchOrders', 'getOrder', 'confirmShipment', 'updateShipmentStatus', 'getInventorySummaries',
  'getListingsItem', 'patchListingsItem', 'putListingsItem', 'createFeedDocument', 'createFeed',
  'getFeed', 'getFeedDocument', 'cancelFeed', 'createReport', 'getReport', 'getReportDocument',
  'createRestrictedDataToken', 'getMarketplaceParticipations', 'exchangeAuthorizationCode', 'refreshAccessToken',
];

/** Report types Conduit requests (sp-api.md §2.8): listings snapshots for SKU reconciliation, returns for stock reinstatement. */
export type ReportType =
  | 'GET_MERCHANT_LISTINGS_ALL_DATA'
  | 'GET_MERCHANT_LISTINGS_DATA'
  | 'GET_FLAT_FILE_OPEN_LISTINGS_DATA'
  | 'GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA'
  | 'GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE'
  | 'GET_XML_RETURNS_DATA_BY_RETURN_DATE';

/** Real SP-API role names (Seller Central / developer profile), as opposed to the guide's scope names. */
export type SpApiRole =
  | 'Selling Partner Insights'
  | 'Inventory and Order Tracking'
  | 'Product Listing'
  | 'Amazon Fulfillment'
  | 'Direct-to-Consumer Shipping (Restricted)'
  | 'Tax Invoicing (Restricted)'
  | 'Tax Remittance (Restricted)';

const DISPLAY_NAMES: Readonly<Record<Scope, string>> = {
  SELLING_PARTNER_INSIGHTS: 'Selling Partner Insights',
  FULFILMENT_INVENTORY: 'Fulfilment Inventory',
  ORDERS: 'Orders',
  FEEDS: 'Feeds',
};

/** The scope's name as the seller sees it in the guide and in Conduit's messages. */
export function scopeDisplayName(scope: Scope): string {
  return DISPLAY_NAMES[scope];
}

/** Type guard for scope names arriving as plain strings (config, database rows). */
export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

const OPERATION_SCOPES: Readonly<Record<SpApiOperation, Scope>> = {
  // Order download. The RDT is only needed to read buyer/address PII on order data, so it fails with it.
  searchOrders: 'SELLING_PARTNER_INSIGHTS',
  getOrder: 'SELLING_PARTNER_INSIGHTS',
  createRestrictedDataToken: 'SELLING_PARTNER_INSIGHTS',
  // FBM despatch: the guide's "Orders" scope is about writing shipment state back, not reading orders.
  confirmShipment: 'ORDERS',
  updateShipmentStatus: 'ORDERS',
  // FBA stock read (read-only mirror of Amazon's figures).
  getInventorySummaries: 'FULFILMENT_INVENTORY',
  // Listing updates. FBM quantity pushes (patchListingsItem fulfillment_availability) are listing
  // updates in the guide's sense ("Feeds … product data and FBM quantities not updated") and need the
  // same role (Product Listing) as the bulk feed; getListingsItem reads the productType every patch needs.
  getListingsItem: 'FEEDS',
  patchListingsItem: 'FEEDS',
  putListingsItem: 'FEEDS',
  createFeedDocument: 'FEEDS',
  createFeed: 'FEEDS',
  getFeed: 'FEEDS',
  getFeedDocument: 'FEEDS',
  cancelFeed: 'FEEDS',
  // Reports belong to the scope whose data they read (see scopeForReport); without a report type we
  // assume the listings snapshot, the report Conduit runs most (SKU reconciliation, checklist item 2).
  createReport: 'FEEDS',
  getReport: 'FEEDS',
  getReportDocument: 'FEEDS',
  // Connection-level calls: if these fail nothing works, and the first thing the seller notices is
  // that orders stop arriving, so they are attributed to order download. isConnectionOperation tells
  // callers to re-authorise the whole connection rather than chase one scope.
  getMarketplaceParticipations: 'SELLING_PARTNER_INSIGHTS',
  exchangeAuthorizationCode: 'SELLING_PARTNER_INSIGHTS',
  refreshAccessToken: 'SELLING_PARTNER_INSIGHTS',
};

const REPORT_SCOPES: Readonly<Record<ReportType, Scope>> = {
  GET_MERCHANT_LISTINGS_ALL_DATA: 'FEEDS',
  GET_MERCHANT_LISTINGS_DATA: 'FEEDS',
  GET_FLAT_FILE_OPEN_LISTINGS_DATA: 'FEEDS',
  // FBA customer returns are FBA stock data: same job as the FBA inventory read.
  GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA: 'FULFILMENT_INVENTORY',
  // Seller-fulfilled returns are order data (order id, RMA, buyer reason): same job as order download.
  GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE: 'SELLING_PARTNER_INSIGHTS',
  GET_XML_RETURNS_DATA_BY_RETURN_DATE: 'SELLING_PARTNER_INSIGHTS',
};

const REPORT_OPERATIONS: readonly SpApiOperation[] = ['createReport', 'getReport', 'getReportDocument'];
const CONNECTION_OPERATIONS: readonly SpApiOperation[] = ['getMarketplaceParticipations', 'exchangeAuthorizationCode', 'refreshAccessToken'];

/** Which of the four scopes an operation exercises, so an AccessDenied on it names the job that broke; pass the report type for report calls. */
export function scopeForOperation(operation: SpApiOperation, reportType?: ReportType): Scope {
  if (reportType !== undefined && REPORT_OPERATIONS.includes(operation)) return scopeForReport(reportType);
  return OPERATION_SCOPES[operation];
}

/** The scope whose data a report reads: listings → Feeds, FBA returns → Fulfilment Inventory, FBM returns → Selling Partner Insights. */
export function scopeForReport(reportType: ReportType): Scope {
  return REPORT_SCOPES[reportType];
}

/** True for calls that test the whole connection (token refresh, code exchange, marketplace discovery): a failure there means re-authorise, not fix one scope. */
export function isConnectionOperation(operation: SpApiOperation): boolean {
  return CONNECTION_OPERATIONS.includes(operation);
}

const SYMPTOMS: Readonly<Record<Scope, string>> = {
  SELLING_PARTNER_INSIGHTS: 'Orders stop appearing in Conduit; AccessDenied on searchOrders',
  FULFILMENT_INVENTORY: 'FBA inventory levels no longer update',
  ORDERS: 'Tracking fails to push; FBM orders stay Unshipped in Seller Central',
  FEEDS: 'Bulk feed calls fail; product data and FBM quantities not updated',
};

/** What the seller sees when this scope is missing (the guide's scope table). */
export function symptomForScope(scope: Scope): string {
  return SYMPTOMS[scope];
}

// From sp-api.md §5 ("role(s) that actually grant it"). Any one role in the list grants the scope.
const SCOPE_ROLES: Readonly<Record<Scope, readonly SpApiRole[]>> = {
  // Orders 2026 accepts a long list of roles; these are the ones a Conduit app registers. The shipping
  // address of an FBM order additionally needs Direct-to-Consumer Shipping (Restricted).
  SELLING_PARTNER_INSIGHTS: ['Selling Partner Insights', 'Inventory and Order Tracking', 'Product Listing', 'Direct-to-Consumer Shipping (Restricted)'],
  // Amazon Fulfillment for getInventorySummaries is not verified; Product Listing is documented.
  FULFILMENT_INVENTORY: ['Product Listing', 'Amazon Fulfillment'],
  ORDERS: ['Inventory and Order Tracking', 'Direct-to-Consumer Shipping (Restricted)'],
  FEEDS: ['Product Listing', 'Inventory and Order Tracking'],
};

/** SP-API roles, any one of which lets Conduit do this scope's job; a missing role shows up as 403 Unauthorized. */
export function rolesForScope(scope: Scope): readonly SpApiRole[] {
  return SCOPE_ROLES[scope];
}

/** The smallest role set that covers all four scopes plus FBM shipping addresses (sp-api.md §5). */
export const CONDUIT_ROLES: readonly SpApiRole[] = [
  'Inventory and Order Tracking',
  'Product Listing',
  'Direct-to-Consumer Shipping (Restricted)',
  'Selling Partner Insights',
];

const PROBES: Readonly<Record<Scope, SpApiOperation>> = {
  // maxResultsPerPage=1 over the last hour: one token from a burst of 20, no PII requested.
  SELLING_PARTNER_INSIGHTS: 'searchOrders',
  // One SKU, one marketplace, details=false: 2 req/s, read-only.
  FULFILMENT_INVENTORY: 'getInventorySummaries',
  // There is no read-only Orders-scope call. Send confirmShipment for a well-formed but non-existent
  // order id: a 400/404 proves the role is present, a 403 proves it missing, and nothing ships.
  ORDERS: 'confirmShipment',
  // Read one catalogue SKU (5 req/s): 200 or 404 proves Product Listing, which the feed type needs.
  FEEDS: 'getListingsItem',
};

/** The cheapest call that proves a scope works (used by the scope probe and checklist item 1). */
export function probeOperationForScope(scope: Scope): SpApiOperation {
  return PROBES[scope];
}
