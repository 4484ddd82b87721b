import { iso } from './clock';
import type { AmazonSimulator } from './simulator';
import { ApiError, invalidInput, notFound } from './api-error';
import { quantityShipped, v0OrderStatus } from './orders';
import type { CallerContext } from './auth';
import type { Destination, NotificationDelivery, SimOrder, Subscription } from './state';

export const NOTIFICATION_TYPES = [
  'ACCOUNT_STATUS_CHANGED', 'ANY_OFFER_CHANGED', 'B2B_ANY_OFFER_CHANGED', 'DETAIL_PAGE_TRAFFIC_EVENT',
  'FBA_INVENTORY_AVAILABILITY_CHANGES', 'FBA_OUTBOUND_SHIPMENT_STATUS', 'FEE_PROMOTION', 'FEED_PROCESSING_FINISHED',
  'FULFILLMENT_ORDER_STATUS', 'ITEM_INVENTORY_EVENT_CHANGE', 'ITEM_SALES_EVENT_CHANGE', 'ORDER_CHANGE', 'PRICING_HEALTH',
  'REPORT_PROCESSING_FINISHED', 'BRANDED_ITEM_CONTENT_CHANGE', 'ITEM_PRODUCT_TYPE_CHANGE', 'LISTINGS_ITEM_STATUS_CHANGE',
  'LISTINGS_ITEM_ISSUES_CHANGE', 'LISTINGS_ITEM_MFN_QUANTITY_CHANGE', 'PRODUCT_TYPE_DEFINITIONS_CHANGE',
  'DATA_KIOSK_QUERY_PROCESSING_FINISHED', 'TRANSACTION_UPDATE',
];

/** Removed by Amazon in favour of ORDER_CHANGE (reference 2.11). */
const REMOVED_TYPES = ['ORDER_STATUS_CHANGE', 'MFN_ORDER_STATUS_CHANGE'];

/** Delivery records kept for read-back (oldest dropped first). */
const MAX_DELIVERY_LOG = 10_000;

type OrderChangeType = 'OrderStatusChange' | 'BuyerRequestedChange' | 'DeliveryTipChange';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Notifications API (destinations, subscriptions) and ORDER_CHANGE delivery by HTTP POST. */
export class NotificationsService {
  private chains = new Map<string, Promise<void>>();
  private closed = false;

  constructor(private readonly sim: AmazonSimulator) {}

  private get core() {
    return this.sim.core;
  }

  close(): void {
    this.closed = true;
  }

  // ---- SP-API operations -------------------------------------------------------------------

  createDestination(caller: CallerContext, body: Record<string, unknown>): Destination {
    const spec = body.resourceSpecification as Record<string, unknown>;
    const sqs = spec.sqs as { arn: string } | undefined;
    const eventBridge = spec.eventBridge as { region: string; accountId: string } | undefined;
    if ((sqs ? 1 : 0) + (eventBridge ? 1 : 0) !== 1) throw invalidInput('resourceSpecification must contain exactly one of sqs or eventBridge.');
    const mine = [...this.core.state.destinations.values()].filter((d) => d.clientId === caller.app.clientId);
    if (sqs && mine.some((d) => (d.resource.sqs as { arn?: string } | undefined)?.arn === sqs.arn)) {
      throw new ApiError(409, 'Conflict', 'A destination has already been created with this SQS ARN.');
    }
    const resource: Record<string, unknown> = sqs
      ? { sqs: { arn: sqs.arn } }
      : { eventBridge: { name: `aws.partner/sellingpartnerapi.amazon.com/${eventBridge?.accountId}/sim`, region: eventBridge?.region, accountId: eventBridge?.accountId } };
    const destination: Destination = {
      destinationId: this.core.rng('ids').uuid(),
      clientId: caller.app.clientId,
      name: String(body.name),
      resource,
    };
    this.core.state.destinations.set(destination.destinationId, destination);
    return destination;
  }

  renderDestination(d: Destination): Record<string, unknown> {
    return { destinationId: d.destinationId, name: d.name, resource: d.resource };
  }

  destinationsOf(caller: CallerContext): Destination[] {
    return [...this.core.state.destinations.values()].filter((d) => d.clientId === caller.app.clientId);
  }

  destination(caller: CallerContext, destinationId: string): Destination {
    const d = this.core.state.destinations.get(destinationId);
    if (!d || d.clientId !== caller.app.clientId) throw notFound(`Destination ${destinationId} was not found.`);
    return d;
  }

  deleteDestination(caller: CallerContext, destinationId: string): void {
    const d = this.destination(caller, destinationId);
    if ([...this.core.state.subscriptions.values()].some((s) => s.destinationId === d.destinationId)) {
      throw new ApiError(409, 'Conflict', 'The destination is still used by a subscription; delete the subscription first.');
    }
    this.core.state.destinations.delete(destinationId);
  }

  checkType(notificationType: string): void {
    if (REMOVED_TYPES.includes(notificationType)) throw invalidInput(`Notification type ${notificationType} is no longer supported; use ORDER_CHANGE.`);
    if (!NOTIFICATION_TYPES.includes(notificationType)) throw invalidInput(`Invalid notificationType: ${notificationType}`);
  }

  createSubscription(caller: CallerContext, notificationType: string, body: Record<string, unknown>): Subscription {
    this.checkType(notificationType);
    const seller = caller.seller;
    if (!seller) throw invalidInput('createSubscription needs a seller authorisation.');
    if (notificationType === 'ORDER_CHANGE' && body.payloadVersion !== '1.0') throw invalidInput(`payloadVersion ${String(body.payloadVersion)} is not supported for ORDER_CHANGE; use "1.0".`);
    const destination = this.core.state.destinations.get(String(body.destinationId));
    if (!destination || destination.clientId !== caller.app.clientId) throw invalidInput(`Destination ${String(body.destinationId)} was not found for this application.`);
    const directive = body.processingDirective;
    if (isRecord(directive)) {
      if (directive.eventFilter !== undefined && directive.filterExpression !== undefined) throw invalidInput('processingDirective may contain eventFilter or filterExpression, not both.');
      const filter = directive.eventFilter;
      if (isRecord(filter) && filter.eventFilterType !== notificationType) throw invalidInput(`eventFilterType ${String(filter.eventFilterType)} does not match notificationType ${notificationType}.`);
    }
    const existing = this.find(caller, notificationType);
    if (existing) throw new ApiError(409, 'Conflict', `A subscription for ${notificationType} already exists: ${existing.subscriptionId}.`);
    const subscription: Subscription = {
      subscriptionId: this.core.rng('ids').uuid(),
      clientId: caller.app.clientId,
      sellerId: seller.sellerId,
      notificationType,
      payloadVersion: String(body.payloadVersion),
      destinationId: destination.destinationId,
      processingDirective: isRecord(directive) ? directive : undefined,
    };
    this.core.state.subscriptions.set(subscription.subscriptionId, subscription);
    return subscription;
  }

  find(caller: CallerContext, notificationType: string): Subscription | undefined {
    return [...this.core.state.subscriptions.values()].find(
      (s) => s.clientId === caller.app.clientId && s.sellerId === caller.seller?.sellerId && s.notificationType === notificationType,
    );
  }

  byId(caller: CallerContext, notificationType: string, subscriptionId: string): Subscription {
    const s = this.core.state.subscriptions.get(subscriptionId);
    if (!s || s.clientId !== caller.app.clientId || s.notificationType !== notificationType) throw notFound(`Subscription ${subscriptionId} was not found.`);
    return s;
  }

  deleteById(caller: CallerContext, notificationType: string, subscriptionId: string): void {
    this.byId(caller, notificationType, subscriptionId);
    this.core.state.subscriptions.delete(subscriptionId);
  }

  renderSubscription(s: Subscription): Record<string, unknown> {
    const out: Record<string, unknown> = { subscriptionId: s.subscriptionId, payloadVersion: s.payloadVersion, destinationId: s.destinationId };
    if (s.processingDirective) out.processingDirective = s.processingDirective;
    return out;
  }

  // ---- delivery ------------------------------------------------------------------------------

  /** Emits ORDER_CHANGE for every matching subscription (or the default URL). */
  orderChanged(order: SimOrder, changeType: OrderChangeType, reason: string): void {
    const subscriptions = [...this.core.state.subscriptions.values()].filter(
      (s) => s.sellerId === order.sellerId && s.notificationType === 'ORDER_CHANGE' && this.passesFilter(s, order, changeType),
    );
    const targets: { subscriptionId: string; applicationId: string; url?: string }[] = subscriptions.map((s) => ({
      subscriptionId: s.subscriptionId,
      applicationId: this.core.state.apps.get(s.clientId)?.applicationId ?? 'unknown',
      url: this.core.state.destinations.get(s.destinationId)?.deliveryUrl ?? this.core.state.notificationUrl,
    }));
    if (targets.length === 0 && !this.core.options.notificationsRequireSubscription) {
      const auth = [...this.core.state.authorisations.values()].find((a) => a.sellerId === order.sellerId && !a.revoked);
      const app = auth ? this.core.state.apps.get(auth.clientId) : [...this.core.state.apps.values()][0];
      targets.push({ subscriptionId: 'sim-default-subscription', applicationId: app?.applicationId ?? 'amzn1.sp.solution.simulator', url: this.core.state.notificationUrl });
    }
    for (const target of targets) {
      if (!target.url) continue;
      const payload = this.orderChangePayload(order, changeType, reason, target.applicationId, target.subscriptionId);
      const delivery: NotificationDelivery = {
        notificationId: (payload.NotificationMetadata as { NotificationId: string }).NotificationId,
        notificationType: 'ORDER_CHANGE',
        sellerId: order.sellerId,
        orderId: order.orderId,
        subscriptionId: target.subscriptionId,
        url: target.url,
        status: 'pending',
        attempts: 0,
        eventTime: this.core.now(),
        payload,
      };
      const log = this.core.state.notifications;
      log.push(delivery);
      if (log.length > MAX_DELIVERY_LOG) log.splice(0, log.length - MAX_DELIVERY_LOG);
      this.enqueue(delivery);
    }
  }

  private passesFilter(s: Subscription, order: SimOrder, changeType: OrderChangeType): boolean {
    const filter = s.processingDirective?.eventFilter;
    if (!isRecord(filter)) return true;
    const marketplaces = filter.marketplaceIds;
    if (Array.isArray(marketplaces) && marketplaces.length > 0 && !marketplaces.includes(order.marketplaceId)) return false;
    const types = filter.orderChangeTypes;
    if (Array.isArray(types) && types.length > 0 && !types.includes(changeType)) return false;
    return true;
  }

  orderChangePayload(order: SimOrder, changeType: OrderChangeType, reason: string, applicationId: string, subscriptionId: string): Record<string, unknown> {
    const now = iso(this.core.now());
    const shipped = order.items.reduce((s, i) => s + quantityShipped(order, i), 0);
    const ordered = order.items.reduce((s, i) => s + i.quantityOrdered, 0);
    return {
      NotificationVersion: '1.0',
      NotificationType: 'ORDER_CHANGE',
      PayloadVersion: '1.0',
      EventTime: now,
      Payload: {
        OrderChangeNotification: {
          NotificationLevel: 'OrderLevel',
          SellerId: order.sellerId,
          AmazonOrderId: order.orderId,
          OrderChangeType: changeType,
          OrderChangeTrigger: { TimeOfOrderChange: now, ChangeReason: reason },
          Summary: {
            MarketplaceId: order.marketplaceId,
            OrderStatus: v0OrderStatus(order.status),
            PurchaseDate: iso(order.createdAt),
            DestinationPostalCode: order.address.postalCode,
            FulfillmentType: order.fulfilledBy === 'AMAZON' ? 'AFN' : 'MFN',
            OrderType: 'StandardOrder',
            NumberOfItemsShipped: shipped,
            NumberOfItemsUnshipped: order.status === 'CANCELLED' ? 0 : ordered - shipped,
            EarliestShipDate: iso(order.createdAt),
            LatestShipDate: iso(order.shipByLatest),
            LatestDeliveryDate: iso(order.deliverByLatest),
            OrderPrograms: order.fulfilledBy === 'AMAZON' ? ['Prime'] : [],
            ShippingPrograms: [],
            OrderItems: order.items.map((item) => {
              const q = quantityShipped(order, item);
              return {
                OrderItemId: item.orderItemId,
                SellerSKU: item.sku,
                SupplySourceId: null,
                OrderItemStatus: q >= item.quantityOrdered ? 'Shipped' : 'Unshipped',
                Quantity: item.quantityOrdered,
                QuantityShipped: q,
                IsBuyerRequestedCancel: Boolean(order.buyerCancelRequest || order.cancellation?.requester === 'BUYER'),
              };
            }),
          },
        },
      },
      NotificationMetadata: {
        ApplicationId: applicationId,
        SubscriptionId: subscriptionId,
        PublishTime: now,
        NotificationId: this.core.rng('ids').uuid(),
      },
    };
  }

  /** Deliveries to one URL go out in order; failures are retried with backoff, never thrown. */
  private enqueue(delivery: NotificationDelivery): void {
    const previous = this.chains.get(delivery.url) ?? Promise.resolve();
    const next = previous.then(() => this.deliver(delivery)).catch(() => undefined);
    this.chains.set(delivery.url, next);
  }

  private async deliver(delivery: NotificationDelivery): Promise<void> {
    const attempts = 1 + this.core.options.notificationRetries;
    for (let i = 0; i < attempts && !this.closed; i++) {
      delivery.attempts++;
      try {
        const res = await fetch(delivery.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(delivery.payload),
          signal: AbortSignal.timeout(5000),
        });
        delivery.lastStatusCode = res.status;
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          delivery.status = 'delivered';
          delivery.deliveredAtReal = new Date().toISOString();
          return;
        }
        delivery.lastError = `HTTP ${res.status}`;
      } catch (err) {
        delivery.lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      }
      if (i < attempts - 1 && !this.closed) {
        await new Promise((resolve) => setTimeout(resolve, this.core.options.notificationRetryBaseMs * 2 ** i).unref());
      }
    }
    delivery.status = 'failed';
  }
}
