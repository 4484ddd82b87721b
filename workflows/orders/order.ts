/**
 * One workflow per Amazon order (ID `order:<marketplace>:<order id>`), started or signalled by
 * the download and the ORDER_CHANGE hand-off with signalWithStart, so a repeated download is a
 * no-op. The lifecycle, in one screen:
 *
 *   FBA: record → wait for Amazon to ship or cancel (signals; slow getOrder fallback) → done.
 *   FBM: match SKUs exactly → allocate from the FBM pool (ledger) → push stock → wait for the
 *        `despatch` update → confirmShipment once per package → despatch movements → verify
 *        Amazon shows SHIPPED (timers) → done.
 *   Any time: Amazon cancels → release what is still allocated (flag it if parcels already left);
 *   the latest ship date passes → needs attention; AccessDenied → wait for re-authorisation.
 */
import { allHandlersFinished, ApplicationFailure, condition, continueAsNew, patched, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { OrderActivities } from '../../activities/orders';
import type { createStockActivities } from '../../activities/stock';
import type { createStockLedgerActivities } from '../../activities/stock-ledger';
import {
  allocationFor,
  describeSkuMismatch,
  despatchFor,
  isLateForDespatch,
  matchSku,
  releaseFor,
  routeOrder,
  scopeDisplayName,
  validateDespatch,
  type DespatchableOrder,
  type OrderLine,
} from '../../domain';
import { dbWrite, spApiCall } from '../../spapi/activity-options';
import {
  amazonOrderUpdatedSignal,
  despatchUpdate,
  FALLBACK_POLL_INTERVAL,
  orderStatusQuery,
  orderWorkflowId,
  retrySignal,
  TERMINAL_ORDER_STATES,
  VERIFY_SHIPPED_DELAYS,
  VERIFY_SHIPPED_LATE_INTERVAL,
  type Attention,
  type AttentionKind,
  type CarriedOrderState,
  type DespatchRequest,
  type DespatchResult,
  type OrderLifecycleState,
  type OrderOutcome,
  type OrderSnapshot,
  type OrderStatus,
  type OrderWorkflowInput,
  type PackageRecord,
} from '../contracts/orders';
import { AmazonOrderIdKey, ConnectionKey, FulfilledByKey, NeedsAttentionKey, OrderStateKey, SkusKey } from '../contracts/search-attributes';
import { installReauthorisationHandler, spApiFailure, withAccess, type AccessHooks } from '../lib/access';
import { workflowNowIso } from '../lib/time';

type StockPushActivities = Pick<ReturnType<typeof createStockActivities>, 'requestStockPush'>;
type LedgerActivities = ReturnType<typeof createStockLedgerActivities>;

const db = proxyActivities<OrderActivities & LedgerActivities & StockPushActivities>(dbWrite);
const amazon = proxyActivities<OrderActivities>(spApiCall);

const HISTORY_LIMIT = 25;
const CONTINUE_AS_NEW_AFTER_EVENTS = 4000;

/** Drops requests that are not despatch-shaped before they reach history; business rules are checked by the handler. */
function despatchShape(req: DespatchRequest): void {
  const text = (v: unknown) => typeof v === 'string';
  if (!req || typeof req !== 'object') throw new Error('despatch needs an object with carrierCode, shippingMethod, trackingNumber, shipDate and lines');
  if (!text(req.carrierCode) || !text(req.shippingMethod) || !text(req.trackingNumber) || !text(req.shipDate)) {
    throw new Error('despatch needs text fields carrierCode, shippingMethod, trackingNumber and shipDate');
  }
  if (!Array.isArray(req.lines) || req.lines.some((l) => !l || typeof l.orderItemId !== 'string' || typeof l.quantity !== 'number')) {
    throw new Error('despatch lines must be a list of { orderItemId: text, quantity: number }');
  }
}

const emptyState = (): CarriedOrderState => ({
  state: 'NEW',
  amazon: null,
  allocatedLines: [],
  packages: [],
  attention: [],
  lastDespatchRejection: null,
  verifiedShippedAt: null,
  verifyAttempts: 0,
  history: [],
});

class OrderLifecycle {
  private readonly workflowId: string;
  private readonly s: CarriedOrderState;
  private amazonUpdates = 0;
  private retries = 0;
  private published = '';
  private readonly access: AccessHooks = {
    onBlocked: (scope, operation) => {
      this.attend('ACCESS_BLOCKED', `Amazon denied ${operation ?? 'a call'} (${scopeDisplayName(scope)}): waiting for the seller to re-authorise Conduit in Seller Central.`);
      this.publishAttributes();
    },
    onResumed: () => {
      this.clear('ACCESS_BLOCKED');
      this.publishAttributes();
    },
  };

  constructor(private readonly input: OrderWorkflowInput) {
    try {
      this.workflowId = orderWorkflowId(input.marketplaceId, input.amazonOrderId);
    } catch (err) {
      throw ApplicationFailure.nonRetryable(String((err as Error).message), 'InvalidInput');
    }
    this.s = input.carried ?? emptyState();
    setHandler(amazonOrderUpdatedSignal, (snapshot) => this.applyAmazon(snapshot));
    setHandler(retrySignal, ({ by, note }) => {
      this.retries++;
      this.note(`retry requested by ${by}${note ? `: ${note}` : ''}`);
    });
    setHandler(despatchUpdate, (req) => this.acceptDespatch(req), { validator: despatchShape });
    setHandler(orderStatusQuery, () => this.status());
  }

  async run(): Promise<OrderOutcome> {
    if (!this.s.amazon && !(await condition(() => this.s.amazon !== null, '1 minute'))) {
      // Started without a snapshot (e.g. by an operator): read the order from Amazon.
      this.applyAmazon(await this.readAmazon());
    }
    if (!this.input.carried) {
      const finished = await this.resumeFromDatabase();
      if (finished) return finished;
    }
    for (;;) {
      const since = this.marks();
      const route = routeOrder({ orderId: this.input.amazonOrderId, fulfillment: { fulfillmentStatus: this.order.status, fulfilledBy: this.order.fulfilledBy } });
      if (route === 'FBA') return this.runFba();
      if (route === 'FBM') return this.runFbm();
      this.attend('UNKNOWN_ROUTE', `Amazon did not say whether ${this.input.amazonOrderId} is FBA or FBM; Conduit never guesses. It re-reads the order on retry.`);
      await this.publish();
      await this.waitForChange(since);
      this.applyAmazon(await this.readAmazon());
      this.clear('UNKNOWN_ROUTE');
    }
  }

  // ---- FBA: recorded, never allocated or despatched --------------------------------------------

  private async runFba(): Promise<OrderOutcome> {
    for (;;) {
      const since = this.marks();
      if (this.order.status === 'CANCELLED') return this.finish('CANCELLED');
      if (this.order.status === 'SHIPPED') return this.finish('FBA_SHIPPED');
      this.setState('FBA_RECORDED');
      await this.publish();
      const woke = await this.waitForChange(since);
      if (!woke.byAmazon) this.applyAmazon(await this.readAmazon());
      await this.continueAsNewIfLong();
    }
  }

  // ---- FBM: allocate, despatch, confirm, verify ------------------------------------------------

  private async runFbm(): Promise<OrderOutcome> {
    for (;;) {
      const since = this.marks();
      const status = this.order.status;
      if (status === 'CANCELLED') return this.cancel();
      if (this.hasQueuedPackages()) {
        await this.confirmQueuedPackages();
        continue;
      }
      if (this.s.allocatedLines.length === 0) {
        if (status === 'SHIPPED') return this.shippedOutsideConduit();
        if (status === 'PENDING' || status === 'PENDING_AVAILABILITY') {
          this.setState('AWAITING_PAYMENT');
        } else if ((await this.skusMatch()) && (await this.allocate())) {
          continue;
        }
      } else if (this.fullyDespatched()) {
        return this.verifyShipped();
      } else if (status === 'SHIPPED' && this.confirmedPackages().length === 0) {
        return this.shippedOutsideConduit();
      } else {
        this.setState(this.confirmedPackages().length > 0 ? 'PARTIALLY_DESPATCHED' : 'ALLOCATED');
      }
      await this.publish();
      const woke = await this.waitForChange(since);
      if (woke.timedOut) this.applyAmazon(await this.readAmazon());
      await this.continueAsNewIfLong();
    }
  }

  /** Every order SKU must equal a catalogue SKU exactly; near-misses are named, never mapped. */
  private async skusMatch(): Promise<boolean> {
    const skus = [...new Set(this.order.lines.map((l) => l.sku))];
    const catalogue = await db.catalogueCandidates({ connectionId: this.input.connectionId, skus });
    const problems = skus.map((sku) => ({ sku, match: matchSku(sku, catalogue) })).filter((m) => m.match.kind !== 'exact');
    if (problems.length > 0) {
      this.setState('SKU_MISMATCH');
      this.attend('SKU_MISMATCH', problems.map((p) => describeSkuMismatch(p.sku, p.match)).join(' '));
      return false;
    }
    this.clear('SKU_MISMATCH');
    return true;
  }

  /** All-or-nothing FBM allocation through the ledger; a shortfall names each SKU and waits for `retry`. */
  private async allocate(): Promise<boolean> {
    const lines: OrderLine[] = this.order.lines.map((l) => ({ orderItemId: l.orderItemId, sku: l.sku, quantity: l.quantityOrdered }));
    const pools = await db.readFbmPools({ connectionId: this.input.connectionId, skus: [...new Set(lines.map((l) => l.sku))] });
    const allocation = allocationFor(this.input.amazonOrderId, lines, pools);
    let refusal: string | null = null;
    if (!allocation.ok) {
      refusal = allocation.shortfalls
        .map((s) => `${s.sku}: ${s.requested} needed, ${s.allocatable} can be allocated from the FBM pool`)
        .join('; ');
    } else {
      const recorded = await db.recordMovements({ connectionId: this.input.connectionId, movements: allocation.movements });
      if (!recorded.ok) refusal = recorded.message;
    }
    if (refusal !== null) {
      this.setState('AWAITING_STOCK');
      this.attend('SHORTFALL', `Not enough FBM stock for ${this.input.amazonOrderId} (${refusal}). Book the stock in (or correct the count), then send the order a retry signal.`);
      return false;
    }
    this.clear('SHORTFALL');
    this.s.allocatedLines = lines.filter((l) => l.quantity > 0);
    this.setState('ALLOCATED');
    this.note(`allocated ${lines.map((l) => `${l.quantity}× ${l.sku}`).join(', ')} from the FBM pool`);
    await this.publish();
    await db.requestStockPush({ connectionId: this.input.connectionId, skus: this.allocatedSkus(), cause: 'ALLOCATE' });
    return true;
  }

  /** Update handler: validates against the order now; accepted packages are confirmed by the main loop. */
  private acceptDespatch(req: DespatchRequest): DespatchResult {
    const now = workflowNowIso();
    const reject = (errors: Array<{ field: string; message: string }>): DespatchResult => {
      this.s.lastDespatchRejection = { at: now, errors };
      this.note(`despatch rejected: ${errors.map((e) => e.message).join(' ')}`);
      return { accepted: false, errors };
    };
    if (!this.s.amazon) return reject([{ field: 'order', message: `Order ${this.input.amazonOrderId} has not been downloaded from Amazon yet: try again in a minute.` }]);
    const tracking = req.trackingNumber.trim();
    const duplicate = this.s.packages.find((p) => p.trackingNumber === tracking && p.status !== 'REJECTED');
    if (duplicate) return { accepted: true, packageReferenceId: duplicate.packageReferenceId, duplicate: true };
    if (this.route() === 'FBM' && this.s.allocatedLines.length === 0 && !this.isTerminal()) {
      const why = this.s.attention.map((a) => a.message).join(' ') || `it is ${this.s.state}`;
      return reject([{ field: 'order', message: `Order ${this.input.amazonOrderId} has no stock allocated yet, so it cannot be despatched: ${why}` }]);
    }
    if (this.isTerminal()) {
      return reject([{ field: 'order', message: `Order ${this.input.amazonOrderId} is ${this.s.state}: nothing can be despatched.` }]);
    }
    const packageReferenceId = String(this.s.packages.length + 1);
    // Judge "ship date in the future" by the later of our clock and Amazon's last update, so clock skew
    // between Conduit and Amazon never rejects a ship date Amazon itself would accept.
    const reference = Date.parse(this.order.lastUpdatedAt) > Date.parse(now) ? this.order.lastUpdatedAt : now;
    const validation = validateDespatch(req, this.despatchable(), { now: reference, packageReferenceId });
    if (!validation.ok) return reject(validation.errors);
    const p = validation.confirmShipmentBody.packageDetail;
    this.s.packages.push({
      packageReferenceId,
      carrierCode: p.carrierCode,
      carrierName: p.carrierName,
      shippingMethod: p.shippingMethod,
      trackingNumber: p.trackingNumber,
      shipDate: p.shipDate,
      lines: p.orderItems,
      status: 'QUEUED',
    });
    this.note(`package ${packageReferenceId} accepted from ${req.by ?? 'warehouse'}: ${p.carrierCode} ${p.trackingNumber}`);
    return { accepted: true, packageReferenceId, duplicate: false };
  }

  /** confirmShipment once per package (intent row first), then the despatch movements and a stock push. */
  private async confirmQueuedPackages(): Promise<void> {
    for (const pkg of this.s.packages.filter((p) => p.status === 'QUEUED')) {
      if (this.order.status === 'CANCELLED') return;
      const body = {
        marketplaceId: this.input.marketplaceId,
        packageDetail: {
          packageReferenceId: pkg.packageReferenceId,
          carrierCode: pkg.carrierCode,
          carrierName: pkg.carrierName,
          shippingMethod: pkg.shippingMethod,
          trackingNumber: pkg.trackingNumber,
          shipDate: pkg.shipDate,
          orderItems: pkg.lines,
        },
      };
      await db.recordShipmentIntent({ amazonOrderId: this.input.amazonOrderId, body });
      try {
        const confirmed = await withAccess(this.input.connectionId, () => amazon.confirmPackage({ connectionId: this.input.connectionId, amazonOrderId: this.input.amazonOrderId, body }), this.access);
        pkg.status = 'CONFIRMED';
        pkg.confirmedAt = confirmed.confirmedAt;
        pkg.confirmedVia = confirmed.via;
        this.clear('CONFIRM_REJECTED');
        this.note(`package ${pkg.packageReferenceId} confirmed to Amazon (${confirmed.via})`);
      } catch (err) {
        const failure = spApiFailure(err);
        if (!failure || !['InvalidInput', 'NotFound', 'BadResponse'].includes(failure.type)) throw err;
        pkg.status = 'REJECTED';
        const errors = [{ field: 'confirmShipment', message: `Amazon refused package ${pkg.packageReferenceId} (${pkg.trackingNumber}): ${failure.message}` }];
        this.s.lastDespatchRejection = { at: workflowNowIso(), errors };
        this.attend('CONFIRM_REJECTED', `${errors[0]!.message}. Correct the despatch and send it again.`);
        await this.publish();
        continue;
      }
      await this.recordDespatchMovements(pkg);
    }
  }

  private async recordDespatchMovements(pkg: PackageRecord): Promise<void> {
    const lines = pkg.lines.map((l) => ({ orderItemId: l.orderItemId, sku: this.skuOf(l.orderItemId), quantity: l.quantity }));
    const recorded = await db.recordMovements({ connectionId: this.input.connectionId, movements: despatchFor(this.input.amazonOrderId, pkg.packageReferenceId, lines) });
    if (!recorded.ok) this.note(`despatch movement refused by the ledger: ${recorded.message}`);
    await db.requestStockPush({ connectionId: this.input.connectionId, skus: [...new Set(lines.map((l) => l.sku))], cause: 'DESPATCH' });
  }

  /** Checklist item 6: Amazon must show SHIPPED, not just Conduit "despatched". */
  private async verifyShipped(): Promise<OrderOutcome> {
    this.setState('DESPATCHED');
    await this.publish();
    for (let attempt = this.s.verifyAttempts; ; attempt++) {
      if (this.amazonStatus() === 'CANCELLED') return this.cancel();
      if (this.amazonStatus() === 'SHIPPED') break;
      if (attempt === VERIFY_SHIPPED_DELAYS.length) {
        this.attend(
          'NOT_SHOWN_SHIPPED',
          `Every package of ${this.input.amazonOrderId} was confirmed, but Amazon still shows it ${this.order.status} after ${VERIFY_SHIPPED_DELAYS.length} checks. ` +
            `Check the order in Seller Central; Conduit keeps checking hourly (send retry to check now).`,
        );
        await this.publish();
      }
      const wait = VERIFY_SHIPPED_DELAYS[attempt] ?? VERIFY_SHIPPED_LATE_INTERVAL;
      const retries = this.retries;
      const updates = this.amazonUpdates;
      await condition(() => this.retries > retries || (this.amazonUpdates > updates && ['SHIPPED', 'CANCELLED'].includes(this.order.status)), wait);
      this.s.verifyAttempts = attempt + 1;
      if (!['SHIPPED', 'CANCELLED'].includes(this.amazonStatus())) this.applyAmazon(await this.readAmazon());
      await this.continueAsNewIfLong();
    }
    this.s.verifiedShippedAt = await db.markVerifiedShipped({ marketplaceId: this.input.marketplaceId, amazonOrderId: this.input.amazonOrderId });
    this.clear('NOT_SHOWN_SHIPPED');
    this.clear('LATE_FOR_DESPATCH');
    this.note('Amazon shows the order SHIPPED');
    return this.finish('SHIPPED', this.s.verifiedShippedAt);
  }

  /** Amazon cancelled: give back what is still allocated; if parcels already left, say so loudly. */
  private async cancel(): Promise<OrderOutcome> {
    const queued = this.s.packages.filter((p) => p.status === 'QUEUED');
    for (const pkg of queued) {
      // The warehouse says it left, but Amazon cancelled first: never confirm it, but the units are gone.
      pkg.status = 'NOT_CONFIRMED';
      await this.recordDespatchMovements(pkg);
    }
    const left = this.s.packages.filter((p) => p.status === 'CONFIRMED' || p.status === 'NOT_CONFIRMED');
    const shipped: Record<string, number> = {};
    for (const p of left) for (const l of p.lines) shipped[l.orderItemId] = (shipped[l.orderItemId] ?? 0) + l.quantity;
    const stillAllocated = this.s.allocatedLines
      .map((l) => ({ ...l, quantity: Math.max(0, l.quantity - (shipped[l.orderItemId] ?? 0)) }))
      .filter((l) => l.quantity > 0);
    if (stillAllocated.length > 0) {
      const released = await db.recordMovements({ connectionId: this.input.connectionId, movements: releaseFor(this.input.amazonOrderId, stillAllocated) });
      if (!released.ok) this.note(`release refused by the ledger: ${released.message}`);
      this.note(`released ${stillAllocated.map((l) => `${l.quantity}× ${l.sku}`).join(', ')} to the FBM pool`);
      await db.requestStockPush({ connectionId: this.input.connectionId, skus: [...new Set(stillAllocated.map((l) => l.sku))], cause: 'RELEASE' });
    }
    if (left.length === 0) {
      this.s.attention = [];
      return this.finish('CANCELLED');
    }
    for (const kind of ['SHORTFALL', 'SKU_MISMATCH', 'LATE_FOR_DESPATCH', 'NOT_SHOWN_SHIPPED'] as const) this.clear(kind);
    this.attend(
      'CANCELLED_AFTER_DESPATCH',
      `Amazon cancelled ${this.input.amazonOrderId} after ${left.length} package(s) left (tracking ${left.map((p) => p.trackingNumber).join(', ')}). ` +
        `Ask the carrier to recall the parcel or contact the buyer via Seller Central; book the units back in when they return.`,
    );
    return this.finish('CANCELLED_AFTER_DESPATCH');
  }

  /** Amazon shows SHIPPED though Conduit confirmed nothing (e.g. shipped from Seller Central): the allocated units left. */
  private async shippedOutsideConduit(): Promise<OrderOutcome> {
    if (this.s.allocatedLines.length > 0) {
      await this.recordDespatchMovements({
        packageReferenceId: 'external',
        carrierCode: '',
        carrierName: '',
        shippingMethod: '',
        trackingNumber: '',
        shipDate: workflowNowIso(),
        lines: this.s.allocatedLines.map((l) => ({ orderItemId: l.orderItemId, quantity: l.quantity })),
        status: 'CONFIRMED',
      });
    }
    this.note('Amazon shows the order SHIPPED without a Conduit despatch (confirmed outside Conduit)');
    return this.finish('SHIPPED');
  }

  /** A new run for an order Postgres already knows: resume, or handle a late change to a finished order. */
  private async resumeFromDatabase(): Promise<OrderOutcome | null> {
    const record = await db.loadOrderRecord({ marketplaceId: this.input.marketplaceId, amazonOrderId: this.input.amazonOrderId });
    if (!record) return null;
    for (const p of record.packages) if (!this.s.packages.some((q) => q.packageReferenceId === p.packageReferenceId)) this.s.packages.push(p);
    if ((TERMINAL_ORDER_STATES as readonly string[]).includes(record.state)) {
      this.s.state = record.state;
      if (this.order.status === 'CANCELLED' && (record.state === 'SHIPPED' || record.state === 'FBA_SHIPPED')) {
        if (record.state === 'FBA_SHIPPED') return this.finish('CANCELLED');
        return this.cancel();
      }
      this.note(`Amazon now reports ${this.order.status}; the order was already ${record.state}`);
      return this.finish(record.state);
    }
    if (['ALLOCATED', 'PARTIALLY_DESPATCHED', 'DESPATCHED'].includes(record.state)) {
      // The ledger already holds this order's allocation (its keys are per order item).
      this.s.allocatedLines = this.order.lines.map((l) => ({ orderItemId: l.orderItemId, sku: l.sku, quantity: l.quantityOrdered }));
    }
    return null;
  }

  // ---- waiting, state and visibility ------------------------------------------------------------

  /** How much news has arrived so far; a loop pass takes this before it awaits anything. */
  private marks(): { updates: number; retries: number } {
    return { updates: this.amazonUpdates, retries: this.retries };
  }

  /**
   * Waits for Amazon news, a retry, a despatch or the late-ship deadline; the fallback poll runs when
   * nothing arrives. News counts from `since` (the start of the loop pass): a signal that arrived
   * while the pass was awaiting an activity (e.g. Amazon's SHIPPED or CANCELLED during publish) wakes
   * the wait at once instead of waiting for the 6-hour fallback (found by the chaos run).
   */
  private async waitForChange(since?: { updates: number; retries: number }): Promise<{ byAmazon: boolean; timedOut: boolean }> {
    // Workflows that started waiting before this change replay with the old behaviour.
    const fromPassStart = since !== undefined && patched('order-news-since-pass-start');
    const updates = fromPassStart ? since.updates : this.amazonUpdates;
    const retries = fromPassStart ? since.retries : this.retries;
    const lateInMs = this.msUntilLate();
    const woke = await condition(
      () => this.amazonUpdates > updates || this.retries > retries || this.hasQueuedPackages(),
      lateInMs !== null ? Math.max(1000, lateInMs) : FALLBACK_POLL_INTERVAL,
    );
    if (!woke && lateInMs !== null) {
      if (this.isLate()) {
        this.attend(
          'LATE_FOR_DESPATCH',
          `${this.input.amazonOrderId} was due to ship by ${this.order.latestShipDate} and has not been despatched: despatch it now (late shipment hurts the seller's account health).`,
        );
        await this.publish();
      }
      return { byAmazon: false, timedOut: false };
    }
    return { byAmazon: this.amazonUpdates > updates, timedOut: !woke };
  }

  private msUntilLate(): number | null {
    if (this.route() !== 'FBM' || this.hasAttention('LATE_FOR_DESPATCH') || this.fullyDespatched() || !this.order.latestShipDate) return null;
    return Math.max(0, Date.parse(this.order.latestShipDate) - Date.parse(workflowNowIso())) + 1000;
  }

  private isLate(): boolean {
    return isLateForDespatch(this.order.latestShipDate, workflowNowIso());
  }

  private async readAmazon(): Promise<OrderSnapshot> {
    return withAccess(
      this.input.connectionId,
      () => amazon.getAmazonOrder({ connectionId: this.input.connectionId, marketplaceId: this.input.marketplaceId, amazonOrderId: this.input.amazonOrderId }),
      this.access,
    );
  }

  private applyAmazon(snapshot: OrderSnapshot): void {
    if (snapshot.amazonOrderId !== this.input.amazonOrderId) return;
    const current = this.s.amazon;
    if (current && Date.parse(snapshot.lastUpdatedAt) < Date.parse(current.lastUpdatedAt)) return;
    if (current && snapshot.lastUpdatedAt === current.lastUpdatedAt && snapshot.status === current.status) return;
    this.s.amazon = snapshot;
    this.amazonUpdates++;
    if (current?.status !== snapshot.status) this.note(`Amazon status ${snapshot.status}`);
  }

  private async finish(state: OrderLifecycleState, shippedAt?: string): Promise<OrderOutcome> {
    this.setState(state);
    await this.publish(shippedAt);
    await condition(allHandlersFinished);
    return { state, amazonStatus: this.s.amazon?.status ?? null, needsAttention: this.s.attention.length > 0 };
  }

  private async continueAsNewIfLong(): Promise<void> {
    const info = workflowInfo();
    if (!(info.continueAsNewSuggested || info.historyLength > CONTINUE_AS_NEW_AFTER_EVENTS) || this.hasQueuedPackages()) return;
    await condition(allHandlersFinished);
    await continueAsNew<typeof amazonOrder>({ ...this.input, carried: this.s });
  }

  /** Search attributes (what operators filter on) and the orders row (what dashboards read). */
  private async publish(shippedAt?: string): Promise<void> {
    this.publishAttributes();
    const needsAttention = this.s.attention.length > 0 ? this.s.attention.map((a) => a.message).join(' | ') : null;
    const key = JSON.stringify([this.s.state, needsAttention, shippedAt ?? null]);
    if (key === this.published) return;
    await db.saveOrderState({ marketplaceId: this.input.marketplaceId, amazonOrderId: this.input.amazonOrderId, state: this.s.state, needsAttention, ...(shippedAt ? { shippedAt } : {}) });
    this.published = key;
  }

  private publishAttributes(): void {
    // Only where the starter indexed the workflow (signalWithStart sets ConduitConnection): the
    // namespace then has Conduit's attributes registered (the time-skipping test server has none).
    if (workflowInfo().typedSearchAttributes.get(ConnectionKey) === undefined) return;
    upsertSearchAttributes([
      { key: ConnectionKey, value: this.input.connectionId },
      { key: AmazonOrderIdKey, value: this.input.amazonOrderId },
      { key: SkusKey, value: [...new Set(this.order.lines.map((l) => l.sku))] },
      { key: FulfilledByKey, value: this.order.fulfilledBy },
      { key: OrderStateKey, value: this.s.state },
      { key: NeedsAttentionKey, value: this.s.attention.length > 0 },
    ]);
  }

  private status(): OrderStatus {
    const allocated: Record<string, number> = {};
    for (const l of this.s.allocatedLines) allocated[l.orderItemId] = l.quantity;
    return {
      workflowId: this.workflowId,
      connectionId: this.input.connectionId,
      marketplaceId: this.input.marketplaceId,
      amazonOrderId: this.input.amazonOrderId,
      route: this.s.amazon ? this.route() : 'UNKNOWN',
      state: this.s.state,
      amazonStatus: this.s.amazon?.status ?? null,
      needsAttention: this.s.attention.length > 0,
      attention: this.s.attention,
      latestShipDate: this.s.amazon?.latestShipDate ?? null,
      lines: (this.s.amazon?.lines ?? []).map((l) => ({ ...l, quantityShipped: this.unitsShipped(l.orderItemId, ['CONFIRMED']), allocated: allocated[l.orderItemId] ?? 0 })),
      packages: this.s.packages,
      lastDespatchRejection: this.s.lastDespatchRejection,
      verifiedShippedAt: this.s.verifiedShippedAt,
      history: this.s.history,
    };
  }

  /** Amazon's status now (a method, so signal-driven changes are not narrowed away by the type checker). */
  private amazonStatus(): string {
    return this.order.status;
  }

  private get order(): OrderSnapshot {
    if (!this.s.amazon) throw new Error('order snapshot not received yet');
    return this.s.amazon;
  }

  private route(): 'FBA' | 'FBM' | 'UNKNOWN' {
    return routeOrder({ orderId: this.input.amazonOrderId, fulfillment: { fulfillmentStatus: this.order.status, fulfilledBy: this.order.fulfilledBy } });
  }

  private despatchable(): DespatchableOrder {
    const route = this.route();
    return {
      amazonOrderId: this.input.amazonOrderId,
      marketplaceId: this.input.marketplaceId,
      route: route === 'FBA' ? 'FBA' : 'FBM',
      fulfillmentStatus: this.order.status,
      purchasedAt: this.order.purchasedAt,
      ...(this.order.latestShipDate ? { latestShipDate: this.order.latestShipDate } : {}),
      items: this.order.lines.map((l) => ({
        orderItemId: l.orderItemId,
        sellerSku: l.sku,
        quantityOrdered: l.quantityOrdered,
        quantityShipped: this.unitsShipped(l.orderItemId, ['QUEUED', 'CONFIRMED']),
      })),
    };
  }

  private unitsShipped(orderItemId: string, statuses: PackageRecord['status'][]): number {
    return this.s.packages
      .filter((p) => statuses.includes(p.status))
      .flatMap((p) => p.lines)
      .filter((l) => l.orderItemId === orderItemId)
      .reduce((sum, l) => sum + l.quantity, 0);
  }

  private fullyDespatched(): boolean {
    if (!this.s.amazon || this.s.allocatedLines.length === 0) return false;
    return this.order.lines.every((l) => this.unitsShipped(l.orderItemId, ['CONFIRMED']) >= l.quantityOrdered);
  }

  private confirmedPackages(): PackageRecord[] {
    return this.s.packages.filter((p) => p.status === 'CONFIRMED');
  }

  private hasQueuedPackages(): boolean {
    return this.s.packages.some((p) => p.status === 'QUEUED');
  }

  private allocatedSkus(): string[] {
    return [...new Set(this.s.allocatedLines.map((l) => l.sku))];
  }

  private skuOf(orderItemId: string): string {
    return this.order.lines.find((l) => l.orderItemId === orderItemId)?.sku ?? '';
  }

  private isTerminal(): boolean {
    return (TERMINAL_ORDER_STATES as readonly string[]).includes(this.s.state);
  }

  private setState(state: OrderLifecycleState): void {
    if (this.s.state !== state) this.note(`state ${state}`);
    this.s.state = state;
  }

  private hasAttention(kind: AttentionKind): boolean {
    return this.s.attention.some((a) => a.kind === kind);
  }

  private attend(kind: AttentionKind, message: string): void {
    const existing = this.s.attention.find((a) => a.kind === kind);
    if (existing) {
      existing.message = message;
      return;
    }
    const attention: Attention = { kind, message, since: workflowNowIso() };
    this.s.attention.push(attention);
    this.note(`needs attention: ${message}`);
  }

  private clear(kind: AttentionKind): void {
    this.s.attention = this.s.attention.filter((a) => a.kind !== kind);
  }

  private note(event: string): void {
    this.s.history.push({ at: workflowNowIso(), event });
    if (this.s.history.length > HISTORY_LIMIT) this.s.history.splice(0, this.s.history.length - HISTORY_LIMIT);
  }
}

/** The order workflow: one per Amazon order; see the lifecycle at the top of this file. */
export async function amazonOrder(input: OrderWorkflowInput): Promise<OrderOutcome> {
  installReauthorisationHandler();
  const order = new OrderLifecycle(input);
  return order.run();
}
