import { iso, HOUR } from './clock';
import { SimCore, resolveOptions, type SimulatorOptions } from './core';
import { AuthService } from './auth';
import { ListingsService, type CatalogueItem } from './listings';
import { FbaService } from './fba';
import { OrdersService } from './orders';
import { NotificationsService } from './notifications';
import { DocumentStore } from './documents';
import { FeedsService } from './feeds';
import { ReportsService } from './reports';
import { marketplace, type Region } from './marketplaces';
import { parseUsagePlan, type UsagePlan } from './usage-plans';
import { SP_API_OPERATIONS } from './operations';
import type { Authorisation, FaultRule, OrderGenerator, Seller } from './state';

export interface SeedSellerInput {
  sellerId: string;
  region: Region;
  marketplaceIds: string[];
  storeName?: string;
  /** App to authorise right away (defaults to the only registered app, if exactly one). */
  clientId?: string;
  roles?: string[];
  refreshToken?: string;
  catalogue?: CatalogueItem[];
  mws?: boolean;
  mwsDelaySeconds?: number;
}

/** The simulated Amazon: one core (clock, events, state) and a service per API family. */
export class AmazonSimulator {
  readonly core: SimCore;
  readonly auth: AuthService;
  readonly listings: ListingsService;
  readonly fba: FbaService;
  readonly orders: OrdersService;
  readonly notifications: NotificationsService;
  readonly documents: DocumentStore;
  readonly feeds: FeedsService;
  readonly reports: ReportsService;
  /** Usage plans read from the model files, by operation key. */
  readonly plans = new Map<string, UsagePlan>();

  constructor(options: SimulatorOptions = {}) {
    this.core = new SimCore(resolveOptions(options));
    for (const op of SP_API_OPERATIONS) {
      this.plans.set(op.key, parseUsagePlan(this.core.models.operation(op.model, op.operationId)));
    }
    this.auth = new AuthService(this.core);
    this.listings = new ListingsService(this);
    this.fba = new FbaService(this);
    this.orders = new OrdersService(this);
    this.notifications = new NotificationsService(this);
    this.documents = new DocumentStore(this);
    this.feeds = new FeedsService(this);
    this.reports = new ReportsService(this);
  }

  get state() {
    return this.core.state;
  }

  defaultCurrency(seller: Seller): string {
    return marketplace(seller.marketplaceIds[0] ?? '')?.defaultCurrencyCode ?? 'GBP';
  }

  defaultLanguage(seller: Seller): string {
    return marketplace(seller.marketplaceIds[0] ?? '')?.defaultLanguageCode ?? 'en_GB';
  }

  seedSeller(input: SeedSellerInput): { seller: Seller; authorisation?: Authorisation } {
    if (this.state.sellers.has(input.sellerId)) throw new Error(`sellerId: seller ${input.sellerId} already exists; use /_sim/sellers/${input.sellerId}/listings to add SKUs`);
    for (const [i, id] of input.marketplaceIds.entries()) {
      const mp = marketplace(id);
      if (!mp) throw new Error(`marketplaceIds[${i}]: ${id} is not a known Amazon marketplace id`);
      if (mp.region !== input.region) throw new Error(`marketplaceIds[${i}]: ${id} (${mp.name}) is in region ${mp.region}, not ${input.region}`);
    }
    let clientId = input.clientId;
    if (clientId !== undefined && !this.state.apps.has(clientId)) throw new Error(`clientId: no app ${clientId} is registered (POST /_sim/apps first)`);
    if (clientId === undefined && (input.roles !== undefined || input.refreshToken !== undefined)) {
      const apps = [...this.state.apps.keys()];
      if (apps.length !== 1) throw new Error(`clientId: required when ${apps.length} apps are registered (roles/refreshToken need an app to authorise)`);
      clientId = apps[0];
    }
    const seller: Seller = {
      sellerId: input.sellerId,
      region: input.region,
      marketplaceIds: input.marketplaceIds,
      storeName: input.storeName ?? `${input.sellerId} Store`,
      mws: { enabled: input.mws ?? false, delaySeconds: input.mwsDelaySeconds ?? this.core.options.mwsDelayMs / 1000 },
      createdAt: this.core.now(),
    };
    this.state.sellers.set(seller.sellerId, seller);
    for (const item of input.catalogue ?? []) this.addListing(seller, item);
    const authorisation = clientId !== undefined ? this.auth.authorise(seller, clientId, input.roles ?? [], input.refreshToken) : undefined;
    return { seller, authorisation };
  }

  addListing(seller: Seller, item: CatalogueItem): void {
    if (this.listings.get(seller.sellerId, item.sku)) throw new Error(`catalogue: SKU ${JSON.stringify(item.sku)} already exists for seller ${seller.sellerId}`);
    this.listings.seed(seller, item);
  }

  /** Starts (or replaces) a generator creating random orders at `ordersPerHour` simulated. */
  startGenerator(seller: Seller, spec: { ordersPerHour: number; fbaShare?: number; maxLines?: number }): OrderGenerator {
    this.stopGenerator(seller.sellerId);
    const generator: OrderGenerator = { sellerId: seller.sellerId, ordersPerHour: spec.ordersPerHour, fbaShare: spec.fbaShare ?? 0.3, maxLines: spec.maxLines ?? 3, created: 0 };
    const tick = (): void => {
      if (this.state.generators.get(seller.sellerId) !== generator) return;
      const order = this.orders.randomOrder(seller, generator, 'generator');
      if (order) generator.created++;
      // Exponential inter-arrival times: a Poisson stream at the requested rate.
      const meanMs = HOUR / generator.ordersPerHour;
      const gap = Math.max(1, Math.round(-Math.log(1 - this.core.rng('orders').next()) * meanMs));
      generator.next = this.core.after(gap, `order generator ${seller.sellerId}`, tick);
    };
    this.state.generators.set(seller.sellerId, generator);
    generator.next = this.core.after(Math.round(HOUR / spec.ordersPerHour), `order generator ${seller.sellerId}`, tick);
    return generator;
  }

  stopGenerator(sellerId: string): OrderGenerator | undefined {
    const generator = this.state.generators.get(sellerId);
    if (generator?.next) generator.next.cancelled = true;
    this.state.generators.delete(sellerId);
    return generator;
  }

  setFaults(rules: Omit<FaultRule, 'id' | 'fired'>[]): FaultRule[] {
    this.state.faults = rules.map((r) => ({ ...r, id: `fault-${this.core.nextSerial()}`, fired: 0 }));
    return this.state.faults;
  }

  /** Rolls the dice for `operation`: returns the fault to inject, if any (consumes its count). */
  pickFault(operation: string, sellerId: string | undefined): FaultRule | undefined {
    for (const rule of this.state.faults) {
      if (rule.operation !== '*' && rule.operation !== operation) continue;
      if (rule.sellerId !== undefined && rule.sellerId !== sellerId) continue;
      if (rule.remaining !== null && rule.remaining <= 0) continue;
      if (!this.core.rng('faults').chance(rule.probability)) continue;
      if (rule.remaining !== null) rule.remaining--;
      rule.fired++;
      return rule;
    }
    return undefined;
  }

  clockInfo(): Record<string, unknown> {
    const now = this.core.clock.now();
    return { now: iso(now), nowMs: now, timeScale: this.core.clock.timeScale, startedAt: iso(this.core.options.startMs), pendingEvents: this.core.queue.size };
  }

  reset(): void {
    for (const sellerId of [...this.state.generators.keys()]) this.stopGenerator(sellerId);
    this.core.reset();
    this.feeds.reset();
  }

  close(): void {
    for (const sellerId of [...this.state.generators.keys()]) this.stopGenerator(sellerId);
    this.notifications.close();
  }
}
