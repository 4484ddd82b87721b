import { iso } from './clock';
import type { AmazonSimulator } from './simulator';
import { fbaChannelCode, type Region } from './marketplaces';
import {
  skuKey,
  type Fulfilment,
  type Listing,
  type PendingQuantityChange,
  type QuantityChange,
  type QuantityChangeSource,
  type Seller,
} from './state';

/** Issue shape of the Listings Items 2021-08-01 model. */
export interface ListingIssue {
  code: string;
  message: string;
  severity: 'ERROR' | 'WARNING' | 'INFO';
  attributeNames?: string[];
  categories: string[];
}

export interface PatchOperation {
  op: string;
  path: string;
  value?: unknown;
}

/** An attribute edit that passed validation; quantity is split out so it can be delayed separately. */
export interface ListingEdit {
  ops: { op: 'add' | 'replace' | 'merge' | 'delete'; attribute: string; value: Record<string, unknown>[] }[];
  /** New DEFAULT-channel quantity if the edit changes it. */
  quantity?: number;
  fbmExtras?: Record<string, unknown>;
  /** Full replacement (put / feed UPDATE) instead of per-attribute ops. */
  replaceAll?: Record<string, unknown[]>;
}

export interface CatalogueItem {
  sku: string;
  asin?: string;
  title: string;
  productType: string;
  price: number;
  currencyCode?: string;
  description?: string;
  fbmQuantity?: number;
  fbaQuantity?: number;
  fulfilment: Fulfilment;
}

const ATTRIBUTE_PATH = /^\/attributes\/([a-z][a-z0-9_]*)$/;
const PRODUCT_TYPE = /^[A-Z][A-Z0-9_]*$/;
const SELECTORS = ['marketplace_id', 'language_tag', 'fulfillment_channel_code'];

export const ISSUE_CODES = {
  /** Required attribute missing (model example). */
  required: '90220',
  /** Value invalid (seen in real responses: "The provided value for 'X' is invalid."). */
  invalidValue: '4000001',
  /** "The Amazon product type specified is invalid or not supported." (real). */
  productType: '4000003',
  /** "The attributes are invalid." (real, bad attribute name/path). */
  invalidAttributes: '90000900',
  /** SKU matches no listing / ASIN (MWS-era code; chosen by the simulator). */
  unknownSku: '8560',
} as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function humanName(attribute: string): string {
  return attribute
    .split('_')
    .map((w) => (w.length > 0 ? w[0]!.toUpperCase() + w.slice(1) : w))
    .join(' ');
}

function invalidValueIssue(attribute: string, why?: string): ListingIssue {
  return {
    code: ISSUE_CODES.invalidValue,
    message: `The provided value for '${humanName(attribute)}' is invalid.${why ? ` ${why}` : ''}`,
    severity: 'ERROR',
    attributeNames: [attribute],
    categories: ['INVALID_ATTRIBUTE'],
  };
}

export function unknownSkuIssue(sku: string, marketplaceIds: string[]): ListingIssue {
  return {
    code: ISSUE_CODES.unknownSku,
    message: `SKU '${sku}' does not match any listing of this seller in marketplace(s) ${marketplaceIds.join(', ')}. SKUs are exact and case-sensitive; creating a new listing requires the full product details (putListingsItem).`,
    severity: 'ERROR',
    categories: [],
  };
}

export function productTypeIssue(given: string, expected?: string): ListingIssue {
  return {
    code: ISSUE_CODES.productType,
    message: expected
      ? `The Amazon product type specified is invalid or not supported. '${given}' does not match the product type '${expected}' of this listing.`
      : `The Amazon product type specified is invalid or not supported.`,
    severity: 'ERROR',
    attributeNames: [],
    categories: [],
  };
}

/** Validates one attribute's value array; returns issues (empty = fine). */
function validateAttributeValue(attribute: string, op: string, value: unknown, region: Region): ListingIssue[] {
  if (op === 'delete' && value === undefined) return [];
  if (!Array.isArray(value) || value.length === 0 || !value.every(isRecord)) {
    return [invalidValueIssue(attribute, 'The value must be a non-empty array of objects.')];
  }
  const entries = value as Record<string, unknown>[];
  switch (attribute) {
    case 'fulfillment_availability':
      for (const e of entries) {
        const code = e.fulfillment_channel_code;
        if (typeof code !== 'string' || code.length === 0) return [invalidValueIssue(attribute, "'fulfillment_channel_code' is required.")];
        if ('quantity' in e && op !== 'delete') {
          const q = e.quantity;
          if (typeof q !== 'number' || !Number.isInteger(q) || q < 0) {
            return [invalidValueIssue(attribute, `'quantity' must be a whole number of 0 or more, got ${JSON.stringify(q)}.`)];
          }
        }
        if (code !== 'DEFAULT' && code !== fbaChannelCode(region) && !code.startsWith('AMAZON_')) {
          return [invalidValueIssue(attribute, `Unknown fulfillment_channel_code '${code}'.`)];
        }
      }
      return [];
    case 'item_name':
    case 'product_description':
      if (op !== 'delete' && entries.some((e) => typeof e.value !== 'string' || e.value.trim().length === 0)) {
        return [invalidValueIssue(attribute, "'value' must be a non-empty string.")];
      }
      return [];
    case 'purchasable_offer':
      for (const e of entries) {
        if (op === 'delete') continue;
        const price = readOfferPrice(e);
        if (price === undefined || !(price > 0)) return [invalidValueIssue(attribute, "'our_price[0].schedule[0].value_with_tax' must be a number > 0.")];
        if (e.currency !== undefined && typeof e.currency !== 'string') return [invalidValueIssue(attribute, "'currency' must be a string.")];
      }
      return [];
    default:
      return [];
  }
}

function readOfferPrice(entry: Record<string, unknown>): number | undefined {
  const ourPrice = entry.our_price;
  if (!Array.isArray(ourPrice) || !isRecord(ourPrice[0])) return undefined;
  const schedule = ourPrice[0].schedule;
  if (!Array.isArray(schedule) || !isRecord(schedule[0])) return undefined;
  const v = schedule[0].value_with_tax;
  return typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : undefined;
}

function sameSelectors(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = SELECTORS.filter((k) => k in a || k in b);
  return keys.length > 0 && keys.every((k) => a[k] === b[k]);
}

/** Listings Items: catalogue, attribute edits and the merchant-fulfilled quantity with its delays. */
export class ListingsService {
  constructor(private readonly sim: AmazonSimulator) {}

  private get core() {
    return this.sim.core;
  }

  get(sellerId: string, sku: string): Listing | undefined {
    return this.core.state.listings.get(skuKey(sellerId, sku));
  }

  listFor(sellerId: string): Listing[] {
    return [...this.core.state.listings.values()].filter((l) => l.sellerId === sellerId);
  }

  newAsin(): string {
    return `B0${this.core.rng('ids').alnumUpper(8)}`;
  }

  seed(seller: Seller, item: CatalogueItem): Listing {
    const now = this.core.now();
    const marketplaceId = seller.marketplaceIds[0] ?? '';
    const currency = item.currencyCode ?? this.sim.defaultCurrency(seller);
    const attributes: Record<string, unknown[]> = {
      item_name: [{ value: item.title, language_tag: this.sim.defaultLanguage(seller), marketplace_id: marketplaceId }],
      purchasable_offer: [{ marketplace_id: marketplaceId, currency, our_price: [{ schedule: [{ value_with_tax: item.price }] }] }],
      condition_type: [{ value: 'new_new', marketplace_id: marketplaceId }],
    };
    if (item.description) attributes.product_description = [{ value: item.description, language_tag: this.sim.defaultLanguage(seller), marketplace_id: marketplaceId }];
    const fbmQuantity = item.fulfilment === 'FBA' ? 0 : item.fbmQuantity ?? 0;
    const listing: Listing = {
      sellerId: seller.sellerId,
      sku: item.sku,
      asin: item.asin ?? this.newAsin(),
      productType: item.productType,
      fulfilment: item.fulfilment,
      fnSku: item.fulfilment === 'FBM' ? undefined : `X00${this.core.rng('ids').alnumUpper(7)}`,
      conditionType: 'new_new',
      attributes,
      fbmQuantity,
      fbmAvailabilityExtras: {},
      createdAt: now,
      lastUpdatedAt: now,
      quantityHistory: [],
      pendingQuantityChanges: [],
    };
    if (item.fulfilment !== 'FBA') {
      listing.quantityHistory.push({ id: this.changeId(), source: 'seed', requestedAt: now, appliedAt: now, from: 0, to: fbmQuantity, latencyMs: 0 });
    }
    this.core.state.listings.set(skuKey(seller.sellerId, item.sku), listing);
    if (item.fulfilment !== 'FBM') this.sim.fba.seed(seller.sellerId, item.sku, item.fbaQuantity ?? 0);
    return listing;
  }

  title(listing: Listing): string {
    const v = (listing.attributes.item_name?.[0] as Record<string, unknown> | undefined)?.value;
    return typeof v === 'string' ? v : '';
  }

  description(listing: Listing): string | undefined {
    const v = (listing.attributes.product_description?.[0] as Record<string, unknown> | undefined)?.value;
    return typeof v === 'string' ? v : undefined;
  }

  price(listing: Listing): { amount: string; currencyCode: string } | undefined {
    const entry = listing.attributes.purchasable_offer?.[0];
    if (!isRecord(entry)) return undefined;
    const amount = readOfferPrice(entry);
    if (amount === undefined) return undefined;
    const seller = this.core.state.sellers.get(listing.sellerId);
    const currencyCode = typeof entry.currency === 'string' ? entry.currency : seller ? this.sim.defaultCurrency(seller) : 'GBP';
    return { amount: amount.toFixed(2), currencyCode };
  }

  hasMerchantChannel(listing: Listing): boolean {
    return listing.fulfilment !== 'FBA';
  }

  /** Listing `Item` of the 2021-08-01 model for the requested datasets. */
  render(listing: Listing, includedData: string[], marketplaceIds: string[]): Record<string, unknown> {
    const seller = this.core.state.sellers.get(listing.sellerId);
    const region: Region = seller?.region ?? 'eu';
    const item: Record<string, unknown> = { sku: listing.sku };
    const fbaAvailable = listing.fulfilment !== 'FBM' && this.sim.fba.realLevel(listing.sellerId, listing.sku) > 0;
    const buyable = (this.hasMerchantChannel(listing) && listing.fbmQuantity > 0) || fbaAvailable;
    const price = this.price(listing);
    if (includedData.includes('summaries')) {
      item.summaries = marketplaceIds.map((marketplaceId) => {
        const s: Record<string, unknown> = {
          marketplaceId,
          asin: listing.asin,
          productType: listing.productType,
          conditionType: listing.conditionType,
          status: buyable ? ['BUYABLE', 'DISCOVERABLE'] : ['DISCOVERABLE'],
          itemName: this.title(listing),
          createdDate: iso(listing.createdAt),
          lastUpdatedDate: iso(listing.lastUpdatedAt),
        };
        if (listing.fnSku) s.fnSku = listing.fnSku;
        return s;
      });
    }
    const availability: Record<string, unknown>[] = [];
    if (this.hasMerchantChannel(listing)) availability.push({ fulfillmentChannelCode: 'DEFAULT', quantity: listing.fbmQuantity });
    if (listing.fulfilment !== 'FBM') availability.push({ fulfillmentChannelCode: fbaChannelCode(region) });
    if (includedData.includes('attributes')) {
      const attributes: Record<string, unknown> = { ...listing.attributes };
      const fa: Record<string, unknown>[] = [];
      if (this.hasMerchantChannel(listing)) fa.push({ fulfillment_channel_code: 'DEFAULT', quantity: listing.fbmQuantity, ...listing.fbmAvailabilityExtras });
      if (listing.fulfilment !== 'FBM') fa.push({ fulfillment_channel_code: fbaChannelCode(region) });
      attributes.fulfillment_availability = fa;
      item.attributes = attributes;
    }
    if (includedData.includes('issues')) item.issues = [];
    if (includedData.includes('offers')) {
      item.offers = price ? marketplaceIds.map((marketplaceId) => ({ marketplaceId, offerType: 'B2C', price })) : [];
    }
    if (includedData.includes('fulfillmentAvailability')) item.fulfillmentAvailability = availability;
    if (includedData.includes('procurement')) item.procurement = [];
    if (includedData.includes('relationships')) item.relationships = marketplaceIds.map((marketplaceId) => ({ marketplaceId, relationships: [] }));
    if (includedData.includes('productTypes')) item.productTypes = marketplaceIds.map((marketplaceId) => ({ marketplaceId, productType: listing.productType }));
    return item;
  }

  /** Validates patch operations (Listings PATCH or feed PATCH message). */
  validatePatches(region: Region, patches: PatchOperation[]): { issues: ListingIssue[]; edit: ListingEdit } {
    const issues: ListingIssue[] = [];
    const edit: ListingEdit = { ops: [] };
    for (const [i, patch] of patches.entries()) {
      if (!['add', 'replace', 'merge', 'delete'].includes(patch.op)) {
        issues.push({
          code: ISSUE_CODES.invalidValue,
          message: `The provided value for 'op' of patch ${i} is invalid: ${JSON.stringify(patch.op)}. Supported operations are add, replace, merge and delete.`,
          severity: 'ERROR',
          categories: [],
        });
        continue;
      }
      const match = typeof patch.path === 'string' ? ATTRIBUTE_PATH.exec(patch.path) : null;
      if (!match || match[1] === undefined) {
        issues.push({
          code: ISSUE_CODES.invalidAttributes,
          message: `The attributes are invalid. Path ${JSON.stringify(patch.path)} must be /attributes/<top-level attribute name>.`,
          severity: 'ERROR',
          attributeNames: [String(patch.path ?? '').replace(/^\/attributes\//, '')],
          categories: [],
        });
        continue;
      }
      const attribute = match[1];
      const valueIssues = validateAttributeValue(attribute, patch.op, patch.value, region);
      if (valueIssues.length > 0) {
        issues.push(...valueIssues);
        continue;
      }
      const value = (Array.isArray(patch.value) ? patch.value : []) as Record<string, unknown>[];
      edit.ops.push({ op: patch.op as ListingEdit['ops'][number]['op'], attribute, value });
      if (attribute === 'fulfillment_availability') {
        const def = value.find((e) => e.fulfillment_channel_code === 'DEFAULT');
        if (patch.op === 'delete') {
          if (def || value.length === 0) edit.quantity = 0;
        } else if (def && typeof def.quantity === 'number') {
          edit.quantity = def.quantity;
          const { fulfillment_channel_code: _c, quantity: _q, ...extras } = def;
          edit.fbmExtras = extras;
        }
      }
    }
    return { issues, edit };
  }

  /** Validates a full attribute set (put / feed UPDATE / PARTIAL_UPDATE). */
  validateAttributes(region: Region, attributes: unknown): { issues: ListingIssue[]; edit: ListingEdit } {
    if (!isRecord(attributes)) return { issues: [invalidValueIssue('attributes', 'attributes must be an object.')], edit: { ops: [] } };
    const patches: PatchOperation[] = Object.entries(attributes).map(([name, value]) => ({ op: 'replace', path: `/attributes/${name}`, value }));
    return this.validatePatches(region, patches);
  }

  checkProductType(productType: unknown, listing: Listing | undefined): ListingIssue[] {
    if (productType === undefined || productType === null || productType === '') {
      return [{ code: ISSUE_CODES.required, message: "'productType' is required but not supplied.", severity: 'ERROR', attributeNames: [], categories: ['MISSING_ATTRIBUTE'] }];
    }
    if (typeof productType !== 'string' || !PRODUCT_TYPE.test(productType)) return [productTypeIssue(String(productType))];
    if (listing && listing.productType !== productType) return [productTypeIssue(productType, listing.productType)];
    return [];
  }

  /** Creates a listing from a put / feed UPDATE for an unknown SKU. */
  create(seller: Seller, sku: string, productType: string, edit: ListingEdit): Listing {
    const now = this.core.now();
    const hasDefault = edit.ops.some((o) => o.attribute === 'fulfillment_availability' && o.value.some((v) => v.fulfillment_channel_code === 'DEFAULT'));
    const hasAfn = edit.ops.some((o) => o.attribute === 'fulfillment_availability' && o.value.some((v) => String(v.fulfillment_channel_code).startsWith('AMAZON_')));
    const fulfilment: Fulfilment = hasAfn ? (hasDefault ? 'HYBRID' : 'FBA') : 'FBM';
    const suggested = edit.ops.find((o) => o.attribute === 'merchant_suggested_asin')?.value[0]?.value;
    const listing: Listing = {
      sellerId: seller.sellerId,
      sku,
      asin: typeof suggested === 'string' ? suggested : this.newAsin(),
      productType,
      fulfilment,
      fnSku: fulfilment === 'FBM' ? undefined : `X00${this.core.rng('ids').alnumUpper(7)}`,
      conditionType: 'new_new',
      attributes: {},
      fbmQuantity: 0,
      fbmAvailabilityExtras: {},
      createdAt: now,
      lastUpdatedAt: now,
      quantityHistory: [],
      pendingQuantityChanges: [],
    };
    this.core.state.listings.set(skuKey(seller.sellerId, sku), listing);
    if (fulfilment !== 'FBM') this.sim.fba.seed(seller.sellerId, sku, 0);
    return listing;
  }

  delete(listing: Listing): void {
    this.core.state.listings.delete(skuKey(listing.sellerId, listing.sku));
  }

  /** Applies the non-quantity part of an edit now. */
  applyAttributes(listing: Listing, edit: ListingEdit, replaceAll: boolean): void {
    if (replaceAll) {
      const kept: Record<string, unknown[]> = {};
      for (const o of edit.ops) if (o.attribute !== 'fulfillment_availability') kept[o.attribute] = o.value;
      listing.attributes = kept;
    } else {
      for (const o of edit.ops) {
        if (o.attribute === 'fulfillment_availability') continue;
        if (o.op === 'delete') {
          if (o.value.length === 0) delete listing.attributes[o.attribute];
          else {
            const left = (listing.attributes[o.attribute] ?? []).filter((e) => !(isRecord(e) && o.value.some((v) => sameSelectors(e, v))));
            if (left.length > 0) listing.attributes[o.attribute] = left;
            else delete listing.attributes[o.attribute];
          }
        } else if (o.op === 'merge') {
          const current = [...(listing.attributes[o.attribute] ?? [])] as Record<string, unknown>[];
          for (const v of o.value) {
            const i = current.findIndex((e) => isRecord(e) && sameSelectors(e, v));
            if (i >= 0) current[i] = { ...current[i], ...v };
            else current.push(v);
          }
          listing.attributes[o.attribute] = current;
        } else {
          listing.attributes[o.attribute] = o.value;
        }
      }
    }
    if (edit.fbmExtras) listing.fbmAvailabilityExtras = edit.fbmExtras;
    listing.lastUpdatedAt = this.core.now();
  }

  private changeId(): string {
    return `qc-${this.core.nextSerial()}`;
  }

  /**
   * Asks for a new DEFAULT quantity. It becomes visible after `delayMs` — or, if a feed touching
   * the SKU is still IN_QUEUE/IN_PROGRESS, only when that feed finishes (the guide's collision).
   */
  requestQuantity(listing: Listing, quantity: number, source: QuantityChangeSource, delayMs: number, refs: { submissionId?: string; feedId?: string } = {}): PendingQuantityChange {
    const change: PendingQuantityChange = { id: this.changeId(), source, requestedAt: this.core.now(), quantity, ...refs };
    listing.pendingQuantityChanges.push(change);
    if (!this.blockIfColliding(listing, change)) {
      this.core.after(delayMs, `apply quantity ${listing.sku}`, () => {
        if (!listing.pendingQuantityChanges.includes(change) || change.blockedByFeedId) return;
        if (!this.blockIfColliding(listing, change)) this.applyPending(listing, change);
      });
    }
    return change;
  }

  private blockIfColliding(listing: Listing, change: PendingQuantityChange): boolean {
    const feed = this.sim.feeds.pendingFeedTouching(listing.sellerId, listing.sku, change.feedId);
    if (!feed) return false;
    change.blockedByFeedId = feed.feedId;
    this.sim.feeds.collide(feed, listing.sku, change);
    return true;
  }

  /** Called by a feed when it finishes: changes it blocked may now apply (or wait for the next feed). */
  releaseBlocked(feedId: string, changeIds: string[]): void {
    for (const listing of this.core.state.listings.values()) {
      for (const change of [...listing.pendingQuantityChanges]) {
        if (!changeIds.includes(change.id) || change.blockedByFeedId !== feedId) continue;
        const delayedBy = change.blockedByFeedId;
        change.blockedByFeedId = undefined;
        if (!this.blockIfColliding(listing, change)) this.applyPending(listing, change, delayedBy);
      }
    }
  }

  private applyPending(listing: Listing, change: PendingQuantityChange, delayedByFeedId?: string): void {
    listing.pendingQuantityChanges = listing.pendingQuantityChanges.filter((c) => c !== change);
    this.applyQuantityNow(listing, change.quantity, change.source, change.requestedAt, {
      submissionId: change.submissionId,
      feedId: change.feedId,
      delayedByFeedId,
    });
  }

  /** Sets the visible quantity immediately and records it. */
  applyQuantityNow(
    listing: Listing,
    to: number,
    source: QuantityChangeSource,
    requestedAt: number,
    refs: { submissionId?: string; feedId?: string; orderId?: string; delayedByFeedId?: string } = {},
  ): QuantityChange {
    const now = this.core.now();
    const record: QuantityChange = {
      id: this.changeId(),
      source,
      requestedAt,
      appliedAt: now,
      from: listing.fbmQuantity,
      to,
      latencyMs: now - requestedAt,
    };
    for (const [k, v] of Object.entries(refs)) if (v !== undefined) (record as unknown as Record<string, unknown>)[k] = v;
    listing.fbmQuantity = to;
    if (listing.fulfilment === 'FBA' && source !== 'order' && source !== 'order-cancel') listing.fulfilment = 'HYBRID';
    listing.lastUpdatedAt = now;
    listing.quantityHistory.push(record);
    return record;
  }

  /** FBM order placed (negative) or cancelled (positive): Amazon adjusts the listing at once. */
  adjustForOrder(listing: Listing, delta: number, orderId: string, source: 'order' | 'order-cancel'): void {
    const to = Math.max(0, listing.fbmQuantity + delta);
    this.applyQuantityNow(listing, to, source, this.core.now(), { orderId });
  }

  /** Control API read-back. */
  readBack(listing: Listing): Record<string, unknown> {
    return {
      sellerId: listing.sellerId,
      sku: listing.sku,
      asin: listing.asin,
      fnSku: listing.fnSku,
      productType: listing.productType,
      fulfilment: listing.fulfilment,
      quantity: listing.fbmQuantity,
      title: this.title(listing),
      description: this.description(listing),
      price: this.price(listing),
      attributes: listing.attributes,
      createdAt: iso(listing.createdAt),
      lastUpdatedAt: iso(listing.lastUpdatedAt),
      quantityHistory: listing.quantityHistory.map((c) => ({ ...c, requestedAt: iso(c.requestedAt), appliedAt: iso(c.appliedAt), latencySeconds: c.latencyMs / 1000 })),
      pendingQuantityChanges: listing.pendingQuantityChanges.map((c) => ({ ...c, requestedAt: iso(c.requestedAt) })),
    };
  }
}
