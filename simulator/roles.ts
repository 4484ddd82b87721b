/** Real SP-API role names (reference §5). "(Restricted)" roles carry PII. */
export const ROLES = {
  amazonFulfillment: 'Amazon Fulfillment',
  brandAnalytics: 'Brand Analytics',
  buyerCommunication: 'Buyer Communication',
  buyerSolicitation: 'Buyer Solicitation',
  directToConsumerShipping: 'Direct-to-Consumer Shipping',
  financeAndAccounting: 'Finance and Accounting',
  inventoryAndOrderTracking: 'Inventory and Order Tracking',
  paymentInitiationServiceProvider: 'Payment Initiation Service Provider',
  pricing: 'Pricing',
  productListing: 'Product Listing',
  professionalServices: 'Professional Services',
  sellingPartnerInsights: 'Selling Partner Insights',
  taxInvoicing: 'Tax Invoicing',
  taxRemittance: 'Tax Remittance',
} as const;

export type RoleName = (typeof ROLES)[keyof typeof ROLES];

export const ALL_ROLES: readonly RoleName[] = Object.values(ROLES);

export function isRoleName(value: string): value is RoleName {
  return (ALL_ROLES as readonly string[]).includes(value);
}

const R = ROLES;

/** Orders 2026 searchOrders/getOrder (D): any one of these. Also used for Tokens, Sellers, ORDER_CHANGE subscriptions. */
export const ORDERS_READ_ROLES: readonly RoleName[] = [
  R.amazonFulfillment, R.buyerCommunication, R.buyerSolicitation, R.financeAndAccounting,
  R.inventoryAndOrderTracking, R.pricing, R.productListing, R.professionalServices,
  R.sellingPartnerInsights, R.directToConsumerShipping, R.taxInvoicing, R.taxRemittance,
];

/** confirmShipment (D); updateShipmentStatus assumed the same (NV). */
export const SHIPMENT_ROLES: readonly RoleName[] = [R.inventoryAndOrderTracking, R.directToConsumerShipping];

/** getInventorySummaries: Product Listing (D); Amazon Fulfillment (NV, assumed). */
export const FBA_INVENTORY_ROLES: readonly RoleName[] = [R.productListing, R.amazonFulfillment];

/** Listings Items (D). */
export const LISTINGS_ROLES: readonly RoleName[] = [R.productListing];

/** Feeds operations (D), before the feed-type check. Reports operations assumed the same (NV). */
export const FEEDS_ROLES: readonly RoleName[] = [
  R.amazonFulfillment, R.brandAnalytics, R.directToConsumerShipping, R.inventoryAndOrderTracking,
  R.paymentInitiationServiceProvider, R.pricing, R.productListing, R.taxInvoicing,
];

/** Feed type JSON_LISTINGS_FEED additionally needs one of these (D). */
export const JSON_LISTINGS_FEED_ROLES: readonly RoleName[] = [R.inventoryAndOrderTracking, R.productListing];

/** Per report type (NV: Amazon does not publish these for the types below; plausible choices). */
export const REPORT_TYPE_ROLES: Record<string, readonly RoleName[]> = {
  GET_MERCHANT_LISTINGS_ALL_DATA: [R.productListing, R.inventoryAndOrderTracking, R.pricing],
  GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE: [R.inventoryAndOrderTracking, R.sellingPartnerInsights, R.directToConsumerShipping],
  GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA: [R.amazonFulfillment, R.inventoryAndOrderTracking, R.sellingPartnerInsights],
};

/** PII datasets of Orders 2026 (D). */
export const RECIPIENT_ROLES: readonly RoleName[] = [R.directToConsumerShipping];
export const BUYER_ROLES: readonly RoleName[] = [R.taxInvoicing, R.taxRemittance];

export function hasAnyRole(granted: ReadonlySet<string>, allowed: readonly string[]): boolean {
  return allowed.some((r) => granted.has(r));
}
