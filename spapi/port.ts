/**
 * The one way Conduit reaches Amazon. Activities depend on this interface; the adapter in
 * spapi/adapter.ts implements it on the `amazon-sp-api` package (routed to the simulator
 * when SPAPI_ENDPOINT is set). Shapes follow the official models (camelCase 2026 Orders,
 * Listings 2021-08-01, Feeds/Reports 2021-06-30, FBA Inventory v1); every method either
 * returns a validated value or throws an SpApiError.
 */

import type { FulfilledBy, FulfillmentStatus } from '../domain/routing';
import type { FbaInventorySummary } from '../domain/stock';

export type { FulfilledBy, FulfillmentStatus };

export interface Money {
  currencyCode: string;
  amount: string;
}

export interface AmazonOrderItem {
  orderItemId: string;
  quantityOrdered: number;
  product: { asin?: string; title?: string; sellerSku?: string; price?: { unitPrice?: Money } };
  fulfillment?: { quantityFulfilled?: number; quantityUnfulfilled?: number };
  cancellation?: { cancellationRequest?: { requester?: string; cancelReason?: string } };
}

export interface AmazonAddress {
  name?: string;
  addressLine1?: string;
  addressLine2?: string;
  addressLine3?: string;
  city?: string;
  stateOrRegion?: string;
  postalCode?: string;
  countryCode?: string;
  phone?: string;
}

/** Orders API 2026-01-01 `Order`, the parts Conduit reads. */
export interface AmazonOrder {
  orderId: string;
  createdTime: string;
  lastUpdatedTime: string;
  salesChannel: { channelName?: string; marketplaceId?: string; marketplaceName?: string };
  fulfillment?: {
    fulfillmentStatus: FulfillmentStatus;
    fulfilledBy?: FulfilledBy;
    shipByWindow?: { earliestDateTime?: string; latestDateTime?: string };
  };
  orderItems: AmazonOrderItem[];
  recipient?: { deliveryAddress?: AmazonAddress };
  buyer?: { buyerName?: string; buyerEmail?: string };
  packages?: Array<{ packageReferenceId: string; trackingNumber?: string; carrier?: string; packageStatus?: { status?: string } }>;
}

export interface SearchOrdersParams {
  createdAfter?: string;
  createdBefore?: string;
  lastUpdatedAfter?: string;
  lastUpdatedBefore?: string;
  fulfillmentStatuses?: FulfillmentStatus[];
  fulfilledBy?: FulfilledBy[];
  marketplaceIds?: string[];
  maxResultsPerPage?: number;
  paginationToken?: string;
  includedData?: string[];
}

export interface SearchOrdersPage {
  orders: AmazonOrder[];
  nextToken?: string;
  lastUpdatedBefore?: string;
  createdBefore?: string;
}

/** Orders v0 ConfirmShipmentRequest. */
export interface ConfirmShipmentBody {
  marketplaceId: string;
  packageDetail: {
    packageReferenceId: string;
    carrierCode: string;
    carrierName?: string;
    shippingMethod?: string;
    trackingNumber: string;
    shipDate: string;
    orderItems: Array<{ orderItemId: string; quantity: number }>;
  };
}

/** A getInventorySummaries summary: the FBA figures the stock rules read, plus Amazon's identifiers. */
export interface InventorySummary extends FbaInventorySummary {
  asin?: string;
  fnSku?: string;
}

export interface InventoryPage {
  summaries: InventorySummary[];
  nextToken?: string;
}

export interface ListingsItem {
  sku: string;
  summaries?: Array<{ marketplaceId: string; asin?: string; productType?: string; itemName?: string; status?: string[] }>;
  attributes?: Record<string, unknown>;
  offers?: Array<{ marketplaceId: string; offerType?: string; price?: Money }>;
  fulfillmentAvailability?: Array<{ fulfillmentChannelCode: string; quantity?: number }>;
  issues?: ListingsIssue[];
}

export interface ListingsIssue {
  code: string;
  message: string;
  severity: 'ERROR' | 'WARNING' | 'INFO';
  attributeNames?: string[];
}

export interface ListingsPatch {
  op: 'add' | 'replace' | 'merge' | 'delete';
  path: string;
  value?: unknown[];
}

export interface ListingsSubmission {
  sku: string;
  status: 'ACCEPTED' | 'INVALID' | 'VALID';
  submissionId: string;
  issues?: ListingsIssue[];
}

export type ProcessingStatus = 'IN_QUEUE' | 'IN_PROGRESS' | 'DONE' | 'FATAL' | 'CANCELLED';

export interface FeedStatus {
  feedId: string;
  feedType: string;
  processingStatus: ProcessingStatus;
  resultFeedDocumentId?: string;
  createdTime?: string;
  processingStartTime?: string;
  processingEndTime?: string;
}

export interface ReportStatus {
  reportId: string;
  reportType: string;
  processingStatus: ProcessingStatus;
  reportDocumentId?: string;
}

export interface MarketplaceParticipation {
  marketplace: { id: string; name?: string; countryCode?: string; defaultCurrencyCode?: string };
  participation: { isParticipating: boolean; hasSuspendedListings?: boolean };
}

/** Calls for one seller connection (one refresh token, one region). */
export interface SpApiPort {
  readonly connectionId: string;
  searchOrders(params: SearchOrdersParams): Promise<SearchOrdersPage>;
  getOrder(orderId: string, includedData?: string[]): Promise<AmazonOrder>;
  confirmShipment(orderId: string, body: ConfirmShipmentBody): Promise<void>;
  getInventorySummaries(params: { marketplaceId: string; nextToken?: string; sellerSkus?: string[]; startDateTime?: string }): Promise<InventoryPage>;
  getListingsItem(sellerId: string, sku: string, marketplaceIds: string[], includedData?: string[]): Promise<ListingsItem>;
  patchListingsItem(
    sellerId: string,
    sku: string,
    marketplaceIds: string[],
    body: { productType: string; patches: ListingsPatch[] },
  ): Promise<ListingsSubmission>;
  createFeedDocument(contentType: string): Promise<{ feedDocumentId: string; url: string }>;
  uploadFeedDocument(url: string, contentType: string, content: string): Promise<void>;
  createFeed(body: { feedType: string; marketplaceIds: string[]; inputFeedDocumentId: string }): Promise<{ feedId: string }>;
  getFeed(feedId: string): Promise<FeedStatus>;
  cancelFeed(feedId: string): Promise<void>;
  /** Downloads a result document (gunzipped when needed) as text. */
  getFeedDocumentContent(feedDocumentId: string): Promise<string>;
  createReport(body: { reportType: string; marketplaceIds: string[]; dataStartTime?: string; dataEndTime?: string }): Promise<{ reportId: string }>;
  getReport(reportId: string): Promise<ReportStatus>;
  getReportDocumentContent(reportDocumentId: string): Promise<string>;
  createRestrictedDataToken(resources: Array<{ method: string; path: string; dataElements?: string[] }>): Promise<{ restrictedDataToken: string; expiresIn: number }>;
  getMarketplaceParticipations(): Promise<MarketplaceParticipation[]>;
}

/** App-level calls not tied to one seller token. */
export interface SpApiAppPort {
  /** Exchanges a Seller Central consent code (spapi_oauth_code) for a long-lived refresh token. */
  exchangeAuthorizationCode(code: string, redirectUri?: string): Promise<{ refreshToken: string }>;
}
