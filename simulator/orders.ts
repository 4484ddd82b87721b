import { iso, parseIsoDateTime, DAY, MINUTE } from './clock';
import type { AmazonSimulator } from './simulator';
import { invalidInput, notFound } from './api-error';
import { marketplace, type Region } from './marketplaces';
import { BUYER_ROLES, RECIPIENT_ROLES, hasAnyRole } from './roles';
import type { FulfillmentStatus, Listing, Seller, SimAddress, SimOrder, SimOrderItem, SimPackage } from './state';

export interface OrderLineInput {
  sku: string;
  quantity: number;
  unitPrice?: number;
}

export interface CreateOrderInput {
  marketplaceId?: string;
  fulfilledBy?: 'AMAZON' | 'MERCHANT';
  items: OrderLineInput[];
  sellerOrderId?: string;
  /** Seconds the order stays PENDING (default: simulator option). 0 = created UNSHIPPED. */
  pendingSeconds?: number;
  buyerName?: string;
  buyerEmail?: string;
  address?: Partial<SimAddress>;
  serviceLevel?: string;
}

export interface RandomOrderSpec {
  fbaShare?: number;
  maxLines?: number;
}

const FIRST = ['Olivia', 'Jack', 'Amelia', 'Harry', 'Isla', 'George', 'Ava', 'Noah', 'Mia', 'Leo', 'Emily', 'Oscar'];
const LAST = ['Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Johnson', 'Davies', 'Patel', 'Evans', 'Khan', 'Walker'];
const STREETS = ['High Street', 'Station Road', 'Church Lane', 'Victoria Road', 'Park Avenue', 'Mill Lane', 'Main Street', 'Oak Drive'];
const CITIES: Record<Region, { city: string; postal: () => string; state?: string }[]> = {
  eu: [
    { city: 'London', postal: () => 'SW1A 1AA' },
    { city: 'Manchester', postal: () => 'M1 1AE' },
    { city: 'Leeds', postal: () => 'LS1 4DY' },
    { city: 'Bristol', postal: () => 'BS1 5TR' },
  ],
  na: [
    { city: 'Seattle', postal: () => '98109', state: 'WA' },
    { city: 'Austin', postal: () => '73301', state: 'TX' },
  ],
  fe: [{ city: 'Tokyo', postal: () => '100-0001', state: 'Tokyo' }],
};
const SERVICE_LEVELS = ['STANDARD', 'STANDARD', 'STANDARD', 'EXPEDITED', 'NEXT_DAY', 'FREE_ECONOMY'];

/** v0 vocabulary used by ORDER_CHANGE notifications. */
export function v0OrderStatus(status: FulfillmentStatus): string {
  switch (status) {
    case 'PENDING_AVAILABILITY':
      return 'PendingAvailability';
    case 'PENDING':
      return 'Pending';
    case 'UNSHIPPED':
      return 'Unshipped';
    case 'PARTIALLY_SHIPPED':
      return 'PartiallyShipped';
    case 'SHIPPED':
      return 'Shipped';
    case 'CANCELLED':
      return 'Canceled';
    case 'UNFULFILLABLE':
      return 'Unfulfillable';
  }
}

export function quantityShipped(order: SimOrder, item: SimOrderItem): number {
  if (order.fulfilledBy === 'AMAZON') return order.status === 'SHIPPED' ? item.quantityOrdered : 0;
  return order.packages.reduce((sum, p) => sum + p.items.filter((i) => i.orderItemId === item.orderItemId).reduce((s, i) => s + i.quantity, 0), 0);
}

/** Orders: lifecycle over simulated time, the 2026 read model and v0 shipment confirmation. */
export class OrdersService {
  constructor(private readonly sim: AmazonSimulator) {}

  private get core() {
    return this.sim.core;
  }

  get(orderId: string): SimOrder | undefined {
    return this.core.state.orders.get(orderId);
  }

  /** Visible to SP-API for this seller right now (MWS sellers see orders late). */
  visibleTo(order: SimOrder, sellerId: string): boolean {
    return order.sellerId === sellerId && order.visibleAt <= this.core.now();
  }

  private newOrderId(): string {
    const r = this.core.rng('ids');
    let id: string;
    do id = `${r.int(200, 499)}-${r.digits(7)}-${r.digits(7)}`;
    while (this.core.state.orders.has(id));
    return id;
  }

  create(seller: Seller, input: CreateOrderInput, source: SimOrder['source']): SimOrder {
    if (input.items.length === 0) throw new Error('items: an order needs at least one line');
    const marketplaceId = input.marketplaceId ?? seller.marketplaceIds[0];
    if (!marketplaceId || !seller.marketplaceIds.includes(marketplaceId)) {
      throw new Error(`marketplaceId: ${String(input.marketplaceId)} is not one of seller ${seller.sellerId}'s marketplaces (${seller.marketplaceIds.join(', ')})`);
    }
    const listings: Listing[] = input.items.map((line, i) => {
      const listing = this.sim.listings.get(seller.sellerId, line.sku);
      if (!listing) throw new Error(`items[${i}].sku: seller ${seller.sellerId} has no listing with SKU ${JSON.stringify(line.sku)} (exact, case-sensitive)`);
      if (!Number.isInteger(line.quantity) || line.quantity < 1) throw new Error(`items[${i}].quantity: must be a whole number >= 1`);
      return listing;
    });
    const fulfilledBy = input.fulfilledBy ?? (listings.every((l) => l.fulfilment === 'FBA') ? 'AMAZON' : 'MERCHANT');
    listings.forEach((l, i) => {
      if (fulfilledBy === 'AMAZON' && l.fulfilment === 'FBM') throw new Error(`items[${i}].sku: ${l.sku} is merchant-fulfilled only; it cannot be in an AMAZON-fulfilled order`);
      if (fulfilledBy === 'MERCHANT' && l.fulfilment === 'FBA') throw new Error(`items[${i}].sku: ${l.sku} is fulfilled by Amazon only; it cannot be in a MERCHANT-fulfilled order`);
    });

    const now = this.core.now();
    const rng = this.core.rng('orders');
    const region = seller.region;
    const place = rng.pick(CITIES[region]);
    const first = rng.pick(FIRST);
    const last = rng.pick(LAST);
    const mp = marketplace(marketplaceId);
    const address: SimAddress = {
      name: `${first} ${last}`,
      addressLine1: `${rng.int(1, 199)} ${rng.pick(STREETS)}`,
      city: place.city,
      postalCode: place.postal(),
      countryCode: mp?.countryCode ?? 'GB',
      phone: `+44 7700 ${rng.digits(6)}`,
      ...(place.state ? { stateOrRegion: place.state } : {}),
      ...input.address,
    };
    const items: SimOrderItem[] = input.items.map((line, i) => {
      const listing = listings[i] as Listing;
      const price = this.sim.listings.price(listing);
      return {
        orderItemId: this.core.rng('ids').digits(14),
        sku: listing.sku,
        asin: listing.asin,
        title: this.sim.listings.title(listing),
        quantityOrdered: line.quantity,
        unitPrice: (line.unitPrice ?? Number(price?.amount ?? '9.99')).toFixed(2),
        currencyCode: price?.currencyCode ?? mp?.defaultCurrencyCode ?? 'GBP',
      };
    });
    const pendingMs = input.pendingSeconds !== undefined ? input.pendingSeconds * 1000 : this.core.options.pendingMs;
    const serviceLevel = input.serviceLevel ?? rng.pick(SERVICE_LEVELS);
    const visibleAt = seller.mws.enabled ? now + seller.mws.delaySeconds * 1000 : now;
    const order: SimOrder = {
      orderId: this.newOrderId(),
      sellerId: seller.sellerId,
      marketplaceId,
      sellerOrderId: input.sellerOrderId,
      createdAt: now,
      lastUpdatedAt: now,
      visibleAt,
      status: pendingMs > 0 ? 'PENDING' : 'UNSHIPPED',
      fulfilledBy,
      serviceLevel,
      items,
      packages: [],
      buyer: { name: input.buyerName ?? `${first} ${last}`, email: input.buyerEmail ?? `${rng.alnumUpper(12).toLowerCase()}@marketplace.amazon.co.uk` },
      address,
      shipByLatest: now + (serviceLevel === 'NEXT_DAY' ? 1 : 2) * DAY,
      deliverByLatest: now + (serviceLevel === 'NEXT_DAY' ? 2 : 5) * DAY,
      confirmations: [],
      shipmentStatusUpdates: [],
      statusHistory: [],
      source,
    };
    order.statusHistory.push({ status: order.status, at: now });
    this.core.state.orders.set(order.orderId, order);

    // Amazon takes merchant-fulfilled units off the listing the moment the order is placed.
    if (fulfilledBy === 'MERCHANT') {
      items.forEach((item, i) => this.sim.listings.adjustForOrder(listings[i] as Listing, -item.quantityOrdered, order.orderId, 'order'));
    }

    if (visibleAt <= now) this.sim.notifications.orderChanged(order, 'OrderStatusChange', 'Order created');
    else
      this.core.schedule(visibleAt, `order ${order.orderId} reaches SP-API (MWS)`, (at) => {
        order.lastUpdatedAt = Math.max(order.lastUpdatedAt, at);
        this.sim.notifications.orderChanged(order, 'OrderStatusChange', 'Order created');
      });

    if (order.status === 'PENDING') {
      this.core.schedule(now + pendingMs, `order ${order.orderId} ready`, () => {
        if (order.status === 'PENDING') this.setStatus(order, 'UNSHIPPED', 'Payment authorised');
      });
    } else if (fulfilledBy === 'AMAZON') {
      this.scheduleAmazonShipment(order);
    }
    return order;
  }

  /** Status change with timestamps and notification (notified only once the order is visible). */
  setStatus(order: SimOrder, status: FulfillmentStatus, reason: string): void {
    if (order.status === status) return;
    const at = this.core.now();
    order.status = status;
    order.lastUpdatedAt = Math.max(at, order.visibleAt);
    order.statusHistory.push({ status, at });
    if (order.visibleAt <= at) this.sim.notifications.orderChanged(order, 'OrderStatusChange', reason);
    if (status === 'UNSHIPPED' && order.fulfilledBy === 'AMAZON') this.scheduleAmazonShipment(order);
  }

  private scheduleAmazonShipment(order: SimOrder): void {
    this.core.after(this.core.options.fbaShipMs, `FBA ships ${order.orderId}`, () => {
      if (order.status !== 'UNSHIPPED') return;
      for (const item of order.items) this.sim.fba.move(order.sellerId, item.sku, -item.quantityOrdered, 'customer shipment', order.orderId);
      this.setStatus(order, 'SHIPPED', 'Shipped by Amazon');
    });
  }

  randomOrder(seller: Seller, spec: RandomOrderSpec, source: SimOrder['source']): SimOrder | undefined {
    const rng = this.core.rng('orders');
    const listings = this.sim.listings.listFor(seller.sellerId).sort((a, b) => (a.sku < b.sku ? -1 : 1));
    const fbm = listings.filter((l) => l.fulfilment !== 'FBA' && l.fbmQuantity > 0);
    const fba = listings.filter((l) => l.fulfilment !== 'FBM' && this.sim.fba.realLevel(seller.sellerId, l.sku) > 0);
    if (fbm.length === 0 && fba.length === 0) return undefined;
    const useFba = fba.length > 0 && (fbm.length === 0 || rng.chance(spec.fbaShare ?? 0.3));
    const pool = [...(useFba ? fba : fbm)];
    const lines = Math.min(pool.length, rng.int(1, Math.max(1, spec.maxLines ?? 3)));
    const items: OrderLineInput[] = [];
    for (let i = 0; i < lines; i++) {
      const listing = pool.splice(rng.int(0, pool.length - 1), 1)[0] as Listing;
      const available = useFba ? this.sim.fba.realLevel(seller.sellerId, listing.sku) : listing.fbmQuantity;
      items.push({ sku: listing.sku, quantity: rng.int(1, Math.max(1, Math.min(3, available))) });
    }
    return this.create(seller, { items, fulfilledBy: useFba ? 'AMAZON' : 'MERCHANT', marketplaceId: rng.pick(seller.marketplaceIds) }, source);
  }

  cancel(order: SimOrder, reason: string, requestOnly: boolean): void {
    if (order.status === 'SHIPPED' || order.status === 'CANCELLED') throw new Error(`orderId: order ${order.orderId} is ${order.status} and cannot be cancelled`);
    const at = this.core.now();
    if (requestOnly) {
      order.buyerCancelRequest = { reason, at };
      order.lastUpdatedAt = Math.max(at, order.visibleAt);
      if (order.visibleAt <= at) this.sim.notifications.orderChanged(order, 'BuyerRequestedChange', 'Buyer Requested Cancel');
      return;
    }
    order.cancellation = { requester: 'BUYER', reason, at };
    if (order.fulfilledBy === 'MERCHANT') {
      for (const item of order.items) {
        const unshipped = item.quantityOrdered - quantityShipped(order, item);
        const listing = this.sim.listings.get(order.sellerId, item.sku);
        if (listing && unshipped > 0) this.sim.listings.adjustForOrder(listing, unshipped, order.orderId, 'order-cancel');
      }
    }
    this.setStatus(order, 'CANCELLED', 'Buyer Requested Cancel');
  }

  /** The 2026-01-01 `Order`, with datasets gated by includedData and PII by role. */
  render(order: SimOrder, includedData: Set<string>, roles: ReadonlySet<string>): Record<string, unknown> {
    const mp = marketplace(order.marketplaceId);
    const pending = order.status === 'PENDING' || order.status === 'PENDING_AVAILABILITY';
    const out: Record<string, unknown> = {
      orderId: order.orderId,
      createdTime: iso(order.createdAt),
      lastUpdatedTime: iso(order.lastUpdatedAt),
    };
    if (order.sellerOrderId) out.orderAliases = [{ aliasId: order.sellerOrderId, aliasType: 'SELLER_ORDER_ID' }];
    out.programs = order.fulfilledBy === 'AMAZON' ? ['PRIME'] : [];
    out.salesChannel = { channelName: 'AMAZON', marketplaceId: order.marketplaceId, marketplaceName: mp?.name ?? order.marketplaceId };
    if (includedData.has('BUYER') && hasAnyRole(roles, BUYER_ROLES)) {
      const buyer: Record<string, unknown> = { buyerName: order.buyer.name };
      if (order.fulfilledBy === 'MERCHANT') buyer.buyerEmail = order.buyer.email;
      out.buyer = buyer;
    }
    if (includedData.has('RECIPIENT') && hasAnyRole(roles, RECIPIENT_ROLES)) {
      const { phone, ...address } = order.address;
      out.recipient = {
        deliveryAddress: { ...address, ...(order.fulfilledBy === 'MERCHANT' && phone ? { phone } : {}), addressType: 'RESIDENTIAL' },
      };
    }
    if (includedData.has('PROCEEDS') && !pending) {
      const total = order.items.reduce((s, i) => s + Number(i.unitPrice) * i.quantityOrdered, 0);
      out.proceeds = { grandTotal: { amount: total.toFixed(2), currencyCode: order.items[0]?.currencyCode ?? 'GBP' } };
    }
    if (includedData.has('FULFILLMENT')) {
      out.fulfillment = {
        fulfillmentStatus: order.status,
        fulfilledBy: order.fulfilledBy,
        fulfillmentServiceLevel: order.serviceLevel,
        shipByWindow: { earliestDateTime: iso(order.createdAt), latestDateTime: iso(order.shipByLatest) },
        deliverByWindow: { earliestDateTime: iso(order.createdAt + DAY), latestDateTime: iso(order.deliverByLatest) },
      };
    }
    out.orderItems = order.items.map((item) => {
      const product: Record<string, unknown> = { asin: item.asin, title: item.title, sellerSku: item.sku, condition: { conditionType: 'New' } };
      if (!pending) product.price = { unitPrice: { amount: item.unitPrice, currencyCode: item.currencyCode } };
      const rendered: Record<string, unknown> = { orderItemId: item.orderItemId, quantityOrdered: item.quantityOrdered, product };
      if (includedData.has('PROCEEDS') && !pending) {
        rendered.proceeds = { proceedsTotal: { amount: (Number(item.unitPrice) * item.quantityOrdered).toFixed(2), currencyCode: item.currencyCode } };
      }
      if (includedData.has('FULFILLMENT')) {
        const shipped = quantityShipped(order, item);
        rendered.fulfillment = { quantityFulfilled: shipped, quantityUnfulfilled: order.status === 'CANCELLED' ? 0 : item.quantityOrdered - shipped };
      }
      if (includedData.has('CANCELLATION') && (order.cancellation || order.buyerCancelRequest)) {
        const request = order.cancellation ?? order.buyerCancelRequest;
        const cancellation: Record<string, unknown> = { cancellationRequest: { requester: 'BUYER', cancelReason: request?.reason ?? '' } };
        if (order.cancellation) cancellation.cancellationExecution = { cancelledBy: order.cancellation.requester, cancelReason: order.cancellation.reason };
        rendered.cancellation = cancellation;
      }
      return rendered;
    });
    if (includedData.has('PACKAGES') && order.fulfilledBy === 'MERCHANT') {
      out.packages = order.packages.map((p) => this.renderPackage(p));
    }
    return out;
  }

  private renderPackage(p: SimPackage): Record<string, unknown> {
    const out: Record<string, unknown> = {
      packageReferenceId: p.packageReferenceId,
      createdTime: iso(p.createdAt),
      packageStatus: { status: 'SHIPPED' },
      carrier: p.carrierName ?? p.carrierCode,
      shipTime: iso(p.shipDate),
      trackingNumber: p.trackingNumber,
      packageItems: p.items.map((i) => ({ orderItemId: i.orderItemId, quantity: i.quantity })),
    };
    if (p.shippingMethod) out.shippingService = p.shippingMethod;
    return out;
  }

  /** v0 confirmShipment, after the body passed the model schema. */
  confirmShipment(order: SimOrder, body: Record<string, unknown>): void {
    const detail = body.packageDetail as Record<string, unknown>;
    const marketplaceId = String(body.marketplaceId);
    if (!marketplace(marketplaceId)) throw invalidInput('Marketplace ID is not defined', '1001');
    if (marketplaceId !== order.marketplaceId) throw invalidInput(`The marketplaceId ${marketplaceId} does not match the marketplace of order ${order.orderId} (${order.marketplaceId}).`);
    if (order.fulfilledBy === 'AMAZON') throw invalidInput(`Order ${order.orderId} is fulfilled by Amazon (AFN); shipment confirmation is only accepted for merchant-fulfilled orders.`);
    if (order.status === 'CANCELLED') throw invalidInput(`Order ${order.orderId} has been cancelled and cannot be confirmed as shipped.`);
    if (order.status === 'PENDING' || order.status === 'PENDING_AVAILABILITY') throw invalidInput(`Order ${order.orderId} is PENDING and not yet ready to ship.`);

    const packageReferenceId = String(detail.packageReferenceId);
    if (!/^[1-9][0-9]{0,17}$/.test(packageReferenceId)) throw invalidInput('Invalid Input', `packageDetail.packageReferenceId must be a positive number, got ${JSON.stringify(detail.packageReferenceId)}`);
    const carrierCode = String(detail.carrierCode);
    if (carrierCode.trim() === '') throw invalidInput('Invalid Input', 'packageDetail.carrierCode must not be empty');
    if (carrierCode === 'Other' && (typeof detail.carrierName !== 'string' || detail.carrierName.trim() === '')) {
      throw invalidInput('Invalid Input', 'packageDetail.carrierName is required when carrierCode is "Other"');
    }
    const trackingNumber = String(detail.trackingNumber);
    if (trackingNumber.trim() === '') throw invalidInput('Invalid Input', 'packageDetail.trackingNumber must not be empty');
    const shipDate = parseIsoDateTime(String(detail.shipDate));
    if (shipDate === undefined) throw invalidInput('Invalid Input', `packageDetail.shipDate must be an ISO 8601 date-time, got ${JSON.stringify(detail.shipDate)}`);
    if (shipDate < order.createdAt - 10 * MINUTE) throw invalidInput('Invalid Input', 'packageDetail.shipDate is before the order was placed');
    if (shipDate > this.core.now() + 2 * DAY) throw invalidInput('Invalid Input', 'packageDetail.shipDate is too far in the future');
    const lines = detail.orderItems as { orderItemId: string; quantity: number }[];
    if (lines.length === 0) throw invalidInput('Invalid Input', 'packageDetail.orderItems must not be empty');

    const existing = order.packages.find((p) => p.packageReferenceId === packageReferenceId);
    const wanted = new Map<string, number>();
    for (const line of lines) {
      const item = order.items.find((i) => i.orderItemId === line.orderItemId);
      if (!item) throw invalidInput('Invalid Input', `orderItemId ${line.orderItemId} is not part of order ${order.orderId}`);
      if (!Number.isInteger(line.quantity) || line.quantity < 1) throw invalidInput('Invalid Input', `quantity for orderItemId ${line.orderItemId} must be a whole number >= 1`);
      wanted.set(line.orderItemId, (wanted.get(line.orderItemId) ?? 0) + line.quantity);
    }
    const fullyShipped = order.items.every((i) => quantityShipped(order, i) >= i.quantityOrdered);
    if (!existing && fullyShipped) {
      throw invalidInput(
        `Order ${order.orderId} is already SHIPPED: every item has been confirmed.`,
        'To correct tracking details, confirm again with the packageReferenceId of the existing package.',
      );
    }
    for (const [orderItemId, qty] of wanted) {
      const item = order.items.find((i) => i.orderItemId === orderItemId) as SimOrderItem;
      const shippedElsewhere = quantityShipped(order, item) - (existing?.items.filter((i) => i.orderItemId === orderItemId).reduce((s, i) => s + i.quantity, 0) ?? 0);
      if (shippedElsewhere + qty > item.quantityOrdered) {
        throw invalidInput('Invalid Input', `quantity ${qty} for orderItemId ${orderItemId} exceeds the unshipped quantity ${item.quantityOrdered - shippedElsewhere}`);
      }
    }

    const now = this.core.now();
    const pkg: SimPackage = {
      packageReferenceId,
      createdAt: existing?.createdAt ?? now,
      carrierCode,
      carrierName: typeof detail.carrierName === 'string' ? detail.carrierName : undefined,
      shippingMethod: typeof detail.shippingMethod === 'string' ? detail.shippingMethod : undefined,
      trackingNumber,
      shipDate,
      items: [...wanted].map(([orderItemId, quantity]) => ({ orderItemId, quantity })),
    };
    if (existing) order.packages[order.packages.indexOf(existing)] = pkg;
    else order.packages.push(pkg);
    order.confirmations.push({ at: now, packageReferenceId, edit: Boolean(existing), trackingNumber });
    order.lastUpdatedAt = Math.max(now, order.visibleAt);
    const allShipped = order.items.every((i) => quantityShipped(order, i) >= i.quantityOrdered);
    const anyShipped = order.items.some((i) => quantityShipped(order, i) > 0);
    this.setStatus(order, allShipped ? 'SHIPPED' : anyShipped ? 'PARTIALLY_SHIPPED' : 'UNSHIPPED', 'Seller confirmed shipment');
  }

  /** v0 updateShipmentStatus (pickup flow), after the body passed the model schema. */
  updateShipmentStatus(order: SimOrder, body: Record<string, unknown>): void {
    const marketplaceId = String(body.marketplaceId);
    if (!marketplace(marketplaceId)) throw invalidInput('Marketplace ID is not defined', '1001');
    if (marketplaceId !== order.marketplaceId) throw invalidInput(`The marketplaceId ${marketplaceId} does not match the marketplace of order ${order.orderId} (${order.marketplaceId}).`);
    if (order.fulfilledBy === 'AMAZON') throw invalidInput(`Order ${order.orderId} is fulfilled by Amazon (AFN); its shipment status cannot be updated by the seller.`);
    if (order.status === 'CANCELLED') throw invalidInput(`Order ${order.orderId} has been cancelled.`);
    const items = (body.orderItems ?? []) as { orderItemId?: string }[];
    for (const item of items) {
      if (item.orderItemId !== undefined && !order.items.some((i) => i.orderItemId === item.orderItemId)) {
        throw invalidInput('Invalid Input', `orderItemId ${item.orderItemId} is not part of order ${order.orderId}`);
      }
    }
    order.shipmentStatusUpdates.push({ at: this.core.now(), shipmentStatus: String(body.shipmentStatus) });
    order.lastUpdatedAt = Math.max(this.core.now(), order.visibleAt);
  }

  findForCaller(orderId: string, sellerId: string): SimOrder {
    const order = this.get(orderId);
    if (!order || !this.visibleTo(order, sellerId)) throw notFound(`Order ${orderId} was not found.`);
    return order;
  }

  readBack(order: SimOrder): Record<string, unknown> {
    return {
      orderId: order.orderId,
      sellerId: order.sellerId,
      marketplaceId: order.marketplaceId,
      status: order.status,
      fulfilledBy: order.fulfilledBy,
      createdAt: iso(order.createdAt),
      lastUpdatedAt: iso(order.lastUpdatedAt),
      visibleAt: iso(order.visibleAt),
      visible: order.visibleAt <= this.core.now(),
      items: order.items.map((i) => ({ ...i, quantityShipped: quantityShipped(order, i) })),
      packages: order.packages.map((p) => ({ ...p, createdAt: iso(p.createdAt), shipDate: iso(p.shipDate) })),
      confirmationsCount: order.confirmations.length,
      confirmations: order.confirmations.map((c) => ({ ...c, at: iso(c.at) })),
      shipmentStatusUpdates: order.shipmentStatusUpdates.map((u) => ({ ...u, at: iso(u.at) })),
      statusHistory: order.statusHistory.map((s) => ({ ...s, at: iso(s.at) })),
      cancellation: order.cancellation ? { ...order.cancellation, at: iso(order.cancellation.at) } : undefined,
      buyerCancelRequest: order.buyerCancelRequest ? { ...order.buyerCancelRequest, at: iso(order.buyerCancelRequest.at) } : undefined,
      buyer: order.buyer,
      address: order.address,
      source: order.source,
    };
  }
}

