import type { Region } from './marketplaces';
import type { SimEvent } from './event-queue';

/** Everything the simulated Amazon knows. In memory only: a restart forgets it all. */

export interface SimApp {
  clientId: string;
  clientSecret: string;
  /** amzn1.sp.solution.… id used in notification metadata. */
  applicationId: string;
  name: string;
  createdAt: number;
}

export type Fulfilment = 'FBM' | 'FBA' | 'HYBRID';

export interface Seller {
  sellerId: string;
  region: Region;
  marketplaceIds: string[];
  storeName: string;
  /** Legacy MWS connection: orders reach SP-API only after `delaySeconds` (simulated). */
  mws: { enabled: boolean; delaySeconds: number };
  createdAt: number;
}

/** One seller's consent for one app in one region; the refresh token is its handle. */
export interface Authorisation {
  id: string;
  refreshToken: string;
  sellerId: string;
  clientId: string;
  region: Region;
  roles: string[];
  revoked: boolean;
  createdAt: number;
}

export interface AccessToken {
  token: string;
  kind: 'seller' | 'grantless' | 'rdt';
  clientId: string;
  authorisationId?: string;
  scope?: string;
  expiresAt: number;
  /** RDT only: what it unlocks. */
  restrictedResources?: { method: string; path: string; dataElements?: string[] }[];
}

export interface ConsentCode {
  code: string;
  clientId: string;
  sellerId: string;
  roles: string[];
  expiresAt: number;
  used: boolean;
}

export type QuantityChangeSource = 'seed' | 'patch' | 'put' | 'feed' | 'order' | 'order-cancel' | 'control';

/** An applied change of a listing's merchant-fulfilled (DEFAULT channel) quantity. */
export interface QuantityChange {
  id: string;
  source: QuantityChangeSource;
  requestedAt: number;
  appliedAt: number;
  from: number;
  to: number;
  /** Simulated ms between request and visibility on Amazon. */
  latencyMs: number;
  submissionId?: string;
  feedId?: string;
  orderId?: string;
  /** Set when the change waited for a feed touching the same SKU (the guide's collision). */
  delayedByFeedId?: string;
}

/** A quantity change accepted but not yet visible. */
export interface PendingQuantityChange {
  id: string;
  source: QuantityChangeSource;
  requestedAt: number;
  quantity: number;
  submissionId?: string;
  feedId?: string;
  blockedByFeedId?: string;
}

export interface Listing {
  sellerId: string;
  sku: string;
  asin: string;
  productType: string;
  fulfilment: Fulfilment;
  fnSku?: string;
  conditionType: string;
  /** Listing attributes in Amazon's product-type JSON shape, except fulfillment_availability (rendered from fbmQuantity). */
  attributes: Record<string, unknown[]>;
  /** Applied (visible) merchant-fulfilled quantity. */
  fbmQuantity: number;
  /** Extra fields of the DEFAULT fulfillment_availability entry, e.g. lead_time_to_ship_max_days. */
  fbmAvailabilityExtras: Record<string, unknown>;
  createdAt: number;
  lastUpdatedAt: number;
  quantityHistory: QuantityChange[];
  pendingQuantityChanges: PendingQuantityChange[];
}

export interface FbaMovement {
  at: number;
  delta: number;
  level: number;
  reason: string;
  reference?: string;
}

export interface FbaStock {
  sellerId: string;
  sku: string;
  history: FbaMovement[];
  unfulfillable: number;
}

export type FulfillmentStatus = 'PENDING_AVAILABILITY' | 'PENDING' | 'UNSHIPPED' | 'PARTIALLY_SHIPPED' | 'SHIPPED' | 'CANCELLED' | 'UNFULFILLABLE';

export interface SimOrderItem {
  orderItemId: string;
  sku: string;
  asin: string;
  title: string;
  quantityOrdered: number;
  /** Decimal string, e.g. "19.99". */
  unitPrice: string;
  currencyCode: string;
}

export interface SimPackage {
  packageReferenceId: string;
  createdAt: number;
  carrierCode: string;
  carrierName?: string;
  shippingMethod?: string;
  trackingNumber: string;
  shipDate: number;
  items: { orderItemId: string; quantity: number }[];
}

export interface SimAddress {
  name: string;
  addressLine1: string;
  addressLine2?: string;
  city: string;
  stateOrRegion?: string;
  postalCode: string;
  countryCode: string;
  phone?: string;
}

export interface SimOrder {
  orderId: string;
  sellerId: string;
  marketplaceId: string;
  sellerOrderId?: string;
  createdAt: number;
  lastUpdatedAt: number;
  /** When the order becomes visible to SP-API (later than createdAt for MWS sellers). */
  visibleAt: number;
  status: FulfillmentStatus;
  fulfilledBy: 'AMAZON' | 'MERCHANT';
  serviceLevel: string;
  items: SimOrderItem[];
  packages: SimPackage[];
  buyer: { name: string; email: string };
  address: SimAddress;
  shipByLatest: number;
  deliverByLatest: number;
  cancellation?: { requester: 'BUYER' | 'SELLER' | 'AMAZON'; reason: string; at: number };
  buyerCancelRequest?: { reason: string; at: number };
  /** Every accepted confirmShipment call (edits of an existing package included). */
  confirmations: { at: number; packageReferenceId: string; edit: boolean; trackingNumber: string }[];
  shipmentStatusUpdates: { at: number; shipmentStatus: string }[];
  statusHistory: { status: FulfillmentStatus; at: number }[];
  source: 'control' | 'random' | 'generator';
}

export type ProcessingStatus = 'IN_QUEUE' | 'IN_PROGRESS' | 'DONE' | 'FATAL' | 'CANCELLED';

export interface SimFeed {
  feedId: string;
  sellerId: string;
  clientId: string;
  feedType: string;
  marketplaceIds: string[];
  inputFeedDocumentId: string;
  feedOptions?: Record<string, string>;
  createdAt: number;
  status: ProcessingStatus;
  processingStartAt?: number;
  processingEndAt?: number;
  resultFeedDocumentId?: string;
  /** SKUs named by the uploaded document (known at createFeed time). */
  touchedSkus: string[];
  /** Simulated ms the feed spends IN_QUEUE (at least) and IN_PROGRESS when nothing collides. */
  queueMs: number;
  processingMs: number;
  /** Set when a quantity change for one of its SKUs collided with it: it finishes no earlier than this. */
  stalledUntil?: number;
  collisions: { sku: string; at: number; source: QuantityChangeSource }[];
  /** Quantity changes for its SKUs that wait until it finishes. */
  blockedChangeIds: string[];
}

export interface SimDocument {
  documentId: string;
  sellerId: string;
  kind: 'feed-input' | 'feed-result' | 'report';
  contentType: string;
  content?: Buffer;
  createdAt: number;
  uploadedAt?: number;
}

export interface SimReport {
  reportId: string;
  sellerId: string;
  reportType: string;
  marketplaceIds: string[];
  dataStartTime?: number;
  dataEndTime?: number;
  reportOptions?: Record<string, string>;
  createdAt: number;
  status: ProcessingStatus;
  processingStartAt?: number;
  processingEndAt?: number;
  reportDocumentId?: string;
}

export interface SimReturn {
  returnId: string;
  sellerId: string;
  channel: 'FBM' | 'FBA';
  orderId?: string;
  orderDate?: number;
  marketplaceId: string;
  sku: string;
  asin: string;
  title: string;
  quantity: number;
  reason: string;
  /** FBA: SELLABLE, CUSTOMER_DAMAGED, DEFECTIVE, …; FBM: informational. */
  disposition: string;
  returnDate: number;
  rmaId: string;
  refundedAmount: string;
  currencyCode: string;
}

export interface Destination {
  destinationId: string;
  clientId: string;
  name: string;
  resource: Record<string, unknown>;
  /** Where the simulator actually POSTs (set through the control API). */
  deliveryUrl?: string;
}

export interface Subscription {
  subscriptionId: string;
  clientId: string;
  sellerId: string;
  notificationType: string;
  payloadVersion: string;
  destinationId: string;
  processingDirective?: Record<string, unknown>;
}

export interface NotificationDelivery {
  notificationId: string;
  notificationType: string;
  sellerId: string;
  orderId: string;
  subscriptionId: string;
  url: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastError?: string;
  lastStatusCode?: number;
  eventTime: number;
  deliveredAtReal?: string;
  payload: Record<string, unknown>;
}

export type FaultKind = 'internalFailure' | 'serviceUnavailable' | 'slow' | 'dropConnection' | 'malformedJson';

export interface FaultRule {
  id: string;
  /** Operation key (e.g. `orders.searchOrders`), `lwa.token`, `documents`, or `*`. */
  operation: string;
  kind: FaultKind;
  /** Chance per matching call, 0–1. */
  probability: number;
  /** Fire at most this many more times (null = unlimited). */
  remaining: number | null;
  /** slow: real milliseconds to wait before answering. */
  delayMs: number;
  /** internalFailure/serviceUnavailable/dropConnection: run the handler (state changes!) and then fail. */
  afterHandler: boolean;
  sellerId?: string;
  fired: number;
}

export interface OperationStats {
  calls: number;
  byStatus: Record<string, number>;
  throttled: number;
  denied: number;
  faults: number;
}

export interface Exchange {
  at: number;
  requestId: string;
  operation: string;
  method: string;
  path: string;
  status: number;
  requestBody?: unknown;
  responseBody?: unknown;
  /** Set when the body was deliberately broken (malformed/503 fault) or the socket dropped. */
  fault?: string;
}

export interface OrderPage {
  token: string;
  sellerId: string;
  queryKey: string;
  orderIds: string[];
  offset: number;
  expiresAt: number;
  echo: { createdBefore?: string; lastUpdatedBefore?: string };
}

export interface InventoryPage {
  token: string;
  sellerId: string;
  queryKey: string;
  skus: string[];
  offset: number;
  expiresAt: number;
  startDateTime?: string;
}

export interface ListPage {
  token: string;
  sellerId: string;
  ids: string[];
  offset: number;
  pageSize: number;
  expiresAt: number;
}

export interface OrderGenerator {
  sellerId: string;
  ordersPerHour: number;
  fbaShare: number;
  maxLines: number;
  created: number;
  next?: SimEvent;
}

export interface SimState {
  apps: Map<string, SimApp>;
  sellers: Map<string, Seller>;
  authorisations: Map<string, Authorisation>;
  accessTokens: Map<string, AccessToken>;
  consentCodes: Map<string, ConsentCode>;
  /** key `${sellerId}\u0000${sku}` — SKUs are exact and case-sensitive. */
  listings: Map<string, Listing>;
  fbaStock: Map<string, FbaStock>;
  orders: Map<string, SimOrder>;
  feeds: Map<string, SimFeed>;
  documents: Map<string, SimDocument>;
  reports: Map<string, SimReport>;
  returns: SimReturn[];
  destinations: Map<string, Destination>;
  subscriptions: Map<string, Subscription>;
  notifications: NotificationDelivery[];
  /** Default delivery URL for notifications (option or control API). */
  notificationUrl?: string;
  faults: FaultRule[];
  /** Feeds stop advancing in this status (watchdog tests). */
  stuckFeeds: { status: 'IN_QUEUE' | 'IN_PROGRESS'; sellerId?: string } | null;
  stats: Map<string, OperationStats>;
  exchanges: Exchange[];
  orderPages: Map<string, OrderPage>;
  inventoryPages: Map<string, InventoryPage>;
  listPages: Map<string, ListPage>;
  generators: Map<string, OrderGenerator>;
}

export function createEmptyState(): SimState {
  return {
    apps: new Map(),
    sellers: new Map(),
    authorisations: new Map(),
    accessTokens: new Map(),
    consentCodes: new Map(),
    listings: new Map(),
    fbaStock: new Map(),
    orders: new Map(),
    feeds: new Map(),
    documents: new Map(),
    reports: new Map(),
    returns: [],
    destinations: new Map(),
    subscriptions: new Map(),
    notifications: [],
    faults: [],
    stuckFeeds: null,
    stats: new Map(),
    exchanges: [],
    orderPages: new Map(),
    inventoryPages: new Map(),
    listPages: new Map(),
    generators: new Map(),
  };
}

export function skuKey(sellerId: string, sku: string): string {
  return `${sellerId}\u0000${sku}`;
}
