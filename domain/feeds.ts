// Bulk listing updates (titles, descriptions, prices) as JSON_LISTINGS_FEED documents.
// Quantities are never sent in a bulk feed: FBM quantity goes out per SKU with patchListingsItem, so a
// slow feed queue can never hold back or overwrite a stock figure (the guide's feed/inventory collision).

/** One SKU's listing changes for one marketplace; only the fields present are patched. */
export type ListingChange = {
  sku: string;
  /** The listing's Amazon product type (from getListingsItem summaries[].productType); required on every patch. */
  productType: string;
  marketplaceId: string;
  title?: string;
  description?: string;
  /** Price including VAT in the marketplace currency, e.g. { amount: 19.99, currency: 'GBP' }. */
  price?: { amount: number; currency: string };
};

/** One JSON Patch operation on a listing attribute (Listings Items 2021-08-01 shape). */
export type ListingPatch = { op: 'replace'; path: string; value: Record<string, unknown>[] };

/** One PATCH message of a JSON_LISTINGS_FEED. */
export type ListingsFeedMessage = { messageId: number; sku: string; operationType: 'PATCH'; productType: string; patches: ListingPatch[] };

/** A JSON_LISTINGS_FEED document (listings-feed-schema-v2). */
export type ListingsFeedDocument = {
  header: { sellerId: string; version: '2.0'; issueLocale: string };
  messages: ListingsFeedMessage[];
};

/** Amazon's per-feed message limit for JSON_LISTINGS_FEED. */
export const MAX_MESSAGES_PER_FEED = 25_000;
/** Conduit's per-document byte budget (Amazon's exact limit for this feed type is not documented in our reference; stay well under it). */
export const MAX_FEED_BYTES = 10_000_000;

const ALLOWED_FIELDS: readonly string[] = ['sku', 'productType', 'marketplaceId', 'title', 'description', 'price'];
const QUANTITY_FIELD = /quantit|fulfil+ment_?availability/i;

/** Reject (as a programming error) any change that carries a quantity or an unknown field; bulk feeds never send stock. */
export function assertNoQuantities(change: ListingChange): void {
  for (const key of Object.keys(change)) {
    if (QUANTITY_FIELD.test(key)) {
      throw new Error(
        `Listing change for ${JSON.stringify(change.sku)} carries "${key}": quantities (fulfillment_availability) are never sent in bulk feeds. ` +
          'Push FBM quantity with patchListingsItem from the stock sync instead.',
      );
    }
    if (!ALLOWED_FIELDS.includes(key)) {
      throw new Error(`Listing change for ${JSON.stringify(change.sku)} has unknown field "${key}"; bulk feeds patch title, description and price only.`);
    }
  }
  if (change.sku === '' || change.productType === '' || change.marketplaceId === '') {
    throw new Error(`Listing change needs sku, productType and marketplaceId: ${JSON.stringify(change)}`);
  }
  if (change.price !== undefined && !(Number.isFinite(change.price.amount) && change.price.amount > 0 && change.price.currency !== '')) {
    throw new Error(`Listing change for ${JSON.stringify(change.sku)} has an invalid price ${JSON.stringify(change.price)}`);
  }
}

function patchesFor(change: ListingChange, languageTag: string): ListingPatch[] {
  const patches: ListingPatch[] = [];
  const m = change.marketplaceId;
  if (change.title !== undefined) {
    patches.push({ op: 'replace', path: '/attributes/item_name', value: [{ value: change.title, language_tag: languageTag, marketplace_id: m }] });
  }
  if (change.description !== undefined) {
    patches.push({ op: 'replace', path: '/attributes/product_description', value: [{ value: change.description, language_tag: languageTag, marketplace_id: m }] });
  }
  if (change.price !== undefined) {
    patches.push({
      op: 'replace',
      path: '/attributes/purchasable_offer',
      value: [{ marketplace_id: m, currency: change.price.currency, our_price: [{ schedule: [{ value_with_tax: change.price.amount }] }] }],
    });
  }
  if (patches.length === 0) throw new Error(`Listing change for ${JSON.stringify(change.sku)} changes nothing`);
  for (const p of patches) {
    if (/fulfil+ment_?availability/i.test(p.path)) throw new Error('Bulk feeds must never patch fulfillment_availability'); // defence in depth
  }
  return patches;
}

function messageFor(change: ListingChange, messageId: number, languageTag: string): ListingsFeedMessage {
  assertNoQuantities(change);
  return { messageId, sku: change.sku, operationType: 'PATCH', productType: change.productType, patches: patchesFor(change, languageTag) };
}

/** Build a JSON_LISTINGS_FEED for one marketplace (messageIds from 1); throws on quantities, mixed marketplaces, duplicate SKUs or > 25,000 messages. */
export function buildListingsFeed(sellerId: string, changes: readonly ListingChange[], issueLocale: string): ListingsFeedDocument {
  if (changes.length === 0) throw new Error('A listings feed needs at least one change');
  if (changes.length > MAX_MESSAGES_PER_FEED) throw new Error(`A listings feed holds at most ${MAX_MESSAGES_PER_FEED} messages; chunk with chunkListingChanges`);
  const marketplaces = new Set(changes.map((c) => c.marketplaceId));
  if (marketplaces.size > 1) throw new Error(`One feed per marketplace: got ${[...marketplaces].join(', ')}; chunk with chunkListingChanges`);
  const skus = new Set<string>();
  for (const c of changes) {
    if (skus.has(c.sku)) throw new Error(`SKU ${JSON.stringify(c.sku)} appears twice in one feed; merge with chunkListingChanges`);
    skus.add(c.sku);
  }
  return {
    header: { sellerId, version: '2.0', issueLocale },
    messages: changes.map((c, i) => messageFor(c, i + 1, issueLocale)),
  };
}

/** UTF-8 byte length of a string, without TextEncoder (not guaranteed in every workflow sandbox). */
export function utf8ByteLength(s: string): number {
  let bytes = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
}

const HEADER_RESERVE_BYTES = 1_024;

/**
 * Split listing changes into feed-sized groups: one marketplace per group, one message per SKU (later
 * changes to the same SKU override earlier fields), at most `maxMessagesPerFeed` messages and about
 * `maxBytesPerFeed` bytes each. Throws on quantities, like buildListingsFeed.
 */
export function chunkListingChanges(
  changes: readonly ListingChange[],
  maxMessagesPerFeed: number = MAX_MESSAGES_PER_FEED,
  maxBytesPerFeed: number = MAX_FEED_BYTES,
): ListingChange[][] {
  if (!Number.isInteger(maxMessagesPerFeed) || maxMessagesPerFeed < 1 || maxMessagesPerFeed > MAX_MESSAGES_PER_FEED) {
    throw new Error(`maxMessagesPerFeed must be 1–${MAX_MESSAGES_PER_FEED}, got ${maxMessagesPerFeed}`);
  }
  const byMarketplace: { marketplaceId: string; order: string[]; bySku: Record<string, ListingChange> }[] = [];
  for (const change of changes) {
    assertNoQuantities(change);
    let group = byMarketplace.find((g) => g.marketplaceId === change.marketplaceId);
    if (!group) {
      group = { marketplaceId: change.marketplaceId, order: [], bySku: Object.create(null) as Record<string, ListingChange> };
      byMarketplace.push(group);
    }
    const earlier = group.bySku[change.sku];
    if (!earlier) group.order.push(change.sku);
    group.bySku[change.sku] = earlier ? mergeChange(earlier, change) : { ...change };
  }

  const chunks: ListingChange[][] = [];
  for (const group of byMarketplace) {
    let current: ListingChange[] = [];
    let bytes = HEADER_RESERVE_BYTES;
    for (const sku of group.order) {
      const change = group.bySku[sku] as ListingChange;
      const size = utf8ByteLength(JSON.stringify(messageFor(change, 2_147_483_647, 'xx_XX'))) + 1;
      if (size + HEADER_RESERVE_BYTES > maxBytesPerFeed) throw new Error(`Listing change for ${JSON.stringify(sku)} alone exceeds ${maxBytesPerFeed} bytes`);
      if (current.length >= maxMessagesPerFeed || bytes + size > maxBytesPerFeed) {
        chunks.push(current);
        current = [];
        bytes = HEADER_RESERVE_BYTES;
      }
      current.push(change);
      bytes += size;
    }
    if (current.length > 0) chunks.push(current);
  }
  return chunks;
}

function mergeChange(earlier: ListingChange, later: ListingChange): ListingChange {
  const merged: ListingChange = { ...earlier, productType: later.productType };
  if (later.title !== undefined) merged.title = later.title;
  if (later.description !== undefined) merged.description = later.description;
  if (later.price !== undefined) merged.price = later.price;
  return merged;
}

/** One issue Amazon reported while processing a feed. */
export type FeedIssue = { code?: string; severity: 'ERROR' | 'WARNING' | 'INFO'; message: string; attributeName?: string };

/** What happened to one SKU's message: applied, rejected (with Amazon's messages), or not known to be processed. */
export type FeedSkuResult = {
  sku: string;
  messageId: number;
  status: 'ACCEPTED' | 'REJECTED' | 'NOT_PROCESSED';
  errors: FeedIssue[];
  warnings: FeedIssue[];
};

/** Parsed processing report: per-SKU results, plus feed-level errors; or why the report could not be read. */
export type ProcessingReportResult =
  | {
      ok: true;
      feedId: string;
      results: FeedSkuResult[];
      accepted: string[];
      rejected: string[];
      notProcessed: string[];
      feedErrors: FeedIssue[];
      summary: { messagesProcessed: number | null; messagesAccepted: number | null; messagesInvalid: number | null };
    }
  | { ok: false; reason: string };

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const optString = (x: unknown): string | undefined => (typeof x === 'string' && x !== '' ? x : undefined);
const optNumber = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/**
 * Read a JSON_LISTINGS_FEED processing report against the feed that was sent: every sent SKU gets a
 * result. Messages without an ERROR are ACCEPTED, unless the feed itself failed or Amazon processed
 * fewer messages than were sent — then they are NOT_PROCESSED (safe to resend: patches are replaces).
 */
export function parseProcessingReport(report: unknown, sent: ListingsFeedDocument): ProcessingReportResult {
  if (!isRecord(report) || !isRecord(report.header)) return { ok: false, reason: 'processing report has no header' };
  const feedId = optString(report.header.feedId);
  if (!feedId) return { ok: false, reason: 'processing report header has no feedId' };
  const rawIssues = report.issues === undefined ? [] : report.issues;
  if (!Array.isArray(rawIssues)) return { ok: false, reason: 'processing report issues is not a list' };
  const summaryRaw = isRecord(report.summary) ? report.summary : {};
  const summary = {
    messagesProcessed: optNumber(summaryRaw.messagesProcessed),
    messagesAccepted: optNumber(summaryRaw.messagesAccepted),
    messagesInvalid: optNumber(summaryRaw.messagesInvalid),
  };

  const results: FeedSkuResult[] = sent.messages.map((m) => ({ sku: m.sku, messageId: m.messageId, status: 'ACCEPTED', errors: [], warnings: [] }));
  const byMessageId: Record<number, FeedSkuResult> = {};
  const bySku: Record<string, FeedSkuResult> = Object.create(null) as Record<string, FeedSkuResult>;
  for (const r of results) {
    byMessageId[r.messageId] = r;
    bySku[r.sku] = r;
  }
  const feedErrors: FeedIssue[] = [];
  for (const raw of rawIssues) {
    if (!isRecord(raw)) continue;
    const severity = raw.severity === 'ERROR' || raw.severity === 'WARNING' || raw.severity === 'INFO' ? raw.severity : 'ERROR';
    const issue: FeedIssue = { severity, message: optString(raw.message) ?? '(no message from Amazon)' };
    const code = optString(raw.code);
    if (code) issue.code = code;
    const attributeName = optString(raw.attributeName);
    if (attributeName) issue.attributeName = attributeName;
    const messageId = optNumber(raw.messageId);
    const sku = optString(raw.sku);
    const target = (messageId !== null ? byMessageId[messageId] : undefined) ?? (sku !== undefined ? bySku[sku] : undefined);
    if (!target) {
      if (severity === 'ERROR') feedErrors.push(issue);
      continue;
    }
    if (severity === 'ERROR') {
      target.errors.push(issue);
      target.status = 'REJECTED';
    } else {
      target.warnings.push(issue);
    }
  }
  const incomplete = feedErrors.length > 0 || (summary.messagesProcessed !== null && summary.messagesProcessed < sent.messages.length);
  if (incomplete) for (const r of results) if (r.status === 'ACCEPTED') r.status = 'NOT_PROCESSED';

  const skusWith = (status: FeedSkuResult['status']): string[] => results.filter((r) => r.status === status).map((r) => r.sku);
  return { ok: true, feedId, results, accepted: skusWith('ACCEPTED'), rejected: skusWith('REJECTED'), notProcessed: skusWith('NOT_PROCESSED'), feedErrors, summary };
}
