import { iso, parseIsoDateTime, DAY, MINUTE, SECOND } from './clock';
import type { AmazonSimulator } from './simulator';
import { ApiError, accessDenied, invalidInput, notFound } from './api-error';
import type { CallerContext } from './auth';
import { marketplace, type Region } from './marketplaces';
import {
  FBA_INVENTORY_ROLES, FEEDS_ROLES, JSON_LISTINGS_FEED_ROLES, LISTINGS_ROLES, ORDERS_READ_ROLES, REPORT_TYPE_ROLES,
  SHIPMENT_ROLES, BUYER_ROLES, RECIPIENT_ROLES, hasAnyRole,
} from './roles';
import { SUPPORTED_FEED_TYPES } from './feeds';
import { SUPPORTED_REPORT_TYPES } from './reports';
import { unknownSkuIssue, type ListingIssue, type PatchOperation } from './listings';
import type { Listing, Seller } from './state';

/** Parsed, model-checked inputs of one SP-API call. */
export interface OperationContext {
  sim: AmazonSimulator;
  caller: CallerContext;
  /** The calling seller (seller-authorised operations only). */
  seller: Seller;
  region: Region;
  method: string;
  path: string;
  pathParams: Record<string, string>;
  /** Query parameters typed per the model (arrays split on commas). */
  params: Record<string, unknown>;
  body: unknown;
}

export interface OperationResult {
  status: number;
  /** JSON body; undefined means an empty body. */
  body?: unknown;
}

export interface SpApiOperation {
  /** Stable key used in stats, faults and rate-limit buckets, e.g. `orders.searchOrders`. */
  key: string;
  model: string;
  operationId: string;
  /** Seller-authorised (LWA refresh token) or grantless (client_credentials) access. */
  auth: 'seller' | 'grantless';
  /** Any one of these roles grants the operation (seller operations). */
  roles?: readonly string[];
  /** Validate the JSON body against the model before the handler (400 on failure). */
  validateBody: boolean;
  handler: (ctx: OperationContext) => OperationResult;
}

const MALFORMED = 'Request has missing or invalid parameters and cannot be parsed.';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function list(v: unknown): string[] | undefined {
  return Array.isArray(v) ? (v as string[]) : undefined;
}

function grantedRoles(ctx: OperationContext): Set<string> {
  return new Set(ctx.caller.authorisation?.roles ?? []);
}

/** marketplaceIds must belong to the caller's region and participations; 400 naming the culprit. */
export function checkMarketplaces(ctx: OperationContext, ids: readonly string[], param = 'marketplaceIds'): void {
  for (const id of ids) {
    const mp = marketplace(id);
    if (!mp) throw invalidInput(`Invalid ${param}: ${id} is not a valid marketplace identifier.`, id);
    if (mp.region !== ctx.region) throw invalidInput(`Invalid ${param}: ${id} (${mp.name}) is not available in the ${ctx.region.toUpperCase()} region endpoint.`, id);
    if (!ctx.seller.marketplaceIds.includes(id)) throw invalidInput(`Invalid ${param}: the selling partner does not participate in marketplace ${id} (${mp.name}).`, id);
  }
}

function dateParam(ctx: OperationContext, name: string): number | undefined {
  const v = str(ctx.params[name]);
  if (v === undefined) return undefined;
  const ms = parseIsoDateTime(v);
  if (ms === undefined) throw invalidInput(`Invalid ${name}: ${v} is not an ISO 8601 date-time.`);
  return ms;
}

/** Stores a pagination page, dropping expired ones so long benchmarks do not grow without bound. */
function remember<T extends { expiresAt: number }>(pages: Map<string, T>, token: string, page: T, now: number): void {
  if (pages.size >= 500) for (const [k, p] of pages) if (p.expiresAt <= now) pages.delete(k);
  pages.set(token, page);
}

function opaqueToken(ctx: OperationContext): string {
  return Buffer.from(`${ctx.sim.core.rng('tokens').hex(24)}:${ctx.sim.core.nextSerial()}`).toString('base64').replace(/=+$/, '');
}

// ---- Orders -------------------------------------------------------------------------------------

const ORDER_PAGE_TTL = DAY;

function searchOrders(ctx: OperationContext): OperationResult {
  const { sim } = ctx;
  const now = sim.core.now();
  const createdAfter = dateParam(ctx, 'createdAfter');
  const createdBefore = dateParam(ctx, 'createdBefore');
  const updatedAfter = dateParam(ctx, 'lastUpdatedAfter');
  const updatedBefore = dateParam(ctx, 'lastUpdatedBefore');
  if ((createdAfter === undefined) === (updatedAfter === undefined)) {
    throw invalidInput('Exactly one of createdAfter and lastUpdatedAfter must be provided.');
  }
  if (createdAfter !== undefined && (updatedAfter !== undefined || updatedBefore !== undefined)) {
    throw invalidInput('lastUpdatedAfter and lastUpdatedBefore cannot be provided together with createdAfter.');
  }
  if (updatedAfter !== undefined && createdBefore !== undefined) {
    throw invalidInput('createdBefore cannot be provided together with lastUpdatedAfter.');
  }
  const byCreated = createdAfter !== undefined;
  const after = (byCreated ? createdAfter : updatedAfter) as number;
  const givenBefore = byCreated ? createdBefore : updatedBefore;
  const beforeName = byCreated ? 'createdBefore' : 'lastUpdatedBefore';
  if (givenBefore !== undefined) {
    if (givenBefore < after) throw invalidInput(`${beforeName} must be equal to or after ${byCreated ? 'createdAfter' : 'lastUpdatedAfter'}.`);
    if (givenBefore > now - 2 * MINUTE) throw invalidInput(`${beforeName} must be at least two minutes before the time of the request.`);
  }
  if (after > now) throw invalidInput(`${byCreated ? 'createdAfter' : 'lastUpdatedAfter'} must not be in the future.`);
  // Without an explicit upper bound the window ends two minutes ago, and the response says so.
  const before = givenBefore ?? now - 2 * MINUTE;
  const maxResults = ctx.params.maxResultsPerPage === undefined ? 100 : (ctx.params.maxResultsPerPage as number);
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) throw invalidInput('maxResultsPerPage must be between 1 and 100.');
  const marketplaceIds = list(ctx.params.marketplaceIds);
  if (marketplaceIds) checkMarketplaces(ctx, marketplaceIds);
  const statuses = list(ctx.params.fulfillmentStatuses);
  const fulfilledBy = list(ctx.params.fulfilledBy);
  const included = new Set(list(ctx.params.includedData) ?? []);

  const { paginationToken, maxResultsPerPage: _m, includedData: _i, ...rest } = ctx.params;
  const queryKey = JSON.stringify(Object.keys(rest).sort().map((k) => [k, rest[k]]));
  let orderIds: string[];
  let offset = 0;
  let echo: Record<string, string>;
  if (paginationToken !== undefined) {
    const page = sim.state.orderPages.get(String(paginationToken));
    if (!page || page.sellerId !== ctx.seller.sellerId) throw invalidInput('Invalid paginationToken.');
    if (page.expiresAt <= now) throw invalidInput('The paginationToken has expired (tokens are valid for 24 hours). Start again without it.');
    if (page.queryKey !== queryKey) throw invalidInput('When paginationToken is provided, all other parameters except maxResultsPerPage and includedData must have the values of the original request.');
    orderIds = page.orderIds;
    offset = page.offset;
    echo = page.echo as Record<string, string>;
  } else {
    const field = byCreated ? 'createdAt' : 'lastUpdatedAt';
    orderIds = [...sim.state.orders.values()]
      .filter(
        (o) =>
          sim.orders.visibleTo(o, ctx.seller.sellerId) &&
          o[field] >= after &&
          o[field] <= before &&
          (!statuses || statuses.includes(o.status)) &&
          (!fulfilledBy || fulfilledBy.includes(o.fulfilledBy)) &&
          (!marketplaceIds || marketplaceIds.includes(o.marketplaceId)),
      )
      .sort((a, b) => a[field] - b[field] || (a.orderId < b.orderId ? -1 : 1))
      .map((o) => o.orderId);
    echo = { [beforeName]: iso(before) };
  }
  const roles = grantedRoles(ctx);
  const pageIds = orderIds.slice(offset, offset + maxResults);
  const orders = pageIds.map((id) => sim.orders.get(id)).filter((o): o is NonNullable<typeof o> => o !== undefined).map((o) => sim.orders.render(o, included, roles));
  const body: Record<string, unknown> = { orders, ...echo };
  if (offset + maxResults < orderIds.length) {
    const token = opaqueToken(ctx);
    remember(sim.state.orderPages, token, { token, sellerId: ctx.seller.sellerId, queryKey, orderIds, offset: offset + maxResults, expiresAt: now + ORDER_PAGE_TTL, echo }, now);
    body.pagination = { nextToken: token };
  }
  return { status: 200, body };
}

function getOrder(ctx: OperationContext): OperationResult {
  const order = ctx.sim.orders.findForCaller(ctx.pathParams.orderId ?? '', ctx.seller.sellerId);
  const included = new Set(list(ctx.params.includedData) ?? []);
  return { status: 200, body: { order: ctx.sim.orders.render(order, included, grantedRoles(ctx)) } };
}

function confirmShipment(ctx: OperationContext): OperationResult {
  const order = ctx.sim.orders.findForCaller(ctx.pathParams.orderId ?? '', ctx.seller.sellerId);
  ctx.sim.orders.confirmShipment(order, ctx.body as Record<string, unknown>);
  return { status: 204 };
}

function updateShipmentStatus(ctx: OperationContext): OperationResult {
  const order = ctx.sim.orders.findForCaller(ctx.pathParams.orderId ?? '', ctx.seller.sellerId);
  ctx.sim.orders.updateShipmentStatus(order, ctx.body as Record<string, unknown>);
  return { status: 204 };
}

// ---- FBA inventory ------------------------------------------------------------------------------

const INVENTORY_PAGE_SIZE = 50;
const INVENTORY_TOKEN_TTL = 30 * SECOND;

function getInventorySummaries(ctx: OperationContext): OperationResult {
  const { sim } = ctx;
  const now = sim.core.now();
  const granularityId = String(ctx.params.granularityId);
  const marketplaceIds = list(ctx.params.marketplaceIds) ?? [];
  checkMarketplaces(ctx, [granularityId], 'granularityId');
  checkMarketplaces(ctx, marketplaceIds);
  if (marketplaceIds[0] !== granularityId) throw invalidInput(`marketplaceIds (${marketplaceIds.join(',')}) must equal granularityId (${granularityId}) for granularityType Marketplace.`);
  const details = ctx.params.details === true;
  const startDateTime = str(ctx.params.startDateTime);
  const start = dateParam(ctx, 'startDateTime');
  if (start !== undefined && start < now - 548 * DAY) throw invalidInput('startDateTime cannot be more than 18 months in the past.');
  const nextToken = str(ctx.params.nextToken);
  const queryKey = JSON.stringify([granularityId, details, startDateTime, ctx.params.sellerSkus, ctx.params.sellerSku]);

  let skus: string[];
  let offset = 0;
  if (nextToken !== undefined) {
    const page = sim.state.inventoryPages.get(nextToken);
    if (!page || page.sellerId !== ctx.seller.sellerId) throw invalidInput('Invalid nextToken.');
    if (page.expiresAt <= now) throw invalidInput('The nextToken has expired: it is valid for 30 seconds. Start again without nextToken.');
    if (page.startDateTime !== undefined && page.startDateTime !== startDateTime) throw invalidInput('startDateTime must be repeated with the same value on every page when nextToken is used.');
    skus = page.skus;
    offset = page.offset;
  } else {
    const stocks = sim.fba.stocksOf(ctx.seller.sellerId).filter((s) => sim.listings.get(s.sellerId, s.sku) !== undefined);
    if (start !== undefined) {
      skus = stocks.filter((s) => sim.fba.reported(s).lastUpdatedAt >= start).map((s) => s.sku);
    } else if (list(ctx.params.sellerSkus)) {
      const wanted = list(ctx.params.sellerSkus) as string[];
      skus = wanted.filter((sku) => stocks.some((s) => s.sku === sku));
    } else if (str(ctx.params.sellerSku) !== undefined) {
      skus = stocks.filter((s) => s.sku === ctx.params.sellerSku).map((s) => s.sku);
    } else {
      skus = stocks.map((s) => s.sku);
    }
  }
  const summaries = skus.slice(offset, offset + INVENTORY_PAGE_SIZE).flatMap((sku) => {
    const stock = sim.fba.get(ctx.seller.sellerId, sku);
    const listing = sim.listings.get(ctx.seller.sellerId, sku);
    if (!stock || !listing) return [];
    const reported = sim.fba.reported(stock);
    const summary: Record<string, unknown> = {
      asin: listing.asin,
      fnSku: listing.fnSku ?? '',
      sellerSku: sku,
      condition: 'NewItem',
      lastUpdatedTime: iso(reported.lastUpdatedAt),
      productName: sim.listings.title(listing),
      totalQuantity: reported.level + stock.unfulfillable,
    };
    if (details) {
      summary.inventoryDetails = {
        fulfillableQuantity: reported.level,
        inboundWorkingQuantity: 0,
        inboundShippedQuantity: 0,
        inboundReceivingQuantity: 0,
        reservedQuantity: { totalReservedQuantity: 0, pendingCustomerOrderQuantity: 0, pendingTransshipmentQuantity: 0, fcProcessingQuantity: 0 },
        researchingQuantity: { totalResearchingQuantity: 0, researchingQuantityBreakdown: [] },
        unfulfillableQuantity: {
          totalUnfulfillableQuantity: stock.unfulfillable,
          customerDamagedQuantity: stock.unfulfillable,
          warehouseDamagedQuantity: 0,
          distributorDamagedQuantity: 0,
          carrierDamagedQuantity: 0,
          defectiveQuantity: 0,
          expiredQuantity: 0,
        },
      };
    }
    return [summary];
  });
  const body: Record<string, unknown> = {
    payload: { granularity: { granularityType: 'Marketplace', granularityId }, inventorySummaries: summaries },
  };
  if (offset + INVENTORY_PAGE_SIZE < skus.length) {
    const token = opaqueToken(ctx);
    remember(sim.state.inventoryPages, token, { token, sellerId: ctx.seller.sellerId, queryKey, skus, offset: offset + INVENTORY_PAGE_SIZE, expiresAt: now + INVENTORY_TOKEN_TTL, startDateTime }, now);
    body.pagination = { nextToken: token };
  }
  return { status: 200, body };
}

// ---- Listings -----------------------------------------------------------------------------------

function ownListingPath(ctx: OperationContext): { sku: string } {
  if (ctx.pathParams.sellerId !== ctx.seller.sellerId) throw accessDenied('');
  return { sku: ctx.pathParams.sku ?? '' };
}

function getListingsItem(ctx: OperationContext): OperationResult {
  const { sku } = ownListingPath(ctx);
  const marketplaceIds = list(ctx.params.marketplaceIds) ?? [];
  checkMarketplaces(ctx, marketplaceIds);
  const listing = ctx.sim.listings.get(ctx.seller.sellerId, sku);
  if (!listing) throw new ApiError(404, 'NOT_FOUND', `SKU '${sku}' not found in marketplace ${marketplaceIds.join(',')}`);
  const included = list(ctx.params.includedData) ?? ['summaries'];
  return { status: 200, body: ctx.sim.listings.render(listing, included, marketplaceIds) };
}

function submission(ctx: OperationContext, sku: string, issues: ListingIssue[], listing: Listing | undefined): { status: string; submissionId: string; body: Record<string, unknown> } {
  const preview = ctx.params.mode === 'VALIDATION_PREVIEW';
  const invalid = issues.some((i) => i.severity === 'ERROR');
  const status = invalid ? 'INVALID' : preview ? 'VALID' : 'ACCEPTED';
  const submissionId = ctx.sim.core.rng('ids').hex(32);
  const included = list(ctx.params.includedData) ?? ['issues'];
  const body: Record<string, unknown> = { sku, status, submissionId };
  if (included.includes('issues')) body.issues = issues;
  if (included.includes('identifiers') && preview && listing) {
    body.identifiers = (list(ctx.params.marketplaceIds) ?? []).map((marketplaceId) => ({ marketplaceId, asin: listing.asin }));
  }
  return { status, submissionId, body };
}

function patchListingsItem(ctx: OperationContext): OperationResult {
  const { sku } = ownListingPath(ctx);
  const marketplaceIds = list(ctx.params.marketplaceIds) ?? [];
  checkMarketplaces(ctx, marketplaceIds);
  const body = ctx.body;
  if (!isRecord(body) || !Array.isArray(body.patches) || body.patches.length === 0 || !body.patches.every(isRecord)) {
    throw invalidInput(MALFORMED, 'The body must be an object with a non-empty "patches" array of patch operations.');
  }
  const { sim } = ctx;
  const listing = sim.listings.get(ctx.seller.sellerId, sku);
  let issues: ListingIssue[] = [];
  let edit: ReturnType<typeof sim.listings.validatePatches>['edit'] | undefined;
  if (!listing) {
    issues = [...sim.listings.checkProductType(body.productType, undefined), unknownSkuIssue(sku, marketplaceIds)];
  } else {
    issues = sim.listings.checkProductType(body.productType, listing);
    const validated = sim.listings.validatePatches(ctx.seller.region, body.patches as unknown as PatchOperation[]);
    issues.push(...validated.issues);
    edit = validated.edit;
  }
  const result = submission(ctx, sku, issues, listing);
  if (result.status === 'ACCEPTED' && listing && edit) {
    const accepted = edit;
    const delay = sim.core.options.listingApplyMs;
    if (accepted.ops.some((o) => o.attribute !== 'fulfillment_availability') || accepted.fbmExtras) {
      sim.core.after(delay, `apply patch ${result.submissionId}`, () => {
        if (sim.listings.get(listing.sellerId, listing.sku) === listing) sim.listings.applyAttributes(listing, accepted, false);
      });
    }
    if (accepted.quantity !== undefined) sim.listings.requestQuantity(listing, accepted.quantity, 'patch', delay, { submissionId: result.submissionId });
  }
  return { status: 200, body: result.body };
}

function putListingsItem(ctx: OperationContext): OperationResult {
  const { sku } = ownListingPath(ctx);
  const marketplaceIds = list(ctx.params.marketplaceIds) ?? [];
  checkMarketplaces(ctx, marketplaceIds);
  const body = ctx.body;
  if (!isRecord(body) || !isRecord(body.attributes)) throw invalidInput(MALFORMED, 'The body must be an object with "productType" and an "attributes" object.');
  const { sim } = ctx;
  const listing = sim.listings.get(ctx.seller.sellerId, sku);
  const issues = sim.listings.checkProductType(body.productType, listing);
  if (body.requirements !== undefined && !['LISTING', 'LISTING_PRODUCT_ONLY', 'LISTING_OFFER_ONLY'].includes(String(body.requirements))) {
    issues.push({ code: '4000001', message: `The provided value for 'requirements' is invalid: ${JSON.stringify(body.requirements)}.`, severity: 'ERROR', categories: [] });
  }
  const validated = sim.listings.validateAttributes(ctx.seller.region, body.attributes);
  issues.push(...validated.issues);
  const result = submission(ctx, sku, issues, listing);
  if (result.status === 'ACCEPTED') {
    const edit = validated.edit;
    const seller = ctx.seller;
    const delay = sim.core.options.listingApplyMs;
    const productType = String(body.productType);
    sim.core.after(delay, `apply put ${result.submissionId}`, () => {
      const target = sim.listings.get(seller.sellerId, sku) ?? sim.listings.create(seller, sku, productType, edit);
      sim.listings.applyAttributes(target, edit, true);
      if (edit.quantity !== undefined) sim.listings.requestQuantity(target, edit.quantity, 'put', 0, { submissionId: result.submissionId });
    });
  }
  return { status: 200, body: result.body };
}

// ---- Feeds --------------------------------------------------------------------------------------

function createFeedDocument(ctx: OperationContext): OperationResult {
  const body = ctx.body as { contentType: string };
  if (body.contentType.trim() === '') throw invalidInput('contentType must not be empty.');
  return { status: 201, body: ctx.sim.feeds.createFeedDocument(ctx.seller, body.contentType) };
}

function createFeed(ctx: OperationContext): OperationResult {
  const body = ctx.body as { feedType: string; marketplaceIds: string[]; inputFeedDocumentId: string; feedOptions?: Record<string, string> };
  if (!SUPPORTED_FEED_TYPES.includes(body.feedType)) {
    throw invalidInput(`Invalid feedType: ${body.feedType}. The simulator processes ${SUPPORTED_FEED_TYPES.join(', ')} only.`);
  }
  if (!hasAnyRole(grantedRoles(ctx), JSON_LISTINGS_FEED_ROLES)) throw accessDenied('');
  checkMarketplaces(ctx, body.marketplaceIds);
  const feed = ctx.sim.feeds.create(ctx.caller, ctx.seller, body);
  return { status: 202, body: { feedId: feed.feedId } };
}

function getFeed(ctx: OperationContext): OperationResult {
  return { status: 200, body: ctx.sim.feeds.render(ctx.sim.feeds.forCaller(ctx.caller, ctx.pathParams.feedId ?? '')) };
}

function cancelFeed(ctx: OperationContext): OperationResult {
  ctx.sim.feeds.cancel(ctx.sim.feeds.forCaller(ctx.caller, ctx.pathParams.feedId ?? ''));
  return { status: 200 };
}

function getFeedDocument(ctx: OperationContext): OperationResult {
  return { status: 200, body: ctx.sim.feeds.getFeedDocument(ctx.seller, ctx.pathParams.feedDocumentId ?? '') };
}

/** getFeeds / getReports: `nextToken` alone, or a type filter. */
function listPage<T>(ctx: OperationContext, typesParam: string, find: (filter: { types: string[]; marketplaceIds?: string[]; processingStatuses?: string[]; createdSince?: number; createdUntil?: number }) => { id: string; item: T }[], render: (id: string) => unknown, key: string): OperationResult {
  const { sim } = ctx;
  const now = sim.core.now();
  const nextToken = str(ctx.params.nextToken);
  let ids: string[];
  let offset = 0;
  let pageSize = (ctx.params.pageSize as number | undefined) ?? 10;
  if (nextToken !== undefined) {
    const others = Object.keys(ctx.params).filter((k) => k !== 'nextToken');
    if (others.length > 0) throw invalidInput(`nextToken must be sent alone; remove ${others.join(', ')}.`);
    const page = sim.state.listPages.get(nextToken);
    if (!page || page.sellerId !== ctx.seller.sellerId) throw invalidInput('Invalid nextToken.');
    if (page.expiresAt <= now) throw invalidInput('The nextToken has expired.');
    ids = page.ids;
    offset = page.offset;
    pageSize = page.pageSize;
  } else {
    const types = list(ctx.params[typesParam]);
    if (!types) throw invalidInput(`${typesParam} or nextToken is required.`);
    const marketplaceIds = list(ctx.params.marketplaceIds);
    if (marketplaceIds) checkMarketplaces(ctx, marketplaceIds);
    const createdSince = dateParam(ctx, 'createdSince');
    const createdUntil = dateParam(ctx, 'createdUntil');
    if (createdSince !== undefined && createdUntil !== undefined && createdUntil < createdSince) throw invalidInput('createdUntil must be after createdSince.');
    ids = find({ types, marketplaceIds, processingStatuses: list(ctx.params.processingStatuses), createdSince, createdUntil }).map((e) => e.id);
  }
  const body: Record<string, unknown> = { [key]: ids.slice(offset, offset + pageSize).map(render) };
  if (offset + pageSize < ids.length) {
    const token = opaqueToken(ctx);
    remember(sim.state.listPages, token, { token, sellerId: ctx.seller.sellerId, ids, offset: offset + pageSize, pageSize, expiresAt: now + DAY }, now);
    body.nextToken = token;
  }
  return { status: 200, body };
}

function getFeeds(ctx: OperationContext): OperationResult {
  const feeds = ctx.sim.feeds;
  return listPage(
    ctx,
    'feedTypes',
    (f) => feeds.list(ctx.seller.sellerId, { ...f, feedTypes: f.types }).map((feed) => ({ id: feed.feedId, item: feed })),
    (id) => feeds.render(feeds.get(id) as NonNullable<ReturnType<typeof feeds.get>>),
    'feeds',
  );
}

// ---- Reports ------------------------------------------------------------------------------------

function createReport(ctx: OperationContext): OperationResult {
  const body = ctx.body as { reportType: string; marketplaceIds: string[]; dataStartTime?: string; dataEndTime?: string; reportOptions?: Record<string, string> };
  if (!SUPPORTED_REPORT_TYPES.includes(body.reportType)) {
    throw invalidInput(`Invalid reportType: ${body.reportType}. The simulator generates ${SUPPORTED_REPORT_TYPES.join(', ')}.`);
  }
  if (!hasAnyRole(grantedRoles(ctx), REPORT_TYPE_ROLES[body.reportType] ?? [])) throw accessDenied('');
  checkMarketplaces(ctx, body.marketplaceIds);
  const now = ctx.sim.core.now();
  const start = body.dataStartTime !== undefined ? parseIsoDateTime(body.dataStartTime) : undefined;
  const end = body.dataEndTime !== undefined ? parseIsoDateTime(body.dataEndTime) : undefined;
  if (start !== undefined && start > now) throw invalidInput('dataStartTime must not be in the future.');
  if (end !== undefined && end > now) throw invalidInput('dataEndTime must not be in the future.');
  if (start !== undefined && end !== undefined && end < start) throw invalidInput('dataEndTime must be after dataStartTime.');
  const report = ctx.sim.reports.create(ctx.seller, { ...body, dataStartTime: start, dataEndTime: end });
  return { status: 202, body: { reportId: report.reportId } };
}

function getReport(ctx: OperationContext): OperationResult {
  return { status: 200, body: ctx.sim.reports.render(ctx.sim.reports.forCaller(ctx.caller, ctx.pathParams.reportId ?? '')) };
}

function cancelReport(ctx: OperationContext): OperationResult {
  ctx.sim.reports.cancel(ctx.sim.reports.forCaller(ctx.caller, ctx.pathParams.reportId ?? ''));
  return { status: 200 };
}

function getReports(ctx: OperationContext): OperationResult {
  const reports = ctx.sim.reports;
  return listPage(
    ctx,
    'reportTypes',
    (f) => reports.list(ctx.seller.sellerId, { ...f, reportTypes: f.types }).map((r) => ({ id: r.reportId, item: r })),
    (id) => reports.render(ctx.sim.state.reports.get(id) as NonNullable<ReturnType<typeof ctx.sim.state.reports.get>>),
    'reports',
  );
}

function getReportDocument(ctx: OperationContext): OperationResult {
  return { status: 200, body: ctx.sim.reports.getReportDocument(ctx.seller, ctx.pathParams.reportDocumentId ?? '') };
}

// ---- Tokens, Sellers ----------------------------------------------------------------------------

const DATA_ELEMENTS: Record<string, readonly string[]> = {
  buyerInfo: BUYER_ROLES,
  buyerTaxInformation: BUYER_ROLES,
  shippingAddress: RECIPIENT_ROLES,
};

function createRestrictedDataToken(ctx: OperationContext): OperationResult {
  const body = ctx.body as { restrictedResources: { method: string; path: string; dataElements?: string[] }[] };
  if (body.restrictedResources.length === 0 || body.restrictedResources.length > 50) throw invalidInput('restrictedResources must contain between 1 and 50 resources.');
  const roles = grantedRoles(ctx);
  for (const [i, r] of body.restrictedResources.entries()) {
    if (!r.path.startsWith('/')) throw invalidInput(`restrictedResources[${i}].path must be an SP-API path starting with "/".`);
    for (const element of r.dataElements ?? []) {
      const needed = DATA_ELEMENTS[element];
      if (!needed) throw invalidInput(`restrictedResources[${i}].dataElements: unknown data element ${element} (use buyerInfo, shippingAddress or buyerTaxInformation).`);
      if (!hasAnyRole(roles, needed)) throw accessDenied(`Application does not have access to one or more requested data elements: ${element}`);
    }
  }
  const token = ctx.sim.auth.issueRestrictedDataToken(ctx.caller, body.restrictedResources.map((r) => ({ ...r })));
  return { status: 200, body: { restrictedDataToken: token.token, expiresIn: Math.round((token.expiresAt - ctx.sim.core.now()) / 1000) } };
}

function getMarketplaceParticipations(ctx: OperationContext): OperationResult {
  const payload = ctx.seller.marketplaceIds.map((id) => {
    const mp = marketplace(id);
    return {
      marketplace: {
        id,
        name: mp?.name ?? id,
        countryCode: mp?.countryCode ?? 'GB',
        defaultCurrencyCode: mp?.defaultCurrencyCode ?? 'GBP',
        defaultLanguageCode: mp?.defaultLanguageCode ?? 'en_GB',
        domainName: mp?.domainName ?? '',
      },
      participation: { isParticipating: true, hasSuspendedListings: false },
      storeName: ctx.seller.storeName,
    };
  });
  return { status: 200, body: { payload } };
}

// ---- Notifications ------------------------------------------------------------------------------

function createDestination(ctx: OperationContext): OperationResult {
  const d = ctx.sim.notifications.createDestination(ctx.caller, ctx.body as Record<string, unknown>);
  return { status: 200, body: { payload: ctx.sim.notifications.renderDestination(d) } };
}

function getDestinations(ctx: OperationContext): OperationResult {
  return { status: 200, body: { payload: ctx.sim.notifications.destinationsOf(ctx.caller).map((d) => ctx.sim.notifications.renderDestination(d)) } };
}

function getDestination(ctx: OperationContext): OperationResult {
  return { status: 200, body: { payload: ctx.sim.notifications.renderDestination(ctx.sim.notifications.destination(ctx.caller, ctx.pathParams.destinationId ?? '')) } };
}

function deleteDestination(ctx: OperationContext): OperationResult {
  ctx.sim.notifications.deleteDestination(ctx.caller, ctx.pathParams.destinationId ?? '');
  return { status: 200, body: {} };
}

function createSubscription(ctx: OperationContext): OperationResult {
  const s = ctx.sim.notifications.createSubscription(ctx.caller, ctx.pathParams.notificationType ?? '', ctx.body as Record<string, unknown>);
  return { status: 200, body: { payload: ctx.sim.notifications.renderSubscription(s) } };
}

function getSubscription(ctx: OperationContext): OperationResult {
  const type = ctx.pathParams.notificationType ?? '';
  ctx.sim.notifications.checkType(type);
  const s = ctx.sim.notifications.find(ctx.caller, type);
  if (!s) throw notFound(`No subscription for ${type} exists for this selling partner and application.`);
  return { status: 200, body: { payload: ctx.sim.notifications.renderSubscription(s) } };
}

function getSubscriptions(ctx: OperationContext): OperationResult {
  const types = list(ctx.params.notificationTypes) ?? [];
  const pageSize = (ctx.params.pageSize as number | undefined) ?? 30;
  const all = types.flatMap((t) => {
    ctx.sim.notifications.checkType(t);
    const s = ctx.sim.notifications.find(ctx.caller, t);
    return s ? [ctx.sim.notifications.renderSubscription(s)] : [];
  });
  return { status: 200, body: { payload: { subscriptions: all.slice(0, pageSize) } } };
}

function getSubscriptionById(ctx: OperationContext): OperationResult {
  const s = ctx.sim.notifications.byId(ctx.caller, ctx.pathParams.notificationType ?? '', ctx.pathParams.subscriptionId ?? '');
  return { status: 200, body: { payload: ctx.sim.notifications.renderSubscription(s) } };
}

function deleteSubscriptionById(ctx: OperationContext): OperationResult {
  ctx.sim.notifications.deleteById(ctx.caller, ctx.pathParams.notificationType ?? '', ctx.pathParams.subscriptionId ?? '');
  return { status: 200, body: {} };
}

// ---- The table ----------------------------------------------------------------------------------

const O26 = 'orders_2026-01-01';
const OV0 = 'ordersV0';
const LST = 'listingsItems_2021-08-01';
const FDS = 'feeds_2021-06-30';
const RPT = 'reports_2021-06-30';
const NTF = 'notifications';

const op = (key: string, model: string, operationId: string, roles: readonly string[] | undefined, validateBody: boolean, handler: SpApiOperation['handler'], auth: SpApiOperation['auth'] = 'seller'): SpApiOperation => ({
  key, model, operationId, roles, validateBody, handler, auth,
});

/** Every SP-API operation the simulator serves; paths, parameters and usage plans come from the models. */
export const SP_API_OPERATIONS: readonly SpApiOperation[] = [
  op('orders.searchOrders', O26, 'searchOrders', ORDERS_READ_ROLES, false, searchOrders),
  op('orders.getOrder', O26, 'getOrder', ORDERS_READ_ROLES, false, getOrder),
  op('orders.confirmShipment', OV0, 'confirmShipment', SHIPMENT_ROLES, true, confirmShipment),
  op('orders.updateShipmentStatus', OV0, 'updateShipmentStatus', SHIPMENT_ROLES, true, updateShipmentStatus),
  op('fbaInventory.getInventorySummaries', 'fbaInventory', 'getInventorySummaries', FBA_INVENTORY_ROLES, false, getInventorySummaries),
  op('listingsItems.getListingsItem', LST, 'getListingsItem', LISTINGS_ROLES, false, getListingsItem),
  op('listingsItems.patchListingsItem', LST, 'patchListingsItem', LISTINGS_ROLES, false, patchListingsItem),
  op('listingsItems.putListingsItem', LST, 'putListingsItem', LISTINGS_ROLES, false, putListingsItem),
  op('feeds.createFeedDocument', FDS, 'createFeedDocument', FEEDS_ROLES, true, createFeedDocument),
  op('feeds.createFeed', FDS, 'createFeed', FEEDS_ROLES, true, createFeed),
  op('feeds.getFeed', FDS, 'getFeed', FEEDS_ROLES, false, getFeed),
  op('feeds.getFeeds', FDS, 'getFeeds', FEEDS_ROLES, false, getFeeds),
  op('feeds.cancelFeed', FDS, 'cancelFeed', FEEDS_ROLES, false, cancelFeed),
  op('feeds.getFeedDocument', FDS, 'getFeedDocument', FEEDS_ROLES, false, getFeedDocument),
  op('reports.createReport', RPT, 'createReport', FEEDS_ROLES, true, createReport),
  op('reports.getReport', RPT, 'getReport', FEEDS_ROLES, false, getReport),
  op('reports.getReports', RPT, 'getReports', FEEDS_ROLES, false, getReports),
  op('reports.cancelReport', RPT, 'cancelReport', FEEDS_ROLES, false, cancelReport),
  op('reports.getReportDocument', RPT, 'getReportDocument', FEEDS_ROLES, false, getReportDocument),
  op('tokens.createRestrictedDataToken', 'tokens_2021-03-01', 'createRestrictedDataToken', ORDERS_READ_ROLES, true, createRestrictedDataToken),
  op('sellers.getMarketplaceParticipations', 'sellers', 'getMarketplaceParticipations', ORDERS_READ_ROLES, false, getMarketplaceParticipations),
  op('notifications.createDestination', NTF, 'createDestination', undefined, true, createDestination, 'grantless'),
  op('notifications.getDestinations', NTF, 'getDestinations', undefined, false, getDestinations, 'grantless'),
  op('notifications.getDestination', NTF, 'getDestination', undefined, false, getDestination, 'grantless'),
  op('notifications.deleteDestination', NTF, 'deleteDestination', undefined, false, deleteDestination, 'grantless'),
  op('notifications.createSubscription', NTF, 'createSubscription', ORDERS_READ_ROLES, true, createSubscription),
  op('notifications.getSubscription', NTF, 'getSubscription', ORDERS_READ_ROLES, false, getSubscription),
  op('notifications.getSubscriptions', NTF, 'getSubscriptions', ORDERS_READ_ROLES, false, getSubscriptions),
  op('notifications.getSubscriptionById', NTF, 'getSubscriptionById', undefined, false, getSubscriptionById, 'grantless'),
  op('notifications.deleteSubscriptionById', NTF, 'deleteSubscriptionById', undefined, false, deleteSubscriptionById, 'grantless'),
];
