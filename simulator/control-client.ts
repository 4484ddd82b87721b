/**
 * Typed client for the simulator's control API (/_sim/…), for Conduit tests, the demo and
 * benchmarks. Every method maps to one endpoint documented in docs/simulator.md; a non-2xx
 * answer throws SimulatorControlError carrying the simulator's `"<field>: <problem>"` message.
 */

import type { CatalogueItem } from './listings';
import type { Fulfilment, NotificationDelivery } from './state';

export type SimRegion = 'eu' | 'na' | 'fe';
export type SimFulfilment = Fulfilment;
export type SimFulfillmentStatus = 'PENDING_AVAILABILITY' | 'PENDING' | 'UNSHIPPED' | 'PARTIALLY_SHIPPED' | 'SHIPPED' | 'CANCELLED' | 'UNFULFILLABLE';
export type SimFaultKind = 'internalFailure' | 'serviceUnavailable' | 'slow' | 'dropConnection' | 'malformedJson';

/** A catalogue entry as the control API takes it (the simulator's own type). */
export type SimCatalogueItem = CatalogueItem;

export interface SimApp {
  clientId: string;
  clientSecret: string;
  applicationId: string;
  name: string;
}

export interface SimAuthorisationView {
  id: string;
  clientId: string;
  refreshToken: string;
  region: SimRegion;
  roles: string[];
  revoked: boolean;
  createdAt: string;
}

export interface SimSellerView {
  sellerId: string;
  region: SimRegion;
  marketplaceIds: string[];
  storeName: string;
  mws: { enabled: boolean; delaySeconds: number };
  createdAt: string;
  authorisations: SimAuthorisationView[];
  listings: number;
  /** Set by seedSeller when an authorisation was created. */
  refreshToken?: string;
  clientId?: string;
}

export interface SeedSellerRequest {
  sellerId: string;
  region: SimRegion;
  marketplaceIds: string[];
  storeName?: string;
  clientId?: string;
  roles?: string[];
  refreshToken?: string;
  catalogue?: SimCatalogueItem[];
  mws?: boolean;
  mwsDelaySeconds?: number;
}

export interface SimOrderLine {
  sku: string;
  quantity: number;
  unitPrice?: number;
}

export interface CreateOrderRequest {
  marketplaceId?: string;
  fulfilledBy?: 'AMAZON' | 'MERCHANT';
  items: SimOrderLine[];
  sellerOrderId?: string;
  pendingSeconds?: number;
  buyerName?: string;
  buyerEmail?: string;
  serviceLevel?: string;
}

export interface SimPackageView {
  packageReferenceId: string;
  createdAt: string;
  carrierCode: string;
  carrierName?: string;
  shippingMethod?: string;
  trackingNumber: string;
  shipDate: string;
  items: { orderItemId: string; quantity: number }[];
}

export interface SimOrderView {
  orderId: string;
  sellerId: string;
  marketplaceId: string;
  status: SimFulfillmentStatus;
  fulfilledBy: 'AMAZON' | 'MERCHANT';
  createdAt: string;
  lastUpdatedAt: string;
  visibleAt: string;
  visible: boolean;
  items: { orderItemId: string; sku: string; asin: string; title: string; quantityOrdered: number; quantityShipped: number; unitPrice: string; currencyCode: string }[];
  packages: SimPackageView[];
  confirmationsCount: number;
  confirmations: { at: string; packageReferenceId: string; edit: boolean; trackingNumber: string }[];
  shipmentStatusUpdates: { at: string; shipmentStatus: string }[];
  statusHistory: { status: SimFulfillmentStatus; at: string }[];
  cancellation?: { requester: string; reason: string; at: string };
  buyerCancelRequest?: { reason: string; at: string };
  buyer: { name: string; email: string };
  address: Record<string, string>;
  source: string;
}

export interface SimQuantityChangeView {
  id: string;
  source: string;
  requestedAt: string;
  appliedAt: string;
  from: number;
  to: number;
  latencyMs: number;
  latencySeconds: number;
  submissionId?: string;
  feedId?: string;
  orderId?: string;
  delayedByFeedId?: string;
}

export interface SimListingView {
  sellerId: string;
  sku: string;
  asin: string;
  fnSku?: string;
  productType: string;
  fulfilment: SimFulfilment;
  quantity: number;
  title: string;
  description?: string;
  price?: { amount: string; currencyCode: string };
  attributes: Record<string, unknown[]>;
  createdAt: string;
  lastUpdatedAt: string;
  quantityHistory: SimQuantityChangeView[];
  pendingQuantityChanges: { id: string; source: string; requestedAt: string; quantity: number; blockedByFeedId?: string }[];
}

export interface SimFbaStockView {
  sellerId: string;
  sku: string;
  realQuantity: number;
  reportedQuantity: number;
  reportedAsOf: string;
  unfulfillable: number;
  history: { at: string; delta: number; level: number; reason: string; reference?: string }[];
}

export interface SimReturnRequest {
  sellerId: string;
  channel: 'FBM' | 'FBA';
  sku: string;
  quantity: number;
  orderId?: string;
  reason?: string;
  disposition?: string;
  marketplaceId?: string;
}

export interface SimFaultRuleRequest {
  /** Operation key (e.g. `orders.searchOrders`), `lwa.token`, `documents`, or `*`. */
  operation: string;
  kind: SimFaultKind;
  probability?: number;
  count?: number;
  delayMs?: number;
  afterHandler?: boolean;
  sellerId?: string;
}

export interface SimFeedView {
  feedId: string;
  feedType: string;
  marketplaceIds: string[];
  createdTime: string;
  processingStatus: string;
  processingStartTime?: string;
  processingEndTime?: string;
  resultFeedDocumentId?: string;
  sellerId: string;
  touchedSkus: string[];
  stalledUntil?: string;
  collisions: { sku: string; at: string; source: string }[];
  blockedChangeIds: string[];
}

export interface SimOperationStats {
  calls: number;
  byStatus: Record<string, number>;
  throttled: number;
  denied: number;
  faults: number;
}

/** A notification delivery as the control API reports it: the simulator's record, times as ISO strings. */
export type SimNotificationDelivery = Omit<NotificationDelivery, 'eventTime'> & { eventTime: string };

export interface SimClockView {
  now: string;
  nowMs: number;
  timeScale: number;
  startedAt: string;
  pendingEvents: number;
}

export class SimulatorControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'SimulatorControlError';
  }
}

const enc = encodeURIComponent;

export class SimulatorControl {
  private readonly base: string;

  /** @param baseUrl the simulator URL, e.g. `http://127.0.0.1:8700`. */
  constructor(baseUrl: string) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}/_sim${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    if (!res.ok) {
      const message = typeof parsed === 'object' && parsed !== null && 'error' in parsed ? String((parsed as { error: unknown }).error) : text;
      throw new SimulatorControlError(res.status, `${method} /_sim${path} → ${res.status}: ${message}`);
    }
    return parsed as T;
  }

  health(): Promise<{ ok: true }> {
    return this.call('GET', '/health');
  }

  clock(): Promise<SimClockView> {
    return this.call('GET', '/clock');
  }

  /** Changes the time scale and/or jumps simulated time forward (due events run at once). */
  setClock(input: { timeScale?: number; advanceSeconds?: number }): Promise<SimClockView> {
    return this.call('POST', '/clock', input);
  }

  advance(seconds: number): Promise<SimClockView> {
    return this.setClock({ advanceSeconds: seconds });
  }

  setTimeScale(timeScale: number): Promise<SimClockView> {
    return this.setClock({ timeScale });
  }

  reset(): Promise<{ reset: true }> {
    return this.call('POST', '/reset');
  }

  usagePlans(): Promise<Record<string, { rate: number; burst: number; scaledRate: number; enforced: boolean }>> {
    return this.call('GET', '/usage-plans');
  }

  registerApp(input: { clientId?: string; clientSecret?: string; applicationId?: string; name?: string } = {}): Promise<SimApp> {
    return this.call('POST', '/apps', input);
  }

  apps(): Promise<{ apps: SimApp[] }> {
    return this.call('GET', '/apps');
  }

  seedSeller(input: SeedSellerRequest): Promise<SimSellerView> {
    return this.call('POST', '/sellers', input);
  }

  sellers(): Promise<{ sellers: SimSellerView[] }> {
    return this.call('GET', '/sellers');
  }

  seller(sellerId: string): Promise<SimSellerView> {
    return this.call('GET', `/sellers/${enc(sellerId)}`);
  }

  addListings(sellerId: string, items: SimCatalogueItem[]): Promise<{ added: number }> {
    return this.call('POST', `/sellers/${enc(sellerId)}/listings`, { items });
  }

  authorise(sellerId: string, input: { clientId: string; roles: string[]; refreshToken?: string }): Promise<{ authorisationId: string; refreshToken: string; roles: string[] }> {
    return this.call('POST', `/sellers/${enc(sellerId)}/authorisations`, input);
  }

  grantRoles(sellerId: string, roles: string[], clientId?: string): Promise<{ authorisations: { id: string; clientId: string; roles: string[] }[] }> {
    return this.call('POST', `/sellers/${enc(sellerId)}/roles/grant`, { roles, ...(clientId ? { clientId } : {}) });
  }

  revokeRoles(sellerId: string, roles: string[], clientId?: string): Promise<{ authorisations: { id: string; clientId: string; roles: string[] }[] }> {
    return this.call('POST', `/sellers/${enc(sellerId)}/roles/revoke`, { roles, ...(clientId ? { clientId } : {}) });
  }

  /** Makes the seller's refresh token(s) invalid_grant (and their access tokens invalid). */
  revokeAuthorisation(sellerId: string, input: { clientId?: string; refreshToken?: string } = {}): Promise<{ revoked: number }> {
    return this.call('POST', `/sellers/${enc(sellerId)}/revoke-authorisation`, input);
  }

  /** Marks (or un-marks) the seller as a legacy MWS connection: orders reach SP-API hours late. */
  setMws(sellerId: string, enabled: boolean, delaySeconds?: number): Promise<{ sellerId: string; mws: { enabled: boolean; delaySeconds: number } }> {
    return this.call('POST', `/sellers/${enc(sellerId)}/mws`, { enabled, ...(delaySeconds !== undefined ? { delaySeconds } : {}) });
  }

  /** What Amazon hands the app's redirect URI after the seller consents (valid 5 simulated minutes, one use). */
  consent(input: { clientId: string; sellerId: string; roles: string[] }): Promise<{ spapi_oauth_code: string; selling_partner_id: string; state: null; expiresAt: string }> {
    return this.call('POST', '/consent', input);
  }

  createOrders(sellerId: string, orders: CreateOrderRequest[]): Promise<{ orders: SimOrderView[] }> {
    return this.call('POST', '/orders', { sellerId, orders });
  }

  createRandomOrders(sellerId: string, random: { count: number; fbaShare?: number; maxLines?: number }): Promise<{ orders: SimOrderView[]; requested: number; created: number }> {
    return this.call('POST', '/orders', { sellerId, random });
  }

  orders(filter: { sellerId?: string; status?: SimFulfillmentStatus } = {}): Promise<{ orders: SimOrderView[] }> {
    const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== undefined) as [string, string][]);
    return this.call('GET', `/orders${q.size > 0 ? `?${q}` : ''}`);
  }

  order(orderId: string): Promise<SimOrderView> {
    return this.call('GET', `/orders/${enc(orderId)}`);
  }

  /** Buyer cancellation (or, with requestOnly, just the buyer's request). */
  cancelOrder(orderId: string, input: { reason?: string; requestOnly?: boolean } = {}): Promise<SimOrderView> {
    return this.call('POST', `/orders/${enc(orderId)}/cancel`, input);
  }

  startOrderGenerator(input: { sellerId: string; ordersPerHour: number; fbaShare?: number; maxLines?: number }): Promise<{ sellerId: string; ordersPerHour: number; fbaShare: number; maxLines: number }> {
    return this.call('POST', '/order-generator', input);
  }

  stopOrderGenerator(sellerId: string): Promise<{ stopped: boolean; created: number }> {
    return this.call('POST', '/order-generator/stop', { sellerId });
  }

  orderGenerators(): Promise<{ generators: { sellerId: string; ordersPerHour: number; fbaShare: number; maxLines: number; created: number }[] }> {
    return this.call('GET', '/order-generator');
  }

  createReturn(input: SimReturnRequest): Promise<Record<string, unknown> & { returnId: string }> {
    return this.call('POST', '/returns', input);
  }

  returns(sellerId?: string): Promise<{ returns: Record<string, unknown>[] }> {
    return this.call('GET', `/returns${sellerId ? `?sellerId=${enc(sellerId)}` : ''}`);
  }

  /** Moves real FBA stock (visible through getInventorySummaries only after the FBA lag). */
  moveFbaStock(input: { sellerId: string; sku: string; delta?: number; set?: number; reason?: string }): Promise<SimFbaStockView> {
    return this.call('POST', '/fba-stock', input);
  }

  fbaStock(sellerId: string, sku: string): Promise<SimFbaStockView> {
    return this.call('GET', `/fba-stock/${enc(sellerId)}/${enc(sku)}`);
  }

  allFbaStock(sellerId: string): Promise<{ stock: SimFbaStockView[] }> {
    return this.call('GET', `/fba-stock/${enc(sellerId)}`);
  }

  listing(sellerId: string, sku: string): Promise<SimListingView> {
    return this.call('GET', `/listings/${enc(sellerId)}/${enc(sku)}`);
  }

  listings(sellerId: string): Promise<{ listings: SimListingView[] }> {
    return this.call('GET', `/listings/${enc(sellerId)}`);
  }

  /** Replaces all fault rules. */
  setFaults(rules: SimFaultRuleRequest[]): Promise<{ rules: (SimFaultRuleRequest & { id: string; fired: number; remaining: number | null })[] }> {
    return this.call('PUT', '/faults', { rules });
  }

  faults(): Promise<{ rules: (SimFaultRuleRequest & { id: string; fired: number; remaining: number | null })[] }> {
    return this.call('GET', '/faults');
  }

  clearFaults(): Promise<{ rules: [] }> {
    return this.call('DELETE', '/faults');
  }

  expireAccessTokens(): Promise<{ expired: number }> {
    return this.call('POST', '/tokens/expire');
  }

  /** Feeds stop advancing in `stuck` (false/null releases them). */
  setFeedsStuck(stuck: 'IN_QUEUE' | 'IN_PROGRESS' | false, sellerId?: string): Promise<{ stuck: { status: string; sellerId?: string } | null }> {
    return this.call('POST', '/feeds/stuck', { stuck, ...(sellerId ? { sellerId } : {}) });
  }

  feeds(sellerId?: string): Promise<{ feeds: SimFeedView[] }> {
    return this.call('GET', `/feeds${sellerId ? `?sellerId=${enc(sellerId)}` : ''}`);
  }

  feed(feedId: string): Promise<SimFeedView> {
    return this.call('GET', `/feeds/${enc(feedId)}`);
  }

  stats(): Promise<{ operations: Record<string, SimOperationStats> }> {
    return this.call('GET', '/stats');
  }

  notifications(filter: { orderId?: string; status?: 'pending' | 'delivered' | 'failed' } = {}): Promise<{ defaultUrl: string | null; deliveries: SimNotificationDelivery[] }> {
    const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== undefined) as [string, string][]);
    return this.call('GET', `/notifications${q.size > 0 ? `?${q}` : ''}`);
  }

  /** Where notifications are POSTed: the default URL, or one destination's. null stops delivery. */
  setNotificationUrl(url: string | null, destinationId?: string): Promise<{ defaultUrl: string | null; destinationId: string | null; url: string | null }> {
    return this.call('POST', '/notifications/destination', { url, ...(destinationId ? { destinationId } : {}) });
  }
}
